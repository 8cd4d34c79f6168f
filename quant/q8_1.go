package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Q8_1 block, 32 elements in 36 bytes. It is the type the CPU dot products of
// Q4_1 and Q5_1 weights quantize activations to; llama.cpp never writes it to
// a file.
//
//	bytes 0-1   d, fp16 little-endian: the scale
//	bytes 2-3   s, fp16 little-endian: d times the sum of the 32 levels, so
//	            that a weight block's minimum m contributes m·s to a dot
//	            product without touching the levels
//	bytes 4-35  qs: element j as a signed byte (two's complement)
//
// Element value = q * d, q in -127..127.
const q8_1Bytes = 2 + 2 + gguf.QK

// QuantizeQ8_1 encodes src into Q8_1 blocks as llama.cpp's
// quantize_row_q8_1_ref does: the levels are those of Q8_0 (d = max|x| / 127,
// each element rounded to the nearest level, halves away from zero) and s is
// the sum of the levels times d (unrounded), stored as fp16. len(src) must be
// a multiple of 32 and len(dst) 36 bytes per 32 values; src must be finite.
func QuantizeQ8_1(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		y := dst[b*q8_1Bytes : (b+1)*q8_1Bytes]
		d := q8Levels(y[4:], x)
		var sum int32
		for _, q := range y[4:] {
			sum += int32(int8(q))
		}
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		binary.LittleEndian.PutUint16(y[2:], FP32ToFP16(float32(sum)*d))
	}
}

// DequantizeQ8_1 decodes Q8_1 blocks: len(src) must be 36 bytes per 32
// values of dst. The sum s is not read.
func DequantizeQ8_1(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK {
		x := src[b*q8_1Bytes : (b+1)*q8_1Bytes]
		y := dst[b*gguf.QK : (b+1)*gguf.QK]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x))
		for j, q := range x[4:] {
			y[j] = float32(int8(q)) * d
		}
	}
}
