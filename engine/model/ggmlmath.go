package model

import (
	"math"

	"nibble/engine/kernels"
)

// The float arithmetic of llama.cpp's CPU backend where it is not plain
// float32: its FMAs and its vectorized exp. The reference logits come from
// an x86 build with AVX-512, so these follow its code paths: rounding
// differently moves results by an ulp, which is enough to flip a later
// rounding to F16 (the KV cache, the query, the softmax probabilities) or to
// an 8-bit quantization level, and such flips add up to differences of 1e-3
// to 1e-1 in the logits. This file covers softmax's and SiLU's exp; the
// matrix and attention products follow the same build in the kernels
// package (engine/kernels/x86.go says which kernel llama.cpp runs for which
// shape, and in what order it sums), and the C library's sinf, cosf and expf
// are in libm.go. With all three, the logits of the reference models are
// bit-identical to llama.cpp's.

// fma32 returns a·b+c rounded once to float32, as a vector FMA instruction
// does (kernels.FMA32).
func fma32(a, b, c float32) float32 { return kernels.FMA32(a, b, c) }

// expVec is ggml_v_expf, the vectorized exp of ggml's AVX-512 softmax and
// SiLU: exp(x) = 2^n · p(b) with n = round(x/ln 2), b = x - n·ln 2 and a
// degree-5 polynomial p, all in float32 FMAs. It is within 1.5 ulp of exp
// but not always equal to the correctly rounded one.
func expVec(x float32) float32 {
	const r = 0x1.8p23 // adding it rounds to an integer
	z := fma32(x, 0x1.715476p+0, r)
	n := z - r
	if math.Abs(float64(n)) > 192 { // beyond the float32 range
		if n <= 0 {
			return 0
		}
		return float32(math.Inf(1))
	}
	b := fma32(-n, 0x1.7f7d1cp-20, fma32(-n, 0x1.62e4p-1, x))
	u := b * b
	j := fma32(fma32(fma32(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, fma32(0x1.555e66p-3, b, 0x1.fffdb6p-2)), u,
		fma32(0x1.ffffecp-1, b, 1))
	return float32(float64(j) * math.Ldexp(1, int(n))) // _mm512_scalef_ps: exact product, one rounding
}
