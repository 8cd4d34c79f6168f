package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Q3_K super-block, 256 elements in 110 bytes:
//
//	bytes   0-31   hmask: bit 2 of the levels. Bit e/32 of byte e%32 is set
//	               when element e's level is 4..7
//	bytes  32-95   qs: low 2 bits of the levels. Half h (elements
//	               128h..128h+127) uses qs[32h..32h+31]: byte 32h+l holds,
//	               from bit 0 up, those of elements 128h+l, +32, +64, +96
//	bytes  96-107  scales: 16 6-bit sub-block scales stored as s+32. Low 4
//	               bits: scale j < 8 in the low nibble of byte j, scale j >= 8
//	               in the high nibble of byte j-8. High 2 bits: bits 2(j/4),
//	               2(j/4)+1 of byte 8 + j%4
//	bytes 108-109  d, fp16 little-endian: the super-block scale
//
// Element e value = (d · s[e/16]) · (q - 4), s in -32..31, q in 0..7.
const (
	q3KBytes   = gguf.QK_K/8 + gguf.QK_K/4 + 12 + 2
	q3KQs      = gguf.QK_K / 8
	q3KScales  = q3KQs + gguf.QK_K/4
	q3KD       = q3KScales + 12
	q3KSubSize = 16
)

// QuantizeQ3_K encodes src into Q3_K blocks as llama.cpp's
// quantize_row_q3_K_ref does (what llama-quantize uses without an importance
// matrix): each sub-block of 16 gets its scale from searchScaleQ3, the 16
// scales are quantized to 6 bits against the one of largest magnitude (which
// maps to -32), and the values are then re-rounded with those stored scales.
// len(src) must be a multiple of 256 and len(dst) 110 bytes per 256 values.
func QuantizeQ3_K(dst []byte, src []float32) {
	var L [gguf.QK_K]int8
	var scales [gguf.QK_K / q3KSubSize]float32
	for b := range len(src) / gguf.QK_K {
		x := src[b*gguf.QK_K : (b+1)*gguf.QK_K]
		y := dst[b*q3KBytes : (b+1)*q3KBytes]

		for j := range scales {
			scales[j] = searchScaleQ3(x[j*q3KSubSize:(j+1)*q3KSubSize], 4, L[j*q3KSubSize:(j+1)*q3KSubSize])
		}
		maxScale, _ := signedAbsMax(scales[:])

		sc := y[q3KScales:q3KD]
		clear(sc)
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j, s := range scales {
				// The C code stores the rounded value in an int8 before
				// clamping; harmless in range, kept for identical wrapping.
				q3KPackScale(sc, j, 32+max(-32, min(31, int(int8(nearestInt(iscale*s))))))
			}
			binary.LittleEndian.PutUint16(y[q3KD:], FP32ToFP16(1/iscale))
		} else {
			binary.LittleEndian.PutUint16(y[q3KD:], 0)
		}
		q3KFinish(y, x, &L)
	}
}

// QuantizeQ3_KWeighted encodes one row src into Q3_K blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q3_K_impl does (llama-quantize with an importance matrix):
// search weights qw·sqrt(σ² + x²), σ² twice the mean square of the
// super-block; each sub-block of 16 gets its scale from
// searchScaleSymWeighted; the 16 scales are quantized to 6 bits by the same
// search, weighted by each sub-block's total weight; then the values are
// re-rounded with the scales as stored. len(src) must be a multiple of 256
// and len(dst) 110 bytes per 256 values.
func QuantizeQ3_KWeighted(dst []byte, src, qw []float32) {
	var (
		L          [gguf.QK_K]int8
		w          [q3KSubSize]float32
		scales, sw [gguf.QK_K / q3KSubSize]float32
		ls         [gguf.QK_K / q3KSubSize]int8
	)
	for b := range len(src) / gguf.QK_K {
		x := src[b*gguf.QK_K : (b+1)*gguf.QK_K]
		y := dst[b*q3KBytes : (b+1)*q3KBytes]
		sigma2 := 2 * sumSquares(x) / gguf.QK_K
		for j := range scales {
			sub := x[j*q3KSubSize : (j+1)*q3KSubSize]
			importanceWeights(w[:], sub, qw[b*gguf.QK_K+j*q3KSubSize:], sigma2)
			sw[j] = sum(w[:])
			scales[j] = searchScaleSymWeighted(sub, w[:], 4, L[j*q3KSubSize:(j+1)*q3KSubSize])
		}
		// The levels come back offset by 32: the stored form.
		d := searchScaleSymWeighted(scales[:], sw[:], 32, ls[:])
		sc := y[q3KScales:q3KD]
		clear(sc)
		for j, l := range ls {
			q3KPackScale(sc, j, int(l))
		}
		binary.LittleEndian.PutUint16(y[q3KD:], FP32ToFP16(d))
		q3KFinish(y, x, &L)
	}
}

