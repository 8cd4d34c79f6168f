package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Q5_1 block, 32 elements in 24 bytes:
//
//	bytes 0-1   d, fp16 little-endian: the scale
//	bytes 2-3   m, fp16 little-endian: the minimum
//	bytes 4-7   qh, uint32 little-endian: bit j is bit 4 (the fifth bit)
//	            of element j
//	bytes 8-23  qs: the low 4 bits; byte j holds element j in its low
//	            nibble and element j+16 in its high nibble
//
// Element value = q*d + m, q in 0..31.
const q5_1Bytes = 2 + 2 + 4 + gguf.QK/2

// QuantizeQ5_1 encodes src into Q5_1 blocks as llama.cpp's
// quantize_row_q5_1_ref does: the block's minimum becomes m and the range
// max-min is split into 31 steps. len(src) must be a multiple of 32 and
// len(dst) 24 bytes per 32 values; src must be finite.
func QuantizeQ5_1(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		y := dst[b*q5_1Bytes : (b+1)*q5_1Bytes]
		lo, hi := legacyMinMax(x)
		d := (hi - lo) / 31
		id := inverseOrZero(d)
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		binary.LittleEndian.PutUint16(y[2:], FP32ToFP16(lo))
		var qh uint32
		for j := range gguf.QK / 2 {
			// The product is rounded before adding 0.5, as in the C code,
			// which (unlike Q4_1) does not clamp: (max-min)*id stays below
			// 31.5.
			q0 := uint32(float32((x[j]-lo)*id) + 0.5)
			q1 := uint32(float32((x[j+gguf.QK/2]-lo)*id) + 0.5)
			y[8+j] = byte(q0&0xf) | byte(q1&0xf)<<4
			qh |= (q0>>4&1)<<j | (q1>>4&1)<<(j+gguf.QK/2)
		}
		binary.LittleEndian.PutUint32(y[4:], qh)
	}
}

// QuantizeQ5_1Weighted encodes one row src into Q5_1 blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q5_1_impl does (llama-quantize with an importance matrix):
// each block's scale and min come from searchScaleMin with weights
// qw·sqrt(σ² + x²), σ² the mean square of the whole row, instead of the
// block's range. len(src) must be a multiple of 32 and len(dst) 24 bytes per
// 32 values.
func QuantizeQ5_1Weighted(dst []byte, src, qw []float32) {
	var L, laux [gguf.QK]uint8
	legacyWeighted(dst, src, qw, q5_1Bytes, func(y []byte, x, w []float32) {
		d, m := searchScaleMin(x, w, 31, -0.9, 0.05, 36, false, L[:], laux[:])
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		binary.LittleEndian.PutUint16(y[2:], FP32ToFP16(-m))
		packFiveBits(y[4:], &L)
	})
}

// DequantizeQ5_1 decodes Q5_1 blocks: len(src) must be 24 bytes per 32
// values of dst.
func DequantizeQ5_1(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK {
		x := src[b*q5_1Bytes : (b+1)*q5_1Bytes]
		y := dst[b*gguf.QK : (b+1)*gguf.QK]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x))
		m := FP16ToFP32(binary.LittleEndian.Uint16(x[2:]))
		qh := binary.LittleEndian.Uint32(x[4:])
		for j, q := range x[8:] {
			q0 := uint32(q&0xf) | (qh>>j&1)<<4
			q1 := uint32(q>>4) | (qh>>(j+gguf.QK/2)&1)<<4
			y[j] = float32(float32(q0)*d) + m
			y[j+gguf.QK/2] = float32(float32(q1)*d) + m
		}
	}
}
