// Package kernels holds the compute kernels of the inference engine's forward
// pass: dot products of one weight row with an activation vector for every
// weight type Nibble runs, matrix-vector products built on them, and a few
// float32 vector helpers.
//
// The numbers follow llama.cpp's CPU backend (ggml-cpu), not a "dequantize
// and multiply" scheme. Each weight type has an activation type (VecType, as
// ggml's vec_dot_type): F32 weights take F32 activations, F16 and BF16 take
// activations rounded to their own type, and quantized weights take quantized
// activations (Q8_0, Q8_1 or Q8_K). A quantized dot product is an exact
// integer sum of weight levels times int8 activation levels per block or
// sub-block, scaled by the blocks' float factors and accumulated in float32 in
// the order of ggml's generic (non-SIMD) C code. The float types' dot
// products accumulate float32 products in float64, as ggml's generic
// ggml_vec_dot_f32/f16/bf16 do.
//
// QuantizeVec uses the reference quantizers (quantize_row_q8_0_ref, …), as
// ggml's generic path does. ggml's SIMD builds quantize Q8_0 and Q8_1
// activations with their own code that rounds halves to even (and on x86
// multiplies by 127/max instead of 1/d), so on a tie an activation level
// can differ from llama.cpp's by one.
//
// Everything here is plain Go and allocates nothing. Products that are added
// to something are wrapped in an explicit float32(...) conversion so that Go
// does not fuse them into a fused multiply-add on arm64 (or anywhere else):
// the same input gives the same float32 result on every GOARCH.
//
// Faster variants come later as assembly, one kernel at a time: a file for
// one GOARCH, built without the purego tag, replaces that kernel's entry in
// the kernels table from an init function when the CPU has the features it
// needs. The generic Go function stays as the fallback and as the reference
// the assembly is tested against; `-tags purego` keeps the generic ones.
package kernels
