package kernels

import "nibble/engine/gguf"

// The K-quants in llama.cpp's x86 order (x86.go): the __AVX2__ branches of
// ggml_vec_dot_qN_K_q8_K (ggml-cpu-quants.c), which llama.cpp runs for one
// token and for batches alike (llamafile takes no K-quant). Each super-block
// of 256 is multiplied into 8 integer lanes, lane t holding the elements e
// with e mod 32 in 4t..4t+3 (maddubs pairs, then madd with the sub-block
// scales), converted to float32 and added to 8 float32 accumulators with one
// FMA by d = da·dw; hsum8 adds the accumulators at the end. The mins of
// Q2_K, Q4_K and Q5_K take a different path each (see the functions).

// kLanes returns the integer lanes of one super-block: lane t = Σ over the
// elements e with e mod 32 in 4t..4t+3 of scales[e/sub]·lv[e]·q8[e], sub =
// 256/len(scales).
func kLanes(lv *[gguf.QK_K]int8, q8 *[gguf.QK_K]byte, scales []int32) (sumi [8]int32) {
	shift := 4 // sub-blocks of 16
	if len(scales) == 8 {
		shift = 5
	}
	for c := 0; c < gguf.QK_K; c += 32 {
		v, y := (*[32]int8)(lv[c:]), (*[32]byte)(q8[c:])
		for t := range sumi {
			e := 4 * t
			s := int32(v[e])*int32(int8(y[e])) + int32(v[e+1])*int32(int8(y[e+1])) +
				int32(v[e+2])*int32(int8(y[e+2])) + int32(v[e+3])*int32(int8(y[e+3]))
			sumi[t] += scales[(c+e)>>shift] * s
		}
	}
	return sumi
}

// fmaLanes sets acc[t] = fma(d, float32(sumi[t]), acc[t]) for the 8 lanes
// (_mm256_fmadd_ps after _mm256_cvtepi32_ps). Every lane sum of every type
// is at most 2^24 in magnitude (Q6_K's largest: 128·32·128·32), so it is
// exact in float32 and the conversion rounds nothing. fma32 is spelt out
// eight times: eight independent chains, which the processor overlaps (the
// float conversions write only part of their register, so a loop would wait
// for the previous lane at every step). Each lane checks for a tie on its
// own: d·sumi has few significant bits, so ties are not rare.
func fmaLanes(acc *[8]float32, d float32, sumi *[8]int32) {
	d64 := float64(d)
	s0 := d64*float64(sumi[0]) + float64(acc[0])
	s1 := d64*float64(sumi[1]) + float64(acc[1])
	s2 := d64*float64(sumi[2]) + float64(acc[2])
	s3 := d64*float64(sumi[3]) + float64(acc[3])
	s4 := d64*float64(sumi[4]) + float64(acc[4])
	s5 := d64*float64(sumi[5]) + float64(acc[5])
	s6 := d64*float64(sumi[6]) + float64(acc[6])
	s7 := d64*float64(sumi[7]) + float64(acc[7])
	acc[0], acc[1] = roundFMA(s0, d, float32(sumi[0]), acc[0]), roundFMA(s1, d, float32(sumi[1]), acc[1])
	acc[2], acc[3] = roundFMA(s2, d, float32(sumi[2]), acc[2]), roundFMA(s3, d, float32(sumi[3]), acc[3])
	acc[4], acc[5] = roundFMA(s4, d, float32(sumi[4]), acc[4]), roundFMA(s5, d, float32(sumi[5]), acc[5])
	acc[6], acc[7] = roundFMA(s6, d, float32(sumi[6]), acc[6]), roundFMA(s7, d, float32(sumi[7]), acc[7])
}

