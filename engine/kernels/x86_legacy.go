package kernels

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// The 32-element block types in llama.cpp's x86 order (x86.go). The AVX2
// vec_dot of each type (ggml-cpu-quants.c) and llamafile's tinyBLAS_Q0_AVX
// both multiply a block's 32 levels with the activation levels into 8
// integer lanes, lane t holding the sum over elements 4t..4t+3 (VPDPBUSD, or
// maddubs then madd), convert the lanes to float32 and add them to 8 float32
// accumulators with one FMA by the block's scale dw·da (exact: two fp16
// values); hsum8 adds the accumulators at the end. Q4_1 and Q5_1 add the
// minimum's part m·s per block to a separate float32 sum (exact products,
// so fused or not is the same), added after hsum8. IQ4_NL's vec_dot splits
// the blocks between two accumulators (even and odd blocks). The repacked
// Q4_0 kernels (dotQ4_0x8) keep one accumulator and no lanes.

// Block lanes: lane t (t < 8) of one block holds Σ_{e=4t}^{4t+3} w[e]·a[e],
// the weight levels w (signed; unsigned for Q4_1 and Q5_1, whose minimum is
// added separately) times the activation levels a (signed bytes). Elements
// 0..15 are the low nibbles of bytes 0..15, 16..31 the high ones, so lanes
// t and t+4 come from the same four bytes.

func lanesQ4_0(q *[16]byte, a *[gguf.QK]byte) (l [8]int32) {
	for t := range 4 {
		var lo, hi int32
		for i := 4 * t; i < 4*t+4; i++ {
			lo += (int32(q[i]&0xf) - 8) * int32(int8(a[i]))
			hi += (int32(q[i]>>4) - 8) * int32(int8(a[16+i]))
		}
		l[t], l[t+4] = lo, hi
	}
	return l
}

func lanesQ4_1(q *[16]byte, a *[gguf.QK]byte) (l [8]int32) {
	for t := range 4 {
		var lo, hi int32
		for i := 4 * t; i < 4*t+4; i++ {
			lo += int32(q[i]&0xf) * int32(int8(a[i]))
			hi += int32(q[i]>>4) * int32(int8(a[16+i]))
		}
		l[t], l[t+4] = lo, hi
	}
	return l
}

// lanesQ5 is Q5_0 (offset 16) or Q5_1 (offset 0): bit e of qh is the fifth
// bit of element e.
func lanesQ5(q *[16]byte, qh uint32, a *[gguf.QK]byte, offset int32) (l [8]int32) {
	for t := range 4 {
		var lo, hi int32
		for i := 4 * t; i < 4*t+4; i++ {
			lo += (int32(q[i]&0xf|byte(qh>>i&1)<<4) - offset) * int32(int8(a[i]))
			hi += (int32(q[i]>>4|byte(qh>>(i+16)&1)<<4) - offset) * int32(int8(a[16+i]))
		}
		l[t], l[t+4] = lo, hi
	}
	return l
}

func lanesQ8_0(w, a *[gguf.QK]byte) (l [8]int32) {
	for t := range l {
		e := 4 * t
		l[t] = int32(int8(w[e]))*int32(int8(a[e])) + int32(int8(w[e+1]))*int32(int8(a[e+1])) +
			int32(int8(w[e+2]))*int32(int8(a[e+2])) + int32(int8(w[e+3]))*int32(int8(a[e+3]))
	}
	return l
}

func lanesIQ4_NL(q *[16]byte, a *[gguf.QK]byte) (l [8]int32) {
	for t := range 4 {
		var lo, hi int32
		for i := 4 * t; i < 4*t+4; i++ {
			lo += iq4nlValues[q[i]&0xf] * int32(int8(a[i]))
			hi += iq4nlValues[q[i]>>4] * int32(int8(a[16+i]))
		}
		l[t], l[t+4] = lo, hi
	}
	return l
}