// q3KPackScale stores the 6-bit scale l (0..63, the signed scale + 32) of
// sub-block j into the 12 scale bytes sc, which must start zeroed.
func q3KPackScale(sc []byte, j, l int) {
	if j < 8 {
		sc[j] = byte(l & 0xf)
	} else {
		sc[j-8] |= byte(l&0xf) << 4
	}
	sc[8+j%4] |= byte(l>>4) << (2 * (j / 4))
}

// q3KFinish re-rounds the levels L (offset by 4) of the super-block x with
// the scales and d already stored in y, and packs them into hmask and qs.
func q3KFinish(y []byte, x []float32, L *[gguf.QK_K]int8) {
	d := FP16ToFP32(binary.LittleEndian.Uint16(y[q3KD:]))
	sc := y[q3KScales:q3KD]
	for j := range gguf.QK_K / q3KSubSize {
		sd := d * float32(q3KScale(sc, j))
		symRequantize(x[j*q3KSubSize:(j+1)*q3KSubSize], 4, sd, L[j*q3KSubSize:])
	}

	hmask := y[:q3KQs]
	clear(hmask)
	for e, l := range L {
		if l > 3 {
			hmask[e%32] |= 1 << (e / 32)
			L[e] = l - 4
		}
	}
	for h := range 2 {
		qs := y[q3KQs+32*h : q3KQs+32*h+32]
		q := L[128*h : 128*h+128]
		for l := range 32 {
			qs[l] = byte(q[l]) | byte(q[l+32])<<2 | byte(q[l+64])<<4 | byte(q[l+96])<<6
		}
	}
}

// q3KScale unpacks the signed 6-bit scale of sub-block j (0..15) from the
// 12 packed scale bytes.
func q3KScale(sc []byte, j int) int8 {
	var lo byte
	if j < 8 {
		lo = sc[j] & 0xf
	} else {
		lo = sc[j-8] >> 4
	}
	hi := sc[8+j%4] >> (2 * (j / 4)) & 3
	return int8(lo|hi<<4) - 32
}

// DequantizeQ3_K decodes Q3_K blocks: len(src) must be 110 bytes per 256
// values of dst.
func DequantizeQ3_K(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK_K {
		x := src[b*q3KBytes : (b+1)*q3KBytes]
		y := dst[b*gguf.QK_K : (b+1)*gguf.QK_K]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x[q3KD:]))
		hmask := x[:q3KQs]
		sc := x[q3KScales:q3KD]
		for j := range gguf.QK_K / q3KSubSize {
			dl := d * float32(q3KScale(sc, j))
			for e := j * q3KSubSize; e < (j+1)*q3KSubSize; e++ {
				h, r := e/128, e%128
				q := int32(x[q3KQs+32*h+r%32] >> (2 * (r / 32)) & 3)
				if hmask[e%32]&(1<<(e/32)) == 0 {
					q -= 4
				}
				y[e] = dl * float32(q)
			}
		}
	}
}
