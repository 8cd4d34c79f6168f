// Package kernels holds the compute kernels of the inference engine's forward
// pass: dot products of weight rows with activation vectors for every weight
// type Nibble runs, matrix products built on them, the encoding of
// activations, and a few float32 vector helpers.
//
// The numbers follow llama.cpp's CPU backend (ggml-cpu), not a "dequantize
// and multiply" scheme. Each weight type has an activation type (VecType, as
// ggml's vec_dot_type): F32 weights take F32 activations, F16 and BF16 take
// activations rounded to their own type, and quantized weights take quantized
// activations (Q8_0, Q8_1 or Q8_K, QuantizeVec). A quantized dot product is
// an exact integer sum of weight levels times activation levels per block or
// sub-block, scaled by the blocks' float factors and accumulated in float32.
//
// MatMul and MatVec compute exactly what llama.cpp's x86 build computes
// (x86.go says which kernel llama.cpp runs for which shape and number of
// tokens, and why the order matters): one token and a batch of tokens are
// summed in different orders, FMAs where llama.cpp fuses, 8 or 16
// accumulator lanes added up in the tree of its horizontal sums. QuantizeVec
// encodes activations with the same bytes as llama.cpp's x86 from_float
// (activation.go). The tests compare every order with float64 arithmetic on
// the dequantized values.
//
// Every order has a plain-Go implementation (x86*.go) that allocates
// nothing. Products that are added to something are wrapped in an explicit
// float32(...) conversion so that Go does not fuse them into a fused
// multiply-add on arm64 (or anywhere else); where llama.cpp fuses, FMA32 (or
// the same three steps written out in a hot loop) computes the fused result
// exactly: the same input gives the same float32 result on every GOARCH.
//
// Native kernels (assembly, in files named for their GOARCH and built
// without the purego tag) replace a type's product in one order from an
// init function, when golang.org/x/sys/cpu says the CPU has every
// instruction they use (useNative). They must give the same bits as the Go
// function they replace: they use the instructions llama.cpp uses in the
// same order, and TestNativeMatchesPortable compares them bit for bit.
// `-tags purego` keeps the Go ones everywhere; Name says which one runs.
package kernels
