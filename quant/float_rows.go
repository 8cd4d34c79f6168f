package quant

import (
	"encoding/binary"
	"math"
	"sync"
)

// The plain float types store one element per "block": F32 as 4 bytes, F16
// and BF16 as 2 bytes, all little-endian, in row order.

// QuantizeF32 writes src as little-endian float32 values (4 bytes each).
func QuantizeF32(dst []byte, src []float32) {
	dst = dst[:4*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// DequantizeF32 reads little-endian float32 values, 4 bytes per element.
func DequantizeF32(dst []float32, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// QuantizeF16 rounds each value to IEEE half precision (nearest, ties to
// even; past ±65504 gives ±Inf) as ggml_fp32_to_fp16_row does, and writes it
// little-endian, 2 bytes per element.
func QuantizeF16(dst []byte, src []float32) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		// Inline fast path (4x faster) for |v| in [2^-14, 2^16), the usual
		// case for weights, where the result is a normal half or Inf;
		// FP32ToFP16 (too large to inline) does the rest. Adding 0xfff plus
		// the lowest kept bit rounds the 13 dropped bits to nearest even;
		// a carry moves into the exponent, which is right, and from 65520
		// on yields exactly Inf (0x7c00).
		b := math.Float32bits(v)
		if u := b & 0x7fffffff; u-minNormalHalfBits < twoTo16Bits-minNormalHalfBits {
			u += 0xfff + u>>13&1
			h := uint16(b>>16)&0x8000 | uint16(u>>13-(127-15)<<10)
			binary.LittleEndian.PutUint16(dst[2*i:], h)
			continue
		}
		binary.LittleEndian.PutUint16(dst[2*i:], FP32ToFP16(v))
	}
}

// Float32 bit patterns bounding QuantizeF16's fast path: 2^-14, the smallest
// normal half, and 2^16, past the largest value the carry trick handles.
const (
	minNormalHalfBits = 0x38800000
	twoTo16Bits       = 0x47800000
)

// DequantizeF16 reads little-endian half floats, 2 bytes per element.
func DequantizeF16(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	values := fp16Values()
	for i := range dst {
		dst[i] = values[binary.LittleEndian.Uint16(src[2*i:])]
	}
}

// fp16Values maps every half float to FP16ToFP32's value for it, bit for
// bit. Decoding is the first step of converting an F16 model, and a lookup
// is about three times faster than FP16ToFP32's branches; the table
// (256 KiB) is built on first use only.
var fp16Values = sync.OnceValue(func() *[1 << 16]float32 {
	t := new([1 << 16]float32)
	for h := range t {
		t[h] = FP16ToFP32(uint16(h))
	}
	return t
})

// QuantizeBF16 rounds each value to bfloat16 (nearest, ties to even; NaN
// stays a quiet NaN) as ggml_fp32_to_bf16_row_ref does, and writes it
// little-endian, 2 bytes per element.
func QuantizeBF16(dst []byte, src []float32) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], FP32ToBF16(v))
	}
}

// DequantizeBF16 reads little-endian bfloat16 values, 2 bytes per element.
func DequantizeBF16(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = BF16ToFP32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}
