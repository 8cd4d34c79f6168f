package quant

import (
	"encoding/binary"
	"math"

	"nibble/engine/gguf"
)

// Q8_K block, 256 elements in 292 bytes. It is the type the CPU dot products
// of the K-quants quantize activations to; it never appears in files.
//
//	bytes   0-3    d, float32 little-endian: the scale
//	bytes   4-259  qs: int8 level of element e at byte 4+e
//	bytes 260-291  bsums: int16 little-endian sum of qs[16g..16g+15] for
//	               group g = 0..15, at byte 260+2g
//
// Element e value = d · qs[e].
const (
	q8KBytes = 4 + gguf.QK_K + gguf.QK_K/16*2
	q8KBsums = 4 + gguf.QK_K
)

// QuantizeQ8_K encodes src into Q8_K blocks as llama.cpp's
// quantize_row_q8_K_ref does: the element of largest magnitude m (the first
// one on a tie) maps to level -127 exactly, the others to
// round(-127/m · x) capped at 127 (ties to even), and d = 1/(-127/m).
// An all-zero block has d, qs and bsums 0 (llama.cpp leaves bsums unwritten
// there; nothing reads them since d is 0). len(src) must be a multiple of 256
// and len(dst) 292 bytes per 256 values.
func QuantizeQ8_K(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK_K {
		x := src[b*gguf.QK_K : (b+1)*gguf.QK_K]
		y := dst[b*q8KBytes : (b+1)*q8KBytes]
		xmax, amax := signedAbsMax(x)
		if amax == 0 {
			clear(y)
			continue
		}
		iscale := -127 / xmax
		qs := y[4:q8KBsums]
		for i, v := range x {
			qs[i] = byte(int8(min(127, nearestInt(iscale*v))))
		}
		for g := range gguf.QK_K / 16 {
			var sum int
			for _, q := range qs[16*g : 16*g+16] {
				sum += int(int8(q))
			}
			binary.LittleEndian.PutUint16(y[q8KBsums+2*g:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(y, math.Float32bits(1/iscale))
	}
}

// DequantizeQ8_K decodes Q8_K blocks: len(src) must be 292 bytes per 256
// values of dst. The bsums are not read.
func DequantizeQ8_K(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK_K {
		x := src[b*q8KBytes : (b+1)*q8KBytes]
		y := dst[b*gguf.QK_K : (b+1)*gguf.QK_K]
		d := math.Float32frombits(binary.LittleEndian.Uint32(x))
		for i, q := range x[4:q8KBsums] {
			y[i] = d * float32(int8(q))
		}
	}
}
