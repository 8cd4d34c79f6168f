package kernels

import (
	"encoding/binary"
	"math"

	"nibble/engine/gguf"
)

// Dot products of the K-quants (256-element super-blocks, layouts in
// quant/q2_k.go … q6_k.go) with Q8_K activations (quant/q8_k.go), in the way
// of ggml's generic ggml_vec_dot_qN_K_q8_K:
//
//   - Q2_K sums level × activation per sub-block of 16, weights the sums
//     with the 4-bit scales into one integer per super-block, and takes the
//     mins from the activations' bsums: sum += d·da·isum − dmin·da·Σ m·bsum.
//   - Q3_K…Q6_K first unpack the levels of a super-block (signed, offset
//     removed), then accumulate scale × level × activation into 8 integer
//     lanes (lane l gets the elements e ≡ l mod 8) and add d·da·lane to 8
//     float32 lane totals that are summed at the end; Q4_K and Q5_K subtract
//     their mins per super-block as Q2_K does.

// Block sizes in bytes and field offsets.
const (
	q8KBytes = 4 + gguf.QK_K + gguf.QK_K/16*2
	q8KBsums = 4 + gguf.QK_K

	q2KBytes = gguf.QK_K/16 + gguf.QK_K/4 + 2 + 2
	q2KQs    = gguf.QK_K / 16
	q2KD     = q2KQs + gguf.QK_K/4

	q3KBytes  = gguf.QK_K/8 + gguf.QK_K/4 + 12 + 2
	q3KQs     = gguf.QK_K / 8
	q3KScales = q3KQs + gguf.QK_K/4
	q3KD      = q3KScales + 12

	k4Scales = 4 // Q4_K and Q5_K: d, dmin, then 12 bytes of scales and mins
	k4Header = k4Scales + 12
	q4KBytes = k4Header + gguf.QK_K/2
	q5KQs    = k4Header + gguf.QK_K/8
	q5KBytes = q5KQs + gguf.QK_K/2

	q6KQh     = gguf.QK_K / 2
	q6KScales = q6KQh + gguf.QK_K/4
	q6KD      = q6KScales + gguf.QK_K/16
	q6KBytes  = q6KD + 2
)

// q8KD returns the float32 scale of a Q8_K block.
func q8KD(y *[q8KBytes]byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(y[:])) }

// bsum returns the sum of the Q8_K levels of group g (elements 16g..16g+15).
func bsum(y *[q8KBytes]byte, g int) int32 {
	return int32(int16(binary.LittleEndian.Uint16(y[q8KBsums+2*g:])))
}

