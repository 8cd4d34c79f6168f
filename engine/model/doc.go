// Package model runs the forward pass of a transformer language model stored
// in a GGUF file: it turns token ids into next-token logits.
//
// It owns the architectures (general.architecture "llama", "qwen2", "qwen3"),
// the reading of their hyperparameters from the GGUF metadata, the binding of
// their weights by tensor name, the KV cache and the run buffers. It computes
// the numbers llama.cpp's CPU backend computes (commit c392e50): activations
// are converted to each weight's activation type (kernels.VecType) before a
// matrix multiplication, keys and values live in an F16 KV cache, queries are
// rounded to F16 for the K·Q products and the softmax probabilities to F16
// for the ·V products; norms, RoPE, softmax and SwiGLU are float32. Where
// llama.cpp's float arithmetic depends on its vectorized code (the order of
// the attention sums, its exp), this follows its AVX-512 build, the one that
// made the reference data (ggmlmath.go); the matrix products are
// kernels.MatMul, which sums in the order of the kernel that build runs for
// the shape and the number of tokens (kernels/x86.go); the C library's sinf,
// cosf and expf are glibc's (libm.go). Like llama.cpp, Forward carries only
// the rows whose logits are wanted through the last layer's feed-forward
// network (outputRows). The result: the reference logits are reproduced bit
// for bit, for a whole prompt and token by token (reference_test.go).
//
// Layout: model.go loads a Model (metadata, registry of architectures, weight
// binding); state.go holds the per-sequence State; layers.go the layers every
// architecture shares (RMSNorm, RoPE, attention over the KV cache, SwiGLU,
// matrix multiplication); llama.go, qwen2.go and qwen3.go each hold one
// architecture's weights and its forward pass, top to bottom; ggmlmath.go
// and libm.go the float functions of llama.cpp's build named above.
//
// Weights are never copied: a Model points into the File's read-only memory
// mapping. The Go heap holds only what a State allocates (EstimateMemory).
// Tokenization and sampling live elsewhere.
package model
