package quant

import (
	"encoding/binary"
	"math"

	"nibble/engine/gguf"
)

// Q4_1 block, 32 elements in 20 bytes:
//
//	bytes 0-1   d, fp16 little-endian: the scale
//	bytes 2-3   m, fp16 little-endian: the minimum
//	bytes 4-19  qs: byte j holds element j in its low nibble and element
//	            j+16 in its high nibble
//
// Element value = q*d + m, q in 0..15.
const q4_1Bytes = 2 + 2 + gguf.QK/2

// QuantizeQ4_1 encodes src into Q4_1 blocks as llama.cpp's
// quantize_row_q4_1_ref does: the block's minimum becomes m and the range
// max-min is split into 15 steps. len(src) must be a multiple of 32 and
// len(dst) 20 bytes per 32 values; src must be finite.
func QuantizeQ4_1(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		y := dst[b*q4_1Bytes : (b+1)*q4_1Bytes]
		lo, hi := legacyMinMax(x)
		d := (hi - lo) / 15
		id := inverseOrZero(d)
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		binary.LittleEndian.PutUint16(y[2:], FP32ToFP16(lo))
		for j := range gguf.QK / 2 {
			// The product is rounded before adding 0.5, as in the C code.
			q0 := min(15, int32(float32((x[j]-lo)*id)+0.5))
			q1 := min(15, int32(float32((x[j+gguf.QK/2]-lo)*id)+0.5))
			y[4+j] = byte(q0) | byte(q1)<<4
		}
	}
}

// QuantizeQ4_1Weighted encodes one row src into Q4_1 blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q4_1_impl does (llama-quantize with an importance matrix):
// each block's scale and min come from searchScaleMin with weights
// qw·sqrt(σ² + x²), σ² the mean square of the whole row, instead of the
// block's range. len(src) must be a multiple of 32 and len(dst) 20 bytes per
// 32 values.
func QuantizeQ4_1Weighted(dst []byte, src, qw []float32) {
	var L, laux [gguf.QK]uint8
	legacyWeighted(dst, src, qw, q4_1Bytes, func(y []byte, x, w []float32) {
		d, m := searchScaleMin(x, w, 15, -0.9, 0.05, 36, false, L[:], laux[:])
		binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
		binary.LittleEndian.PutUint16(y[2:], FP32ToFP16(-m))
		packNibbles(y[4:], &L)
	})
}

// DequantizeQ4_1 decodes Q4_1 blocks: len(src) must be 20 bytes per 32
// values of dst.
func DequantizeQ4_1(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK {
		x := src[b*q4_1Bytes : (b+1)*q4_1Bytes]
		y := dst[b*gguf.QK : (b+1)*gguf.QK]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x))
		m := FP16ToFP32(binary.LittleEndian.Uint16(x[2:]))
		for j, q := range x[4:] {
			y[j] = float32(float32(q&0xf)*d) + m
			y[j+gguf.QK/2] = float32(float32(q>>4)*d) + m
		}
	}
}

// legacyMinMax returns the smallest and largest elements of x (x non-empty).
// Plain comparisons rather than the min/max builtins, so that a block whose
// minimum is zero keeps the first zero's sign as the C code does (the
// builtins prefer -0 to +0).
func legacyMinMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}