// vecDotQ4_0 is ggml_vec_dot_q4_0_q8_0 (AVX2), which is also tinyBLAS_Q0's
// order for a batch of unrepacked Q4_0 weights.
func vecDotQ4_0(w, a []byte, n int) float32 {
	var acc [8]float32
	for b := range n / gguf.QK {
		x := (*[q4_0Bytes]byte)(w[b*q4_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		l := lanesQ4_0((*[16]byte)(x[2:]), (*[gguf.QK]byte)(y[2:]))
		fmaLanes(&acc, fp16(x[:])*fp16(y[:]), &l)
	}
	return hsum8(&acc)
}

// dotQ4_0x8 is the q4_0_8x8 GEMM and GEMV of repacked Q4_0 weights
// (ggml-cpu-aarch64.cpp, AVX2 and AVX-512 alike): per block the exact
// integer sum of all 32 products, acc = fma(isum, dw·da, acc).
func dotQ4_0x8(w, a []byte, n int) float32 {
	var acc float32
	for b := range n / gguf.QK {
		x := (*[q4_0Bytes]byte)(w[b*q4_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		var s0, s1 int32
		for j := range gguf.QK / 2 {
			q := x[2+j]
			s0 += (int32(q&0xf) - 8) * int32(int8(y[2+j]))
			s1 += (int32(q>>4) - 8) * int32(int8(y[18+j]))
		}
		acc = fma32(float32(s0+s1), fp16(x[:])*fp16(y[:]), acc)
	}
	return acc
}

// vecDotQ4_1 is ggml_vec_dot_q4_1_q8_1 (AVX2): hsum8 of the lanes plus
// Σ m·s.
func vecDotQ4_1(w, a []byte, n int) float32 {
	var acc [8]float32
	var summs float32
	for b := range n / gguf.QK {
		x := (*[q4_1Bytes]byte)(w[b*q4_1Bytes:])
		y := (*[q8_1Bytes]byte)(a[b*q8_1Bytes:])
		summs += float32(fp16(x[2:]) * fp16(y[2:]))
		l := lanesQ4_1((*[16]byte)(x[4:]), (*[gguf.QK]byte)(y[4:]))
		fmaLanes(&acc, fp16(x[:])*fp16(y[:]), &l)
	}
	return hsum8(&acc) + summs
}

// vecDotQ5_0 is ggml_vec_dot_q5_0_q8_0 (AVX2), also tinyBLAS_Q0's order.
func vecDotQ5_0(w, a []byte, n int) float32 {
	var acc [8]float32
	for b := range n / gguf.QK {
		x := (*[q5_0Bytes]byte)(w[b*q5_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		l := lanesQ5((*[16]byte)(x[6:]), binary.LittleEndian.Uint32(x[2:]), (*[gguf.QK]byte)(y[2:]), 16)
		fmaLanes(&acc, fp16(x[:])*fp16(y[:]), &l)
	}
	return hsum8(&acc)
}

// vecDotQ5_1 is ggml_vec_dot_q5_1_q8_1 (AVX2).
func vecDotQ5_1(w, a []byte, n int) float32 {
	var acc [8]float32
	var summs float32
	for b := range n / gguf.QK {
		x := (*[q5_1Bytes]byte)(w[b*q5_1Bytes:])
		y := (*[q8_1Bytes]byte)(a[b*q8_1Bytes:])
		summs += float32(fp16(x[2:]) * fp16(y[2:]))
		l := lanesQ5((*[16]byte)(x[8:]), binary.LittleEndian.Uint32(x[4:]), (*[gguf.QK]byte)(y[4:]), 0)
		fmaLanes(&acc, fp16(x[:])*fp16(y[:]), &l)
	}
	return hsum8(&acc) + summs
}

// vecDotQ8_0 is ggml_vec_dot_q8_0_q8_0 (AVX2), also tinyBLAS_Q0's order.
func vecDotQ8_0(w, a []byte, n int) float32 {
	var acc [8]float32
	for b := range n / gguf.QK {
		x := (*[q8_0Bytes]byte)(w[b*q8_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		l := lanesQ8_0((*[gguf.QK]byte)(x[2:]), (*[gguf.QK]byte)(y[2:]))
		fmaLanes(&acc, fp16(x[:])*fp16(y[:]), &l)
	}
	return hsum8(&acc)
}

// gemmIQ4_NL is tinyBLAS_Q0_AVX for IQ4_NL weights: the lanes of all blocks
// in one accumulator.
func gemmIQ4_NL(w, a []byte, n int) float32 {
	var acc [8]float32
	for b := range n / gguf.QK {
		x := (*[q4_0Bytes]byte)(w[b*q4_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		l := lanesIQ4_NL((*[16]byte)(x[2:]), (*[gguf.QK]byte)(y[2:]))
		fmaLanes(&acc, fp16(x[:])*fp16(y[:]), &l)
	}
	return hsum8(&acc)
}

// vecDotIQ4_NL is ggml_vec_dot_iq4_nl_q8_0 (AVX2): blocks in pairs, the
// first of each pair into accum1, the second into accum2, hsum8 of their
// lane sums; an odd last block is added after, d·isum fused by GCC.
func vecDotIQ4_NL(w, a []byte, n int) float32 {
	var acc1, acc2 [8]float32
	nb := n / gguf.QK
	b := 0
	for ; b+1 < nb; b += 2 {
		x := (*[q4_0Bytes]byte)(w[b*q4_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		l := lanesIQ4_NL((*[16]byte)(x[2:]), (*[gguf.QK]byte)(y[2:]))
		fmaLanes(&acc1, fp16(y[:])*fp16(x[:]), &l)
		x = (*[q4_0Bytes]byte)(w[(b+1)*q4_0Bytes:])
		y = (*[q8_0Bytes]byte)(a[(b+1)*q8_0Bytes:])
		l = lanesIQ4_NL((*[16]byte)(x[2:]), (*[gguf.QK]byte)(y[2:]))
		fmaLanes(&acc2, fp16(y[:])*fp16(x[:]), &l)
	}
	for t := range acc1 {
		acc1[t] += acc2[t]
	}
	sum := hsum8(&acc1)
	for ; b < nb; b++ {
		x := (*[q4_0Bytes]byte)(w[b*q4_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		var s int32
		for j := range gguf.QK / 2 {
			q := x[2+j]
			s += iq4nlValues[q&0xf]*int32(int8(y[2+j])) + iq4nlValues[q>>4]*int32(int8(y[18+j]))
		}
		sum = fma32(fp16(y[:])*fp16(x[:]), float32(s), sum)
	}
	return sum
}
