package model

import "nibble/engine/kernels"

// The float arithmetic of llama.cpp's CPU backend where it is not plain
// float32. The reference logits come from an x86 build with AVX-512, so the
// engine follows its code paths: rounding differently moves results by an
// ulp, which is enough to flip a later rounding to F16 (the KV cache, the
// query, the softmax probabilities) or to an 8-bit quantization level, and
// such flips add up to differences of 1e-3 to 1e-1 in the logits. The
// matrix and attention products, softmax's and SiLU's vectorized exp follow
// that build in the kernels package (engine/kernels/x86.go says which
// kernel llama.cpp runs for which shape, and in what order it sums), the C
// library's sinf, cosf and expf are in libm.go, and RoPE's FMAs use fma32.
// With all of them, the logits of the reference models are bit-identical to
// llama.cpp's.

// fma32 returns a·b+c rounded once to float32, as a vector FMA instruction
// does (kernels.FMA32).
func fma32(a, b, c float32) float32 { return kernels.FMA32(a, b, c) }
