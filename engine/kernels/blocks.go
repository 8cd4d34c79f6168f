package kernels

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"

	"nibble/engine/gguf"
	"nibble/quant"
)

// The block layouts the kernels read (as written by the quant package:
// quant/q4_0.go … q8_k.go): sizes, field offsets, and the decoding of
// scales and levels.

// Block sizes in bytes.
const (
	q4_0Bytes = 2 + gguf.QK/2
	q4_1Bytes = 2 + 2 + gguf.QK/2
	q5_0Bytes = 2 + 4 + gguf.QK/2
	q5_1Bytes = 2 + 2 + 4 + gguf.QK/2
	q8_0Bytes = 2 + gguf.QK
	q8_1Bytes = 2 + 2 + gguf.QK
)

// iq4nlValues is ggml's kvalues_iq4nl: the level each 4-bit index of an
// IQ4_NL block stands for.
var iq4nlValues = [16]int32{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// K-quant block sizes in bytes and field offsets.
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

// f16Table maps every half float bit pattern to its float32 value, as ggml's
// table_f32_f16 does: one load instead of unpacking sign, exponent and
// mantissa per element.
var f16Table [1 << 16]float32

func init() {
	for h := range f16Table {
		f16Table[h] = quant.FP16ToFP32(uint16(h))
	}
}

// levelSum returns the sum of the 32 signed 8-bit levels of a Q8_0 block
// (q: the block after its scale), 8 at a time: the unsigned bytes' sum by
// adding 16-bit pairs, minus 256 for every negative byte.
func levelSum(q *[gguf.QK]byte) int32 {
	var s int32
	for i := 0; i < gguf.QK; i += 8 {
		x := binary.LittleEndian.Uint64(q[i:])
		pairs := x&0x00ff00ff00ff00ff + x>>8&0x00ff00ff00ff00ff // four sums ≤ 510
		u := pairs * 0x0001000100010001 >> 48                   // their total ≤ 2040, in the top field
		s += int32(u) - 256*int32(bits.OnesCount64(x&0x8080808080808080))
	}
	return s
}

// fp16 decodes the little-endian half float at b[0:2].
func fp16(b []byte) float32 { return f16Table[binary.LittleEndian.Uint16(b)] }

// bf16 decodes the little-endian bfloat16 at b[0:2].
func bf16(b []byte) float32 { return quant.BF16ToFP32(binary.LittleEndian.Uint16(b)) }

// f32View reinterprets the first n little-endian float32 values of b without
// copying (every platform Nibble ships on is little-endian). Tensor data in
// a GGUF file is aligned to 32 bytes and Go allocates byte slices aligned to
// 8, so the values are aligned in practice.
func f32View(b []byte, n int) []float32 {
	if n == 0 {
		return nil
	}
	b = b[:4*n]
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
}

// Unpacking of the K-quant super-blocks into one signed level per element
// (lv) and one integer scale per sub-block, used by the
// x86-order kernels (x86_kquants.go).

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
