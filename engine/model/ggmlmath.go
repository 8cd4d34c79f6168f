package model

import (
	"math"

	"nibble/engine/kernels"
)

// The float arithmetic of llama.cpp's CPU backend where it is not plain
// float32: the order in which its vectorized kernels add products up, and its
// vectorized exp. The reference logits come from an x86 build with AVX-512,
// so these follow its code paths: summing in another order moves results by
// an ulp, which is enough to flip a later rounding to F16 (the KV cache, the
// query, the softmax probabilities) or to an 8-bit quantization level, and
// such flips add up to differences of 1e-3 to 1e-1 in the logits. This file
// covers attention, softmax and SiLU; the matrix products follow the same
// build in the kernels package (engine/kernels/x86.go says which kernel
// llama.cpp runs for which shape, and in what order it sums), and the C
// library's sinf, cosf and expf are in libm.go. With all three, the logits
// of the reference models are bit-identical to llama.cpp's.

// fma32 returns a·b+c rounded once to float32, as a vector FMA instruction
// does (kernels.FMA32).
func fma32(a, b, c float32) float32 { return kernels.FMA32(a, b, c) }

// reduce16 adds 16 lanes in the tree order of _mm512_reduce_add_ps (GCC):
// upper half onto lower half, down to one lane.
func reduce16(x []float32) float32 {
	var t [8]float32
	for i := range 8 {
		t[i] = x[i+8] + x[i]
	}
	for i := range 4 {
		t[i] = t[i+4] + t[i]
	}
	return (t[0] + t[2]) + (t[1] + t[3])
}

// dotBatched returns Σ a[i]·b[i] (len(a) a multiple of 16) in the order of
// llamafile's tinyBLAS, which llama.cpp uses for the attention products of a
// batch of two or more tokens: element i accumulates into lane i mod 16 with
// an FMA, then the lanes are reduced.
func dotBatched(a, b []float32) float32 {
	var acc [16]float32
	for l := 0; l < len(a); l += 16 {
		for i, x := range a[l : l+16] {
			acc[i] = fma32(x, b[l+i], acc[i])
		}
	}
	return reduce16(acc[:])
}

// dotSingle returns Σ a[i]·b[i] in the order of ggml_vec_dot_f16, which
// llama.cpp uses for the attention products of a single token: the leading
// multiple of 64 elements go to four accumulators of 16 lanes (element i to
// lane i mod 64), which are added pairwise and reduced; the remaining
// elements are added one by one in float64.
func dotSingle(a, b []float32) float32 {
	np := len(a) &^ 63
	var sum float64
	if np > 0 {
		var acc [64]float32
		for l := 0; l < np; l += 64 {
			for i, x := range a[l : l+64] {
				acc[i] = fma32(x, b[l+i], acc[i])
			}
		}
		sum = float64(reduce64(acc[:]))
	}
	for i := np; i < len(a); i++ {
		sum += float64(a[i] * b[i])
	}
	return float32(sum)
}

// reduce64 reduces ggml's four 16-lane accumulators (GGML_F32x16_REDUCE):
// x0+x2 and x1+x3, then their sum, then the 16 lanes.
func reduce64(acc []float32) float32 {
	var x [16]float32
	for i := range 16 {
		x[i] = (acc[i] + acc[32+i]) + (acc[16+i] + acc[48+i])
	}
	return reduce16(x[:])
}

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