// vecDotQ2_K is ggml_vec_dot_q2_K_q8_K (AVX2): per super-block, first the
// mins, lane t += dmin·(m[2t]·bsum[2t] + m[2t+1]·bsum[2t+1]) with dmin =
// -(da·dmin_w), then the scaled levels.
func vecDotQ2_K(w, a []byte, n int) float32 {
	var acc [8]float32
	for b := range n / gguf.QK_K {
		x := (*[q2KBytes]byte)(w[b*q2KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		da := q8KD(y)
		d := da * fp16(x[q2KD:])
		dmin := -da * fp16(x[q2KD+2:])
		sc := x[:q2KQs]
		var prod [8]int32
		for t := range prod {
			prod[t] = int32(sc[2*t]>>4)*bsum(y, 2*t) + int32(sc[2*t+1]>>4)*bsum(y, 2*t+1)
		}
		fmaLanes(&acc, dmin, &prod)
		// Element 128h + 32k + 4t + i is bits 2k, 2k+1 of qs[32h+4t+i];
		// lane t takes 4t..4t+3 of every 32, of sub-block 8h + 2k + t/4.
		var sumi [8]int32
		for h := range 2 {
			qs := (*[32]byte)(x[q2KQs+32*h:])
			for k := range 4 {
				q8 := (*[32]byte)(y[4+128*h+32*k:])
				shift := 2 * k
				for t := range sumi {
					e := 4 * t
					v := int32(qs[e]>>shift&3)*int32(int8(q8[e])) + int32(qs[e+1]>>shift&3)*int32(int8(q8[e+1])) +
						int32(qs[e+2]>>shift&3)*int32(int8(q8[e+2])) + int32(qs[e+3]>>shift&3)*int32(int8(q8[e+3]))
					sumi[t] += int32(sc[8*h+2*k+t/4]&0xf) * v
				}
			}
		}
		fmaLanes(&acc, d, &sumi)
	}
	return hsum8(&acc)
}

// vecDotQ3_K is ggml_vec_dot_q3_K_q8_K (AVX2).
func vecDotQ3_K(w, a []byte, n int) float32 {
	var acc [8]float32
	var lv [gguf.QK_K]int8
	var scales [16]int32
	for b := range n / gguf.QK_K {
		x := (*[q3KBytes]byte)(w[b*q3KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		unpackQ3_K(x, &lv, &scales)
		sumi := kLanes(&lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
		fmaLanes(&acc, q8KD(y)*fp16(x[q3KD:]), &sumi)
	}
	return hsum8(&acc)
}

// k4Mins returns the 8 per-sub-block activation sums of a Q8_K block (the
// pairs of bsums, _mm_hadd_epi16) times the mins of a Q4_K or Q5_K block.
func k4Mins(y *[q8KBytes]byte, mins *[8]int32) (p [8]int32) {
	for j, m := range mins {
		p[j] = m * (bsum(y, 2*j) + bsum(y, 2*j+1))
	}
	return p
}

// vecDotQ4_K is ggml_vec_dot_q4_K_q8_K (AVX2): the mins go to 4 separate
// lanes, lane u += dmin·(p[2u] + p[2u+1]), added up as hsum4 and to hsum8
// of the main lanes at the end.
func vecDotQ4_K(w, a []byte, n int) float32 {
	var acc [8]float32
	var accm [4]float32
	var lv [gguf.QK_K]int8
	var scales, mins [8]int32
	for b := range n / gguf.QK_K {
		x := (*[q4KBytes]byte)(w[b*q4KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		da := q8KD(y)
		d := da * fp16(x[:])
		dmin := -da * fp16(x[2:])
		unpackK4Scales(x[:], &scales, &mins)
		p := k4Mins(y, &mins)
		for u := range accm {
			accm[u] = fma32(dmin, float32(p[2*u]+p[2*u+1]), accm[u])
		}
		unpackQ4_K(x, &lv)
		sumi := kLanes(&lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
		fmaLanes(&acc, d, &sumi)
	}
	return hsum8(&acc) + hsum4(&accm)
}

// vecDotQ5_K is ggml_vec_dot_q5_K_q8_K (AVX2): the mins of a super-block
// are summed as integers and added to a float32 sum, "summs += dmin·isum",
// which GCC fuses into an FMA; summs is added to hsum8 at the end.
func vecDotQ5_K(w, a []byte, n int) float32 {
	var acc [8]float32
	var summs float32
	var lv [gguf.QK_K]int8
	var scales, mins [8]int32
	for b := range n / gguf.QK_K {
		x := (*[q5KBytes]byte)(w[b*q5KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		da := q8KD(y)
		d := da * fp16(x[:])
		dmin := -da * fp16(x[2:])
		unpackK4Scales(x[:], &scales, &mins)
		p := k4Mins(y, &mins)
		var s int32
		for _, v := range p {
			s += v
		}
		summs = fma32(dmin, float32(s), summs)
		unpackQ5_K(x, &lv)
		sumi := kLanes(&lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
		fmaLanes(&acc, d, &sumi)
	}
	return hsum8(&acc) + summs
}

// vecDotQ6_K is ggml_vec_dot_q6_K_q8_K (AVX2).
func vecDotQ6_K(w, a []byte, n int) float32 {
	var acc [8]float32
	var lv [gguf.QK_K]int8
	var scales [16]int32
	for b := range n / gguf.QK_K {
		x := (*[q6KBytes]byte)(w[b*q6KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		unpackQ6_K(x, &lv, &scales)
		sumi := kLanes(&lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
		fmaLanes(&acc, q8KD(y)*fp16(x[q6KD:]), &sumi)
	}
	return hsum8(&acc)
}
