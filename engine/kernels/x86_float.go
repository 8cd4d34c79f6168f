package kernels

// The float weight types in llama.cpp's x86 order (x86.go). A product of two
// F16 or two BF16 values is exact in float32, so their FMAs are a plain
// float32 add of the product (whether or not Go fuses it); F32 needs fma32.

// fma8 sets a[i] = fma32(x[i], y[i], a[i]) for i < 8, fma32 spelt out:
// eight independent chains, which the processor overlaps. (The float
// conversions write only part of their register, so one chain at a time
// would wait for the previous element at every step.)
func fma8(a, x, y *[8]float32) {
	s0 := float64(x[0])*float64(y[0]) + float64(a[0])
	s1 := float64(x[1])*float64(y[1]) + float64(a[1])
	s2 := float64(x[2])*float64(y[2]) + float64(a[2])
	s3 := float64(x[3])*float64(y[3]) + float64(a[3])
	s4 := float64(x[4])*float64(y[4]) + float64(a[4])
	s5 := float64(x[5])*float64(y[5]) + float64(a[5])
	s6 := float64(x[6])*float64(y[6]) + float64(a[6])
	s7 := float64(x[7])*float64(y[7]) + float64(a[7])
	a[0], a[1] = roundFMA(s0, x[0], y[0], a[0]), roundFMA(s1, x[1], y[1], a[1])
	a[2], a[3] = roundFMA(s2, x[2], y[2], a[2]), roundFMA(s3, x[3], y[3], a[3])
	a[4], a[5] = roundFMA(s4, x[4], y[4], a[4]), roundFMA(s5, x[5], y[5], a[5])
	a[6], a[7] = roundFMA(s6, x[6], y[6], a[6]), roundFMA(s7, x[7], y[7], a[7])
}

// gemmF32 is tinyBLAS<16, __m512> for F32: element i of every 16 goes to
// lane i with an FMA, then _mm512_reduce_add_ps. n is a multiple of 16.
func gemmF32(w, a []byte, n int) float32 {
	x, y := f32View(w, n), f32View(a, n)
	var acc [16]float32
	for l := 0; l < n; l += 16 {
		xs, ys := (*[16]float32)(x[l:]), (*[16]float32)(y[l:])
		fma8((*[8]float32)(acc[0:]), (*[8]float32)(xs[0:]), (*[8]float32)(ys[0:]))
		fma8((*[8]float32)(acc[8:]), (*[8]float32)(xs[8:]), (*[8]float32)(ys[8:]))
	}
	return reduce16(&acc)
}

// vecDotF32 is ggml_vec_dot_f32 with GGML_SIMD on AVX-512: the leading
// multiple of 64 elements go to four 16-lane FMA accumulators (element i to
// lane i mod 64), reduced by reduce64; the rest is added to that float32
// sum in order by the loop "sumf += x[i]*y[i]", as GCC compiles it (below).
func vecDotF32(w, a []byte, n int) float32 {
	x, y := f32View(w, n), f32View(a, n)
	np := n &^ 63
	var sum float32
	if np > 0 {
		var acc [64]float32
		for l := 0; l < np; l += 64 {
			xs, ys := (*[64]float32)(x[l:]), (*[64]float32)(y[l:])
			for i := 0; i < 64; i += 8 {
				fma8((*[8]float32)(acc[i:]), (*[8]float32)(xs[i:]), (*[8]float32)(ys[i:]))
			}
		}
		sum = reduce64(&acc)
	}
	// The remainder loop, "sumf += x[i]*y[i]", as GCC 12 -O3 compiles it:
	// vectorized while 16, then 8, elements remain (the products rounded by
	// VMULPS, then added to sumf one by one, in order), the last 0..7 in
	// scalar code that fuses each into an FMA. (Read off GCC 12.2's code for
	// this loop with -O3 -march=native on an AVX-512 CPU; stories260K's
	// ffn_down, 172 columns, needs it to match llama.cpp bit for bit.)
	i := np
	for ; n-i >= 16; i += 16 {
		for j := i; j < i+16; j++ {
			sum += float32(x[j] * y[j])
		}
	}
	if n-i >= 8 {
		for j := i; j < i+8; j++ {
			sum += float32(x[j] * y[j])
		}
		i += 8
	}
	for ; i < n; i++ {
		sum = fma32(x[i], y[i], sum)
	}
	return sum
}

