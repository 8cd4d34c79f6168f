package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Q5_0 block, 32 elements in 22 bytes:
//
//	bytes 0-1   d, fp16 little-endian: the scale
//	bytes 2-5   qh, uint32 little-endian: bit j is bit 4 (the fifth bit)
//	            of element j
//	bytes 6-21  qs: the low 4 bits; byte j holds element j in its low
//	            nibble and element j+16 in its high nibble
//
// Element value = (q - 16) * d, q in 0..31.
const q5_0Bytes = 2 + 4 + gguf.QK/2

// QuantizeQ5_0 encodes src into Q5_0 blocks as llama.cpp's
// quantize_row_q5_0_ref does: the element of largest magnitude (the first one
// on a tie) maps to level -16 exactly, so d = max / -16 can be negative.
// len(src) must be a multiple of 32 and len(dst) 22 bytes per 32 values; src
// must be finite.
func QuantizeQ5_0(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		y := dst[b*q5_0Bytes : (b+1)*q5_0Bytes]
		m, _ := signedAbsMax(x)
		d := m / -16
		id := inverseOrZero(d)
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		var qh uint32
		for j := range gguf.QK / 2 {
			// The product is rounded before adding 16.5, as in the C code.
			q0 := uint32(min(31, int32(float32(x[j]*id)+16.5)))
			q1 := uint32(min(31, int32(float32(x[j+gguf.QK/2]*id)+16.5)))
			y[6+j] = byte(q0&0xf) | byte(q1&0xf)<<4
			qh |= (q0>>4&1)<<j | (q1>>4&1)<<(j+gguf.QK/2)
		}
		binary.LittleEndian.PutUint32(y[2:], qh)
	}
}

// QuantizeQ5_0Weighted encodes one row src into Q5_0 blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q5_0_impl does (llama-quantize with an importance matrix):
// each block's scale comes from searchScaleSymWeighted with weights
// qw·sqrt(σ² + x²), σ² the mean square of the whole row, instead of
// max/-16. len(src) must be a multiple of 32 and len(dst) 22 bytes per 32
// values.
func QuantizeQ5_0Weighted(dst []byte, src, qw []float32) {
	var L [gguf.QK]int8
	legacyWeighted(dst, src, qw, q5_0Bytes, func(y []byte, x, w []float32) {
		d := searchScaleSymWeighted(x, w, 16, L[:])
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		packFiveBits(y[2:], &L)
	})
}

// DequantizeQ5_0 decodes Q5_0 blocks: len(src) must be 22 bytes per 32
// values of dst.
func DequantizeQ5_0(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK {
		x := src[b*q5_0Bytes : (b+1)*q5_0Bytes]
		y := dst[b*gguf.QK : (b+1)*gguf.QK]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x))
		qh := binary.LittleEndian.Uint32(x[2:])
		for j, q := range x[6:] {
			q0 := int32(q&0xf) | int32(qh>>j&1)<<4
			q1 := int32(q>>4) | int32(qh>>(j+gguf.QK/2)&1)<<4
			y[j] = float32(q0-16) * d
			y[j+gguf.QK/2] = float32(q1-16) * d
		}
	}
}
