package kernels

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Dot products of the 32-element block types with Q8_0 or Q8_1 activations
// (block layouts: quant/q4_0.go, q4_1.go, q5_0.go, q5_1.go, q8_0.go,
// q8_1.go, iq4_nl.go). Per block: an exact integer sum of weight level ×
// activation level, then one float32 scaling added to a float32 total, in the
// operand order of ggml's generic ggml_vec_dot_*_q8_0/q8_1.

// Block sizes in bytes.
const (
	q4_0Bytes = 2 + gguf.QK/2
	q4_1Bytes = 2 + 2 + gguf.QK/2
	q5_0Bytes = 2 + 4 + gguf.QK/2
	q5_1Bytes = 2 + 2 + 4 + gguf.QK/2
	q8_0Bytes = 2 + gguf.QK
	q8_1Bytes = 2 + 2 + gguf.QK
)

// dotQ4_0 multiplies Q4_0 weights (levels q-8) with Q8_0 activations:
// sum += isum·dw·da.
func dotQ4_0(w, a []byte, n int) float32 {
	var sum float32
	for b := range n / gguf.QK {
		x := (*[q4_0Bytes]byte)(w[b*q4_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		var s0, s1 int32
		for j := range gguf.QK / 2 {
			q := x[2+j]
			s0 += (int32(q&0xf) - 8) * int32(int8(y[2+j]))
			s1 += (int32(q>>4) - 8) * int32(int8(y[18+j]))
		}
		sum += float32(float32(s0+s1) * fp16(x[:]) * fp16(y[:]))
	}
	return sum
}

// dotQ4_1 multiplies Q4_1 weights (levels q·d + m) with Q8_1 activations:
// sum += (dw·da)·isum + m·s, where s = da·Σ activation levels.
func dotQ4_1(w, a []byte, n int) float32 {
	var sum float32
	for b := range n / gguf.QK {
		x := (*[q4_1Bytes]byte)(w[b*q4_1Bytes:])
		y := (*[q8_1Bytes]byte)(a[b*q8_1Bytes:])
		var s0, s1 int32
		for j := range gguf.QK / 2 {
			q := x[4+j]
			s0 += int32(q&0xf) * int32(int8(y[4+j]))
			s1 += int32(q>>4) * int32(int8(y[20+j]))
		}
		sum += float32(fp16(x[:])*fp16(y[:])*float32(s0+s1)) + float32(fp16(x[2:])*fp16(y[2:]))
	}
	return sum
}

// dotQ5_0 multiplies Q5_0 weights (levels q-16, the fifth bit in qh) with
// Q8_0 activations: sum += (dw·da)·isum.
func dotQ5_0(w, a []byte, n int) float32 {
	var sum float32
	for b := range n / gguf.QK {
		x := (*[q5_0Bytes]byte)(w[b*q5_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		qh := binary.LittleEndian.Uint32(x[2:])
		var s0, s1 int32
		for j := range gguf.QK / 2 {
			q := x[6+j]
			q0 := (int32(q&0xf) | int32(qh>>j&1)<<4) - 16
			q1 := (int32(q>>4) | int32(qh>>(j+16)&1)<<4) - 16
			s0 += q0 * int32(int8(y[2+j]))
			s1 += q1 * int32(int8(y[18+j]))
		}
		sum += float32(fp16(x[:]) * fp16(y[:]) * float32(s0+s1))
	}
	return sum
}

// dotQ5_1 multiplies Q5_1 weights (levels q·d + m, the fifth bit in qh) with
// Q8_1 activations: sum += (dw·da)·isum + m·s.
func dotQ5_1(w, a []byte, n int) float32 {
	var sum float32
	for b := range n / gguf.QK {
		x := (*[q5_1Bytes]byte)(w[b*q5_1Bytes:])
		y := (*[q8_1Bytes]byte)(a[b*q8_1Bytes:])
		qh := binary.LittleEndian.Uint32(x[4:])
		var s0, s1 int32
		for j := range gguf.QK / 2 {
			q := x[8+j]
			q0 := int32(q&0xf) | int32(qh>>j&1)<<4
			q1 := int32(q>>4) | int32(qh>>(j+16)&1)<<4
			s0 += q0 * int32(int8(y[4+j]))
			s1 += q1 * int32(int8(y[20+j]))
		}
		sum += float32(fp16(x[:])*fp16(y[:])*float32(s0+s1)) + float32(fp16(x[2:])*fp16(y[2:]))
	}
	return sum
}

// dotQ8_0 multiplies Q8_0 weights with Q8_0 activations:
// sum += isum·(dw·da).
func dotQ8_0(w, a []byte, n int) float32 {
	var sum float32
	for b := range n / gguf.QK {
		x := (*[q8_0Bytes]byte)(w[b*q8_0Bytes:])
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		var s0, s1 int32
		for j := 2; j < q8_0Bytes; j += 2 {
			s0 += int32(int8(x[j])) * int32(int8(y[j]))
			s1 += int32(int8(x[j+1])) * int32(int8(y[j+1]))
		}
		sum += float32(float32(s0+s1) * (fp16(x[:]) * fp16(y[:])))
	}
	return sum
}

// iq4nlValues is ggml's kvalues_iq4nl: the level each 4-bit index of an
// IQ4_NL block stands for.
var iq4nlValues = [16]int32{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// dotIQ4_NL multiplies IQ4_NL weights (levels iq4nlValues[q]) with Q8_0
// activations: sum += (da·dw)·isum.
func dotIQ4_NL(w, a []byte, n int) float32 {
	var sum float32
	for b := range n / gguf.QK {
		x := (*[q4_0Bytes]byte)(w[b*q4_0Bytes:]) // IQ4_NL blocks have Q4_0's shape
		y := (*[q8_0Bytes]byte)(a[b*q8_0Bytes:])
		var s0, s1 int32
		for j := range gguf.QK / 2 {
			q := x[2+j]
			s0 += iq4nlValues[q&0xf] * int32(int8(y[2+j]))
			s1 += iq4nlValues[q>>4] * int32(int8(y[18+j]))
		}
		sum += float32(fp16(y[:]) * fp16(x[:]) * float32(s0+s1))
	}
	return sum
}
