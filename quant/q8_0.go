package quant

import (
	"encoding/binary"
	"math"

	"nibble/engine/gguf"
)

// Q8_0 block, 32 elements in 34 bytes:
//
//	bytes 0-1   d, fp16 little-endian: the scale
//	bytes 2-33  qs: element j as a signed byte (two's complement)
//
// Element value = q * d, q in -127..127.
const q8_0Bytes = 2 + gguf.QK

// QuantizeQ8_0 encodes src into Q8_0 blocks as llama.cpp's
// quantize_row_q8_0_ref does: d = max|x| / 127 and each element is rounded
// to the nearest level, halves away from zero (C's roundf). len(src) must be
// a multiple of 32 and len(dst) 34 bytes per 32 values; src must be finite.
func QuantizeQ8_0(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		y := dst[b*q8_0Bytes : (b+1)*q8_0Bytes]
		d := q8Levels(y[2:], x)
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
	}
}

// q8Levels writes the Q8_0 levels of the 32 values x into qs and returns
// their scale d = max|x| / 127, not yet rounded to fp16 (Q8_1 uses it so).
func q8Levels(qs []byte, x []float32) (d float32) {
	_, amax := signedAbsMax(x)
	d = amax / 127
	id := inverseOrZero(d)
	for j, v := range x {
		qs[j] = byte(int8(math.Round(float64(v * id))))
	}
	return d
}

// DequantizeQ8_0 decodes Q8_0 blocks: len(src) must be 34 bytes per 32
// values of dst.
func DequantizeQ8_0(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK {
		x := src[b*q8_0Bytes : (b+1)*q8_0Bytes]
		y := dst[b*gguf.QK : (b+1)*gguf.QK]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x))
		for j, q := range x[2:] {
			y[j] = float32(int8(q)) * d
		}
	}
}