// gemmF16 is tinyBLAS<16, __m512> for F16 weights and F16 activations, both
// widened to float32 (_mm512_cvtph_ps): as gemmF32.
func gemmF16(w, a []byte, n int) float32 {
	w, a = w[:2*n], a[:2*n]
	var acc [16]float32
	for l := 0; l < n; l += 16 {
		xs, ys := (*[32]byte)(w[2*l:]), (*[32]byte)(a[2*l:])
		for i := range acc {
			acc[i] += float32(fp16(xs[2*i:]) * fp16(ys[2*i:]))
		}
	}
	return reduce16(&acc)
}

// vecDotF16 is ggml_vec_dot_f16 on AVX-512: as vecDotF32 for the leading
// multiple of 64, but the sum and the remaining products are added in
// float64 (ggml_float).
func vecDotF16(w, a []byte, n int) float32 {
	w, a = w[:2*n], a[:2*n]
	np := n &^ 63
	var sum float64
	if np > 0 {
		var acc [64]float32
		for l := 0; l < np; l += 64 {
			xs, ys := (*[128]byte)(w[2*l:]), (*[128]byte)(a[2*l:])
			for i := range acc {
				acc[i] += float32(fp16(xs[2*i:]) * fp16(ys[2*i:]))
			}
		}
		sum = float64(reduce64(&acc))
	}
	for i := np; i < n; i++ {
		sum += float64(fp16(w[2*i:]) * fp16(a[2*i:]))
	}
	return float32(sum)
}

// dpbf16 is one VDPBF16PS on 32 BF16 pairs: lane j of acc adds the products
// of elements 2j+1, then 2j, rounding after each (Intel's definition; the
// products are exact in float32).
func dpbf16(acc *[16]float32, x, y *[64]byte) {
	for j := range acc {
		hi := float32(bf16(x[4*j+2:]) * bf16(y[4*j+2:]))
		lo := float32(bf16(x[4*j:]) * bf16(y[4*j:]))
		acc[j] = (acc[j] + hi) + lo
	}
}

// gemmBF16 is tinyBLAS<32, __m512, __m512bh> for BF16: one VDPBF16PS per
// 32 elements into 16 lanes, then _mm512_reduce_add_ps. n is a multiple of
// 32.
func gemmBF16(w, a []byte, n int) float32 {
	w, a = w[:2*n], a[:2*n]
	var acc [16]float32
	for l := 0; l < n; l += 32 {
		dpbf16(&acc, (*[64]byte)(w[2*l:]), (*[64]byte)(a[2*l:]))
	}
	return reduce16(&acc)
}

// vecDotBF16 is ggml_vec_dot_bf16 with AVX512_BF16: per 64 elements one
// VDPBF16PS into c1 (the first 32) and one into c2 (the next 32); the two
// reductions and the remaining products are added in float64.
func vecDotBF16(w, a []byte, n int) float32 {
	w, a = w[:2*n], a[:2*n]
	np := n &^ 63
	var c1, c2 [16]float32
	for l := 0; l < np; l += 64 {
		dpbf16(&c1, (*[64]byte)(w[2*l:]), (*[64]byte)(a[2*l:]))
		dpbf16(&c2, (*[64]byte)(w[2*l+64:]), (*[64]byte)(a[2*l+64:]))
	}
	sum := float64(reduce16(&c1))
	sum += float64(reduce16(&c2))
	for i := np; i < n; i++ {
		sum += float64(bf16(w[2*i:]) * bf16(a[2*i:]))
	}
	return float32(sum)
}
