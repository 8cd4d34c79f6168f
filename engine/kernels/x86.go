package kernels

import (
	"math"

	"nibble/engine/gguf"
)

// llama.cpp's x86 order: THIS FILE IS WHERE IT IS WRITTEN DOWN.
//
// The engine's matrix products (MatVec, MatMul) compute, in plain Go, exactly
// the float32 arithmetic that llama.cpp's CPU backend performs on the build
// that made the reference data: llama.cpp c392e50 (Feb 2025), GCC 12,
// GGML_NATIVE on an x86-64 CPU with AVX2, FMA, F16C, AVX-512F, AVX512_VNNI
// and AVX512_BF16, llamafile (tinyBLAS) enabled as llama.cpp's CMake does by
// default. Every integer sum is exact whatever its order, so what has to be
// reproduced is where float32 results are rounded: which products are fused
// into one FMA, how many accumulator lanes there are, which element goes to
// which lane, and the tree that adds the lanes up at the end. One ulp of
// difference in one sum is enough to flip a later rounding to F16 or to an
// 8-bit activation level, and such flips moved the logits by 1e-3 (F32) to
// 0.1 (quantized) and swapped near-tied top tokens. Reproducing the order
// (with the engine/model package doing the same for attention and glibc's
// float functions) makes the logits of all 18 reference models bit-identical
// to llama.cpp's, for a whole prompt and token by token
// (engine/model/reference_test.go). A native kernel (assembly for one GOARCH)
// must give the same bits as the Go function it replaces here.
//
// The reference data exercises most of these paths: tinyBLAS for F32, F16,
// BF16, Q8_0 and Q5_0, the repacked Q4_0 GEMM and GEMV, ggml_vec_dot_f32
// with and without a remainder, and the vec_dot of Q8_0, Q4_1, Q5_1 and
// every K-quant. Ported from the source but not checked against llama.cpp's
// output: the single-token vec_dot of F16 and BF16, unrepacked Q4_0 (a Q4_0
// matrix with rows%8 != 0), and IQ4_NL.
//
// Which kernel llama.cpp runs for y = W·x (ggml_compute_forward_mul_mat,
// ggml-cpu.c) depends on the weight type, the shape, and how many activation
// rows (tokens) the batch has:
//
//   - Q4_0 weights whose row count is a multiple of 8 are repacked at load
//     time into the q4_0_8x8 layout (ggml-cpu-aarch64.cpp; every such matrix
//     except the token embeddings, which only get_rows reads): its GEMM and
//     GEMV keep one float32 accumulator per output and add each block with
//     one FMA, acc = fma(isum, dw·da, acc), for any number of tokens
//     (dotQ4_0x8).
//   - With two or more tokens, llamafile_sgemm (llamafile/sgemm.cpp) takes
//     F32 and F16 weights when cols%16 == 0 and rows%4 == 0 (tinyBLAS<16>:
//     16 lanes, element i to lane i mod 16 with an FMA, then
//     _mm512_reduce_add_ps), BF16 when cols%32 == 0 and rows%4 == 0
//     (tinyBLAS<32> with VDPBF16PS), and Q8_0, Q4_0, Q5_0 and IQ4_NL
//     always (tinyBLAS_Q0_AVX: per block 8 lanes of 4-element integer sums,
//     lane = fma(dw·da, sum, lane), then hsum_float_8).
//   - Everything else, and every single-token product, is ggml's vec_dot of
//     the type (ggml-cpu.c for the float types: ggml_vec_dot_f32/f16 in
//     64-element steps of four 16-lane FMA accumulators, bf16 with
//     VDPBF16PS; ggml-cpu-quants.c for the quantized ones: the __AVX2__
//     branches, 8 lanes of 4-element integer sums scaled with one FMA per
//     block or super-block).
//
// Activations are converted by the vec_dot type's from_float: F16 and BF16
// with round-to-nearest-even, Q8_K with the reference quantizer, and Q8_0 and
// Q8_1 with ggml-cpu's own AVX2 quantize_row_q8_0/q8_1, which multiply by
// 127/max instead of 1/d and round halves to even (QuantizeVec, activation.go).
//
// Where the C source leaves the choice to the compiler, the kernels follow
// what GCC 12 -O3 makes of it and say so: it fuses a scalar "s += a*b" into
// an FMA (its default -ffp-contract=fast), unless it vectorizes the loop,
// which it does for the remainder of ggml_vec_dot_f32 (vecDotF32).
//
// Not reproduced: VDPBF16PS treats BF16 subnormal inputs as zero and flushes
// subnormal results (no realistic weight or activation is that small), and
// NaN propagation.

