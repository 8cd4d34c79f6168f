package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Q4_0 block, 32 elements in 18 bytes:
//
//	bytes 0-1   d, fp16 little-endian: the scale
//	bytes 2-17  qs: byte j holds element j in its low nibble and element
//	            j+16 in its high nibble
//
// Element value = (q - 8) * d, q in 0..15.
const q4_0Bytes = 2 + gguf.QK/2

// QuantizeQ4_0 encodes src into Q4_0 blocks as llama.cpp's
// quantize_row_q4_0_ref does: the element of largest magnitude (the first one
// on a tie) maps to level -8 exactly, so d = max / -8 can be negative.
// len(src) must be a multiple of 32 and len(dst) 18 bytes per 32 values; src
// must be finite.
func QuantizeQ4_0(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		y := dst[b*q4_0Bytes : (b+1)*q4_0Bytes]
		m, _ := signedAbsMax(x)
		d := m / -8
		id := inverseOrZero(d)
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		for j := range gguf.QK / 2 {
			// float32(...) keeps the product rounded before the add, as the
			// C code (built without FMA) does; 8.5 then truncation rounds
			// half up after shifting to 0..16.
			lo := min(15, int32(float32(x[j]*id)+8.5))
			hi := min(15, int32(float32(x[j+gguf.QK/2]*id)+8.5))
			y[2+j] = byte(lo) | byte(hi)<<4
		}
	}
}

// QuantizeQ4_0Weighted encodes one row src into Q4_0 blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q4_0_impl does (llama-quantize with an importance matrix):
// each block's scale comes from searchScaleSymWeighted with weights
// qw·sqrt(σ² + x²), σ² the mean square of the whole row, instead of
// max/-8. len(src) must be a multiple of 32 and len(dst) 18 bytes per 32
// values.
func QuantizeQ4_0Weighted(dst []byte, src, qw []float32) {
	var L [gguf.QK]int8
	legacyWeighted(dst, src, qw, q4_0Bytes, func(y []byte, x, w []float32) {
		d := searchScaleSymWeighted(x, w, 8, L[:])
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		packNibbles(y[2:], &L)
	})
}

// DequantizeQ4_0 decodes Q4_0 blocks: len(src) must be 18 bytes per 32
// values of dst.
func DequantizeQ4_0(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK {
		x := src[b*q4_0Bytes : (b+1)*q4_0Bytes]
		y := dst[b*gguf.QK : (b+1)*gguf.QK]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x))
		for j, q := range x[2:] {
			y[j] = float32(int32(q&0xf)-8) * d
			y[j+gguf.QK/2] = float32(int32(q>>4)-8) * d
		}
	}
}
