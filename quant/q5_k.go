package quant

import "nibble/engine/gguf"

// Q5_K super-block, 256 elements in 176 bytes:
//
//	bytes  0-1    d, fp16 little-endian: scale of the sub-block scales
//	bytes  2-3    dmin, fp16 little-endian: scale of the sub-block mins
//	bytes  4-15   6-bit scale and 6-bit min of each sub-block of 32 elements,
//	              packed as described at k4Scales (kquant_asym.go)
//	bytes 16-47   qh: bit 4 of the levels. Byte 16+l holds in bit 2p that of
//	              element 64p+l and in bit 2p+1 that of element 64p+32+l
//	              (p = 0..3, l = 0..31)
//	bytes 48-175  qs: bits 0-3 of the levels. Byte 48+32p+l holds element
//	              64p+l in its low nibble and 64p+32+l in its high nibble
//
// Element e of sub-block j = e/32 decodes as (d·sc_j)·q − dmin·m_j, q in 0..31.
const (
	q5KQh    = k4Header
	q5KQs    = q5KQh + gguf.QK_K/8
	q5KBytes = q5KQs + gguf.QK_K/2
)

// QuantizeQ5_K encodes src into Q5_K blocks as llama.cpp's
// quantize_row_q5_K_ref does (what llama-quantize uses without an importance
// matrix): a scale-and-min search per sub-block of 32 with 16 candidate
// scales, then 6-bit quantization of the scales and mins.
// len(src) must be a multiple of 256 and len(dst) 176 bytes per 256 values.
func QuantizeQ5_K(dst []byte, src []float32) {
	var L [gguf.QK_K]uint8
	for b := range len(src) / gguf.QK_K {
		y := dst[b*q5KBytes : (b+1)*q5KBytes]
		quantizeK4SuperBlock(y, src[b*gguf.QK_K:(b+1)*gguf.QK_K], 31, -0.5, 15, &L)
		q5KPack(y, &L)
	}
}

// QuantizeQ5_KWeighted encodes one row src into Q5_K blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q5_K_impl does (llama-quantize with an importance matrix; see
// quantizeK4SuperBlockWeighted). len(src) must be a multiple of 256 and
// len(dst) 176 bytes per 256 values.
func QuantizeQ5_KWeighted(dst []byte, src, qw []float32) {
	var L [gguf.QK_K]uint8
	for b := range len(src) / gguf.QK_K {
		y := dst[b*q5KBytes : (b+1)*q5KBytes]
		quantizeK4SuperBlockWeighted(y, src[b*gguf.QK_K:(b+1)*gguf.QK_K], qw[b*gguf.QK_K:], 31, true, &L)
		q5KPack(y, &L)
	}
}

// q5KPack packs the levels L (0..31) into the qh and qs of the block y.
func q5KPack(y []byte, L *[gguf.QK_K]uint8) {
	qh := y[q5KQh:q5KQs]
	clear(qh)
	for p := range 4 {
		qs := y[q5KQs+32*p : q5KQs+32*p+32]
		for l := range qs {
			l1, l2 := L[64*p+l], L[64*p+32+l]
			qh[l] |= l1>>4<<(2*p) | l2>>4<<(2*p+1)
			qs[l] = l1&0xf | l2<<4
		}
	}
}

// DequantizeQ5_K decodes Q5_K blocks: len(src) must be 176 bytes per 256
// values of dst.
func DequantizeQ5_K(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK_K {
		x := src[b*q5KBytes : (b+1)*q5KBytes]
		y := dst[b*gguf.QK_K : (b+1)*gguf.QK_K]
		qh := x[q5KQh:q5KQs]
		sd, sm := k4SubScalesMins(x)
		for p := range 4 {
			qs := x[q5KQs+32*p : q5KQs+32*p+32]
			d1, m1 := sd[2*p], sm[2*p]
			d2, m2 := sd[2*p+1], sm[2*p+1]
			y1 := y[64*p : 64*p+32]
			y2 := y[64*p+32 : 64*p+64]
			for l, q := range qs {
				q1 := q&0xf | qh[l]>>(2*p)&1<<4
				q2 := q>>4 | qh[l]>>(2*p+1)&1<<4
				y1[l] = float32(d1*float32(q1)) - m1
				y2[l] = float32(d2*float32(q2)) - m2
			}
		}
	}
}