// FMA32 returns a·b+c rounded once to float32, as a fused multiply-add
// instruction computes it, with the same result on every GOARCH (Go has no
// float32 FMA, and fusing is up to the compiler). The product of two float32
// is exact in float64, so a·b+c rounds once to float64 (a float64 FMA, which
// Go may emit on some GOARCH, gives the same); rounding that to float32 can
// round twice only when the float64 sum lands exactly halfway between two
// float32, and then the exact remainder of the sum decides the direction.
// The model package uses it for the FMAs of llama.cpp's attention, RoPE and
// exp.
func FMA32(a, b, c float32) float32 { return fma32(a, b, c) }

// fma32 is FMA32. The hot loops (fma8, fmaLanes) compute the float64 sums
// of eight lanes first, so that they overlap, then round each with
// roundFMA.
func fma32(a, b, c float32) float32 { return roundFMA(float64(a)*float64(b)+float64(c), a, b, c) }

// roundFMA returns fma32(a, b, c) given s = a·b + c computed in float64:
// s rounded to float32, unless s lies exactly halfway between two normal
// float32 (its low 29 bits are 1 followed by 28 zeros), where rounding
// twice could go the wrong way. (Results in float32's subnormal range,
// below 1.2e-38, can still round twice; no activation of a working model is
// that small.) Written to stay within the compiler's inlining budget: the
// hot loops call it for every lane.
func roundFMA(s float64, a, b, c float32) float32 {
	if uint32(math.Float64bits(s))&(1<<29-1) != 1<<28 {
		return float32(s)
	}
	return fma32Tie(a, b, c)
}

// fma32Tie is fma32 where the float64 sum s lies halfway between two
// float32: the exact remainder of the sum (TwoSum) says which way to round.
func fma32Tie(a, b, c float32) float32 {
	p, c64 := float64(a)*float64(b), float64(c)
	s := p + c64
	bb := s - p
	if e := (p - (s - bb)) + (c64 - bb); e > 0 {
		s = math.Nextafter(s, math.Inf(1))
	} else if e < 0 {
		s = math.Nextafter(s, math.Inf(-1))
	}
	return float32(s)
}

// hsum8 adds 8 lanes in the order of hsum_float_8 (ggml-cpu-quants.c) and of
// tinyBLAS's hsum(__m256): the upper 128 bits onto the lower, then
// _mm_movehl_ps and _mm_movehdup_ps: (v0+v4 + v2+v6) + (v1+v5 + v3+v7).
func hsum8(v *[8]float32) float32 {
	a0, a1, a2, a3 := v[4]+v[0], v[5]+v[1], v[6]+v[2], v[7]+v[3]
	return (a0 + a2) + (a1 + a3)
}

// hsum4 adds 4 lanes as _mm_movehl_ps then _mm_movehdup_ps do.
func hsum4(v *[4]float32) float32 { return (v[0] + v[2]) + (v[1] + v[3]) }

// reduce16 adds 16 lanes in the order of _mm512_reduce_add_ps as GCC
// expands it: upper 256 bits onto the lower, then 128, then as hsum4.
func reduce16(x *[16]float32) float32 {
	var t [8]float32
	for i := range 8 {
		t[i] = x[i+8] + x[i]
	}
	var u [4]float32
	for i := range 4 {
		u[i] = t[i+4] + t[i]
	}
	return hsum4(&u)
}

// reduce64 reduces ggml's four 16-lane accumulators (GGML_F32x16_REDUCE):
// x0+x2 and x1+x3, then their sum, then reduce16.
func reduce64(acc *[64]float32) float32 {
	var x [16]float32
	for i := range 16 {
		x[i] = (acc[i] + acc[32+i]) + (acc[16+i] + acc[48+i])
	}
	return reduce16(&x)
}

// x86Order returns the order in which llama.cpp's x86 build sums each
// element of the product of a rows×cols matrix of weight type w with
// tokens activation rows (see the top of this file).
func (k *kernel) x86Order(w gguf.Type, rows, cols, tokens int) order {
	if k.dot[repackedOrder] != nil && rows%8 == 0 {
		return repackedOrder
	}
	if tokens >= 2 && k.dot[gemmOrder] != nil {
		switch w {
		case gguf.F32, gguf.F16:
			if cols%16 == 0 && rows%4 == 0 {
				return gemmOrder
			}
		case gguf.BF16:
			if cols%32 == 0 && rows%4 == 0 {
				return gemmOrder
			}
		default:
			return gemmOrder
		}
	}
	return vecDotOrder
}