// dotQ2_K multiplies Q2_K weights with Q8_K activations.
func dotQ2_K(w, a []byte, n int) float32 {
	var sum float32
	for b := range n / gguf.QK_K {
		x := (*[q2KBytes]byte)(w[b*q2KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		sc := x[:q2KQs]
		var summs int32
		for j, s := range sc {
			summs += bsum(y, j) * int32(s>>4)
		}
		// Sub-block j lies in half j/8 (bytes 32·(j/8)..), element range
		// 16·(j%2).. of it, at bit pair (j%8)/2.
		var isum int32
		for j, s := range sc {
			q2 := x[q2KQs+32*(j/8)+16*(j%2):][:16]
			q8 := y[4+16*j : 4+16*j+16]
			shift := 2 * (j % 8 / 2)
			var isuml int32
			for l, q := range q2 {
				isuml += int32(int8(q8[l])) * int32(q>>shift&3)
			}
			isum += int32(s&0xf) * isuml
		}
		da := q8KD(y)
		dall := da * fp16(x[q2KD:])
		dmin := da * fp16(x[q2KD+2:])
		sum += float32(dall*float32(isum)) - float32(dmin*float32(summs))
	}
	return sum
}

// dotQ3_K multiplies Q3_K weights with Q8_K activations.
func dotQ3_K(w, a []byte, n int) float32 {
	var totals [8]float32
	var lv [gguf.QK_K]int8
	var scales [16]int32
	for b := range n / gguf.QK_K {
		x := (*[q3KBytes]byte)(w[b*q3KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		unpackQ3_K(x, &lv, &scales)
		accumulate(&totals, fp16(x[q3KD:])*q8KD(y), &lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
	}
	return addTotals(0, &totals)
}

// dotQ4_K multiplies Q4_K weights with Q8_K activations.
func dotQ4_K(w, a []byte, n int) float32 {
	var sum float32
	var totals [8]float32
	var lv [gguf.QK_K]int8
	var scales [8]int32
	for b := range n / gguf.QK_K {
		x := (*[q4KBytes]byte)(w[b*q4KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		unpackQ4_K(x, &lv)
		sum -= k4ScalesMins(x[:], y, &scales)
		accumulate(&totals, fp16(x[:])*q8KD(y), &lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
	}
	return addTotals(sum, &totals)
}

// dotQ5_K multiplies Q5_K weights with Q8_K activations.
func dotQ5_K(w, a []byte, n int) float32 {
	var sum float32
	var totals [8]float32
	var lv [gguf.QK_K]int8
	var scales [8]int32
	for b := range n / gguf.QK_K {
		x := (*[q5KBytes]byte)(w[b*q5KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		unpackQ5_K(x, &lv)
		sum -= k4ScalesMins(x[:], y, &scales)
		accumulate(&totals, fp16(x[:])*q8KD(y), &lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
	}
	return addTotals(sum, &totals)
}

// dotQ6_K multiplies Q6_K weights with Q8_K activations.
func dotQ6_K(w, a []byte, n int) float32 {
	var totals [8]float32
	var lv [gguf.QK_K]int8
	var scales [16]int32
	for b := range n / gguf.QK_K {
		x := (*[q6KBytes]byte)(w[b*q6KBytes:])
		y := (*[q8KBytes]byte)(a[b*q8KBytes:])
		unpackQ6_K(x, &lv, &scales)
		accumulate(&totals, fp16(x[q6KD:])*q8KD(y), &lv, (*[gguf.QK_K]byte)(y[4:]), scales[:])
	}
	return addTotals(0, &totals)
}

// k4ScalesMins unpacks the 6-bit scales of a Q4_K or Q5_K block x into
// scales and returns the mins' part of its dot product with the Q8_K block y,
// dmin·da·Σ m_j·(activation sum of sub-block j), to be subtracted.
func k4ScalesMins(x []byte, y *[q8KBytes]byte, scales *[8]int32) float32 {
	var mins [8]int32
	unpackK4Scales(x, scales, &mins)
	var sumi int32
	for j, m := range mins {
		sumi += (bsum(y, 2*j) + bsum(y, 2*j+1)) * m
	}
	dmin := fp16(x[2:]) * q8KD(y)
	return float32(dmin * float32(sumi))
}

// accumulate adds d·lane_l to totals[l] for l < 8, where lane_l is, over
// the sub-blocks j (len(scales) of them, splitting the 256 elements evenly),
// the sum of scales[j]·lv[e]·q8[e] for the elements e ≡ l (mod 8) of j:
// ggml's aux32 integer lanes and their float32 sums.
func accumulate(totals *[8]float32, d float32, lv *[gguf.QK_K]int8, q8 *[gguf.QK_K]byte, scales []int32) {
	var lanes [8]int32
	sub := gguf.QK_K / len(scales)
	for j, sc := range scales {
		var l0, l1, l2, l3, l4, l5, l6, l7 int32
		for g := j * sub; g < (j+1)*sub; g += 8 {
			v, y := (*[8]int8)(lv[g:]), (*[8]byte)(q8[g:])
			l0 += int32(v[0]) * int32(int8(y[0]))
			l1 += int32(v[1]) * int32(int8(y[1]))
			l2 += int32(v[2]) * int32(int8(y[2]))
			l3 += int32(v[3]) * int32(int8(y[3]))
			l4 += int32(v[4]) * int32(int8(y[4]))
			l5 += int32(v[5]) * int32(int8(y[5]))
			l6 += int32(v[6]) * int32(int8(y[6]))
			l7 += int32(v[7]) * int32(int8(y[7]))
		}
		lanes[0] += sc * l0
		lanes[1] += sc * l1
		lanes[2] += sc * l2
		lanes[3] += sc * l3
		lanes[4] += sc * l4
		lanes[5] += sc * l5
		lanes[6] += sc * l6
		lanes[7] += sc * l7
	}
	for l, v := range lanes {
		totals[l] += float32(d * float32(v))
	}
}

// addTotals returns sum plus the 8 lane totals, added in order as ggml does
// at the end of a row.
func addTotals(sum float32, totals *[8]float32) float32 {
	for _, t := range totals {
		sum += t
	}
	return sum
}

// Unpacking of the K-quant super-blocks into one signed level per element
// (lv) and one integer scale per sub-block, shared by the generic kernels
// here and the x86-order ones (x86_kquants.go).

// unpackQ3_K sets lv to the levels of a Q3_K block minus 4 and scales to
// its 16 6-bit scales minus 32.
func unpackQ3_K(x *[q3KBytes]byte, lv *[gguf.QK_K]int8, scales *[16]int32) {
	// Element 128h + 32s + l (l < 32): bits 2s, 2s+1 of qs[32h+l] and
	// bit 4h+s of hmask[l] (moved to bit 2 below) make a level 0..7,
	// stored minus 4.
	for l, m := range x[:q3KQs] {
		q0, q1 := x[q3KQs+l], x[q3KQs+32+l]
		lv[l] = int8(q0&3|m<<2&4) - 4
		lv[l+32] = int8(q0>>2&3|m<<1&4) - 4
		lv[l+64] = int8(q0>>4&3|m&4) - 4
		lv[l+96] = int8(q0>>6|m>>1&4) - 4
		lv[l+128] = int8(q1&3|m>>2&4) - 4
		lv[l+160] = int8(q1>>2&3|m>>3&4) - 4
		lv[l+192] = int8(q1>>4&3|m>>4&4) - 4
		lv[l+224] = int8(q1>>6|m>>5&4) - 4
	}
	sc := x[q3KScales:q3KD]
	for j := range scales {
		lo := sc[j%8] >> (4 * (j / 8)) & 0xf
		hi := sc[8+j%4] >> (2 * (j / 4)) & 3
		scales[j] = int32(lo|hi<<4) - 32
	}
}

// unpackQ4_K sets lv to the 4-bit levels of a Q4_K block: sub-block pair p,
// byte 32p+l holds element 64p+l in its low nibble and 64p+32+l in its high
// one.
func unpackQ4_K(x *[q4KBytes]byte, lv *[gguf.QK_K]int8) {
	for p := range 4 {
		qs := x[k4Header+32*p : k4Header+32*p+32]
		lo, hi := lv[64*p:64*p+32], lv[64*p+32:64*p+64]
		for l, q := range qs {
			lo[l] = int8(q & 0xf)
			hi[l] = int8(q >> 4)
		}
	}
}

// unpackQ5_K sets lv to the 5-bit levels of a Q5_K block: as Q4_K, plus 16
// where bit 2p (low nibble) or 2p+1 (high nibble) of qh[l] is set.
func unpackQ5_K(x *[q5KBytes]byte, lv *[gguf.QK_K]int8) {
	qh := x[k4Header:q5KQs]
	for p := range 4 {
		qs := x[q5KQs+32*p : q5KQs+32*p+32]
		lo, hi := lv[64*p:64*p+32], lv[64*p+32:64*p+64]
		for l, q := range qs {
			lo[l] = int8(q&0xf | qh[l]>>(2*p)&1<<4)
			hi[l] = int8(q>>4 | qh[l]>>(2*p+1)&1<<4)
		}
	}
}

// unpackK4Scales unpacks the 6-bit scales and mins of a Q4_K or Q5_K block,
// packed as documented at quant's k4Scales: sub-block j < 4 has them in the
// low 6 bits of bytes j and j+4; j >= 4 has their low 4 bits in byte j+4
// and their top 2 bits in the top bits of bytes j-4 and j.
func unpackK4Scales(x []byte, scales, mins *[8]int32) {
	q := x[k4Scales:k4Header]
	for j := range scales {
		var sc, m byte
		if j < 4 {
			sc, m = q[j]&63, q[j+4]&63
		} else {
			sc, m = q[j+4]&0xf|q[j-4]>>6<<4, q[j+4]>>4|q[j]>>6<<4
		}
		scales[j], mins[j] = int32(sc), int32(m)
	}
}

// unpackQ6_K sets lv to the levels of a Q6_K block minus 32 and scales to
// its 16 signed 8-bit scales. Half h, l < 32: low nibbles of ql[64h+l] and
// ql[64h+32+l] give elements 128h+l and +32, their high nibbles +64 and +96;
// bit pairs 0, 2, 4, 6 of qh[32h+l] are the top bits of the four.
func unpackQ6_K(x *[q6KBytes]byte, lv *[gguf.QK_K]int8, scales *[16]int32) {
	for h := range 2 {
		ql := x[64*h : 64*h+64]
		qh := x[q6KQh+32*h : q6KQh+32*h+32]
		out := lv[128*h : 128*h+128]
		for l, q := range qh {
			out[l] = int8(ql[l]&0xf|q&3<<4) - 32
			out[l+32] = int8(ql[l+32]&0xf|q>>2&3<<4) - 32
			out[l+64] = int8(ql[l]>>4|q>>4&3<<4) - 32
			out[l+96] = int8(ql[l+32]>>4|q>>6<<4) - 32
		}
	}
	for j, s := range x[q6KScales:q6KD] {
		scales[j] = int32(int8(s))
	}
}
