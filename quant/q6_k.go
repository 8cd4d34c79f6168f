package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Q6_K super-block, 256 elements in 210 bytes:
//
//	bytes   0-127  ql: low 4 bits of the levels. Half h (elements 128h..128h+127)
//	               uses ql[64h..64h+63]: byte 64h+l holds element 128h+l in its
//	               low nibble and 128h+l+64 in its high nibble, byte 64h+32+l
//	               holds 128h+l+32 and 128h+l+96 (l = 0..31)
//	bytes 128-191  qh: high 2 bits. Byte 128+32h+l holds, from bit 0 up, those of
//	               elements 128h+l, +32, +64, +96
//	bytes 192-207  scales: int8 scale of each sub-block of 16 elements
//	bytes 208-209  d, fp16 little-endian: the super-block scale
//
// Element e value = (d · scales[e/16]) · (q - 32), q in 0..63.
const (
	q6KBytes   = gguf.QK_K/2 + gguf.QK_K/4 + gguf.QK_K/16 + 2
	q6KQh      = gguf.QK_K / 2
	q6KScales  = q6KQh + gguf.QK_K/4
	q6KD       = q6KScales + gguf.QK_K/16
	q6KSubSize = 16
)

// QuantizeQ6_K encodes src into Q6_K blocks as llama.cpp's
// quantize_row_q6_K_ref does (what llama-quantize uses without an importance
// matrix): each sub-block of 16 gets its scale from searchScaleSym, the 16
// scales are quantized to int8 against the one of largest magnitude (which
// maps to -128), and the values are then re-rounded with those stored scales.
// len(src) must be a multiple of 256 and len(dst) 210 bytes per 256 values.
func QuantizeQ6_K(dst []byte, src []float32) { quantizeQ6K(dst, src, nil) }

// QuantizeQ6_KWeighted encodes one row src into Q6_K blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q6_K_impl does (llama-quantize with an importance matrix): as
// QuantizeQ6_K, with qw itself, not x², as the weights of each sub-block's
// scale search. len(src) must be a multiple of 256 and len(dst) 210 bytes per
// 256 values.
func QuantizeQ6_KWeighted(dst []byte, src, qw []float32) { quantizeQ6K(dst, src, qw) }

// quantizeQ6K is QuantizeQ6_K with the search weights qw, nil for x².
func quantizeQ6K(dst []byte, src, qw []float32) {
	var L [gguf.QK_K]int8
	var scales [gguf.QK_K / q6KSubSize]float32
	for b := range len(src) / gguf.QK_K {
		x := src[b*gguf.QK_K : (b+1)*gguf.QK_K]
		y := dst[b*q6KBytes : (b+1)*q6KBytes]

		for j := range scales {
			var w []float32
			if qw != nil {
				w = qw[b*gguf.QK_K+j*q6KSubSize : b*gguf.QK_K+(j+1)*q6KSubSize]
			}
			scales[j] = searchScaleSymWeighted(x[j*q6KSubSize:(j+1)*q6KSubSize], w, 32, L[j*q6KSubSize:(j+1)*q6KSubSize])
		}
		maxScale, maxAbsScale := signedAbsMax(scales[:])
		if maxAbsScale < groupMaxEpsSym {
			clear(y)
			continue
		}

		iscale := -128 / maxScale
		binary.LittleEndian.PutUint16(y[q6KD:], FP32ToFP16(1/iscale))
		for j, s := range scales {
			y[q6KScales+j] = byte(int8(min(127, nearestInt(iscale*s))))
		}

		// Re-round with the scales as stored.
		d := FP16ToFP32(binary.LittleEndian.Uint16(y[q6KD:]))
		for j := range scales {
			sd := d * float32(int8(y[q6KScales+j]))
			symRequantize(x[j*q6KSubSize:(j+1)*q6KSubSize], 32, sd, L[j*q6KSubSize:])
		}

		for h := range 2 {
			ql := y[64*h : 64*h+64]
			qh := y[q6KQh+32*h : q6KQh+32*h+32]
			q := L[128*h : 128*h+128]
			for l := range 32 {
				q1, q2, q3, q4 := byte(q[l]), byte(q[l+32]), byte(q[l+64]), byte(q[l+96])
				ql[l] = q1&0xf | q3<<4
				ql[l+32] = q2&0xf | q4<<4
				qh[l] = q1>>4 | q2>>4<<2 | q3>>4<<4 | q4>>4<<6
			}
		}
	}
}

// DequantizeQ6_K decodes Q6_K blocks: len(src) must be 210 bytes per 256
// values of dst.
func DequantizeQ6_K(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK_K {
		x := src[b*q6KBytes : (b+1)*q6KBytes]
		y := dst[b*gguf.QK_K : (b+1)*gguf.QK_K]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x[q6KD:]))
		for h := range 2 {
			ql := x[64*h : 64*h+64]
			qh := x[q6KQh+32*h : q6KQh+32*h+32]
			sc := x[q6KScales+8*h : q6KScales+8*h+8]
			yh := y[128*h : 128*h+128]
			for l := range 32 {
				is := l / 16
				q1 := int32(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
				q2 := int32(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				// (d·scale)·q in this order, as in llama.cpp.
				yh[l] = d * float32(int8(sc[is])) * float32(q1)
				yh[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				yh[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				yh[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}
