package quant

import "nibble/engine/gguf"

// Q4_K super-block, 256 elements in 144 bytes:
//
//	bytes  0-1    d, fp16 little-endian: scale of the sub-block scales
//	bytes  2-3    dmin, fp16 little-endian: scale of the sub-block mins
//	bytes  4-15   6-bit scale and 6-bit min of each sub-block of 32 elements,
//	              packed as described at k4Scales (kquant_asym.go)
//	bytes 16-143  qs: 4-bit levels. Sub-block pair p (elements 64p..64p+63)
//	              uses bytes 16+32p..16+32p+31: byte 16+32p+l holds element
//	              64p+l in its low nibble and 64p+32+l in its high nibble
//
// Element e of sub-block j = e/32 decodes as (d·sc_j)·q − dmin·m_j, q in 0..15.
const q4KBytes = k4Header + gguf.QK_K/2

// QuantizeQ4_K encodes src into Q4_K blocks as llama.cpp's
// quantize_row_q4_K_ref does (what llama-quantize uses without an importance
// matrix): a scale-and-min search per sub-block of 32 with 21 candidate
// scales, then 6-bit quantization of the scales and mins.
// len(src) must be a multiple of 256 and len(dst) 144 bytes per 256 values.
func QuantizeQ4_K(dst []byte, src []float32) {
	var L [gguf.QK_K]uint8
	for b := range len(src) / gguf.QK_K {
		y := dst[b*q4KBytes : (b+1)*q4KBytes]
		quantizeK4SuperBlock(y, src[b*gguf.QK_K:(b+1)*gguf.QK_K], 15, -1, 20, &L)
		q4KPack(y, &L)
	}
}

// QuantizeQ4_KWeighted encodes one row src into Q4_K blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q4_K_impl does (llama-quantize with an importance matrix; see
// quantizeK4SuperBlockWeighted). len(src) must be a multiple of 256 and
// len(dst) 144 bytes per 256 values.
func QuantizeQ4_KWeighted(dst []byte, src, qw []float32) {
	var L [gguf.QK_K]uint8
	for b := range len(src) / gguf.QK_K {
		y := dst[b*q4KBytes : (b+1)*q4KBytes]
		quantizeK4SuperBlockWeighted(y, src[b*gguf.QK_K:(b+1)*gguf.QK_K], qw[b*gguf.QK_K:], 15, false, &L)
		q4KPack(y, &L)
	}
}

// q4KPack packs the levels L (0..15) into the qs of the block y.
func q4KPack(y []byte, L *[gguf.QK_K]uint8) {
	for p := range 4 {
		qs := y[k4Header+32*p : k4Header+32*p+32]
		for l := range qs {
			qs[l] = L[64*p+l] | L[64*p+32+l]<<4
		}
	}
}

// DequantizeQ4_K decodes Q4_K blocks: len(src) must be 144 bytes per 256
// values of dst.
func DequantizeQ4_K(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK_K {
		x := src[b*q4KBytes : (b+1)*q4KBytes]
		y := dst[b*gguf.QK_K : (b+1)*gguf.QK_K]
		sd, sm := k4SubScalesMins(x)
		for p := range 4 {
			qs := x[k4Header+32*p : k4Header+32*p+32]
			d1, m1 := sd[2*p], sm[2*p]
			d2, m2 := sd[2*p+1], sm[2*p+1]
			y1 := y[64*p : 64*p+32]
			y2 := y[64*p+32 : 64*p+64]
			for l, q := range qs {
				y1[l] = float32(d1*float32(q&0xf)) - m1
				y2[l] = float32(d2*float32(q>>4)) - m2
			}
		}
	}
}
