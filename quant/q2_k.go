package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Q2_K super-block, 256 elements in 84 bytes:
//
//	bytes  0-15  scales: byte j holds the 4-bit scale of sub-block j (elements
//	             16j..16j+15) in its low nibble and its 4-bit min in the high one
//	bytes 16-79  qs: 2-bit levels. Half h (elements 128h..128h+127) uses bytes
//	             16+32h..16+32h+31: byte 16+32h+l holds elements 128h+l,
//	             +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7
//	bytes 80-81  d, fp16 little-endian: scale of the sub-block scales
//	bytes 82-83  dmin, fp16 little-endian: scale of the sub-block mins
//
// Element e of sub-block j = e/16 decodes as (d·sc_j)·q − dmin·m_j, q in 0..3.
const (
	q2KQs      = gguf.QK_K / 16
	q2KD       = q2KQs + gguf.QK_K/4
	q2KDMin    = q2KD + 2
	q2KBytes   = q2KDMin + 2
	q2KSubSize = 16
)

// QuantizeQ2_K encodes src into Q2_K blocks as llama.cpp's
// quantize_row_q2_K_ref does (what llama-quantize uses without an importance
// matrix): a scale-and-min search per sub-block of 16 with weights |x| and
// the absolute error, then 4-bit quantization of the 16 scales and 16 mins
// against the largest of each (stored as d = max/15, dmin likewise), and the
// levels recomputed with the scales as stored. A sub-block whose stored
// scale is 0 keeps the levels of its search.
// len(src) must be a multiple of 256 and len(dst) 84 bytes per 256 values.
func QuantizeQ2_K(dst []byte, src []float32) {
	var (
		L            [gguf.QK_K]uint8
		laux         [q2KSubSize]uint8
		w            [q2KSubSize]float32
		scales, mins [gguf.QK_K / q2KSubSize]float32
	)
	for b := range len(src) / gguf.QK_K {
		x := src[b*gguf.QK_K : (b+1)*gguf.QK_K]
		y := dst[b*q2KBytes : (b+1)*q2KBytes]

		for j := range scales {
			sub := x[j*q2KSubSize : (j+1)*q2KSubSize]
			for l, v := range sub {
				w[l] = abs32(v)
			}
			scales[j], mins[j] = searchScaleMin(sub, w[:], 3, -0.5, 0.1, 15, true, L[j*q2KSubSize:], laux[:])
		}
		maxSc, maxMin := maxPositive(scales[:]), maxPositive(mins[:])

		// The nibbles are not clamped: the largest rounds to exactly 15.
		sc := y[:q2KQs]
		clear(sc)
		var d, dmin float32
		if maxSc > 0 {
			iscale := 15 / maxSc
			for j, s := range scales {
				sc[j] = uint8(nearestInt(iscale * s))
			}
			d = maxSc / 15
		}
		if maxMin > 0 {
			iscale := 15 / maxMin
			for j, m := range mins {
				sc[j] |= uint8(nearestInt(iscale*m) << 4)
			}
			dmin = maxMin / 15
		}
		binary.LittleEndian.PutUint16(y[q2KD:], FP32ToFP16(d))
		binary.LittleEndian.PutUint16(y[q2KDMin:], FP32ToFP16(dmin))
		q2KFinish(y, x, &L)
	}
}

// QuantizeQ2_KWeighted encodes one row src into Q2_K blocks with the
// importance weights qw (one per element of src), as llama.cpp's
// quantize_row_q2_K_impl does (llama-quantize with an importance matrix):
// search weights qw·sqrt(σ² + x²), σ² the mean square of the super-block; a
// scale-and-min search per sub-block of 16 with 37 candidates and the squared
// error; the 16 scales and the 16 mins quantized to 4 bits by
// searchScalePositive, weighted by each sub-block's total weight; then the
// levels recomputed with the scales as stored. len(src) must be a multiple of
// 256 and len(dst) 84 bytes per 256 values.
func QuantizeQ2_KWeighted(dst []byte, src, qw []float32) {
	var (
		L                [gguf.QK_K]uint8
		laux             [q2KSubSize]uint8
		w                [q2KSubSize]float32
		scales, mins, sw [gguf.QK_K / q2KSubSize]float32
		ls, lm           [gguf.QK_K / q2KSubSize]uint8
	)
	for b := range len(src) / gguf.QK_K {
		x := src[b*gguf.QK_K : (b+1)*gguf.QK_K]
		y := dst[b*q2KBytes : (b+1)*q2KBytes]
		sigma2 := sumSquares(x) / gguf.QK_K
		for j := range scales {
			sub := x[j*q2KSubSize : (j+1)*q2KSubSize]
			importanceWeights(w[:], sub, qw[b*gguf.QK_K+j*q2KSubSize:], sigma2)
			sw[j] = sum(w[:])
			scales[j], mins[j] = searchScaleMin(sub, w[:], 3, -0.9, 0.05, 36, false, L[j*q2KSubSize:], laux[:])
		}
		d := searchScalePositive(scales[:], sw[:], 15, ls[:])
		dmin := searchScalePositive(mins[:], sw[:], 15, lm[:])
		binary.LittleEndian.PutUint16(y[q2KD:], FP32ToFP16(d))
		binary.LittleEndian.PutUint16(y[q2KDMin:], FP32ToFP16(dmin))
		for j := range scales {
			y[j] = ls[j] | lm[j]<<4
		}
		q2KFinish(y, x, &L)
	}
}

// q2KFinish re-rounds the levels L of the super-block x with the scales,
// mins, d and dmin already stored in y, and packs them into y's qs.
func q2KFinish(y []byte, x []float32, L *[gguf.QK_K]uint8) {
	d := FP16ToFP32(binary.LittleEndian.Uint16(y[q2KD:]))
	dmin := FP16ToFP32(binary.LittleEndian.Uint16(y[q2KDMin:]))
	for j, sc := range y[:q2KQs] {
		sd, sm := float32(d*float32(sc&0xf)), float32(dmin*float32(sc>>4))
		asymRequantize(x[j*q2KSubSize:(j+1)*q2KSubSize], 3, sd, sm, L[j*q2KSubSize:])
	}
	for h := range 2 {
		qs := y[q2KQs+32*h : q2KQs+32*h+32]
		q := L[128*h : 128*h+128]
		for l := range qs {
			qs[l] = q[l] | q[l+32]<<2 | q[l+64]<<4 | q[l+96]<<6
		}
	}
}

// DequantizeQ2_K decodes Q2_K blocks: len(src) must be 84 bytes per 256
// values of dst.
func DequantizeQ2_K(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK_K {
		x := src[b*q2KBytes : (b+1)*q2KBytes]
		y := dst[b*gguf.QK_K : (b+1)*gguf.QK_K]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x[q2KD:]))
		dmin := FP16ToFP32(binary.LittleEndian.Uint16(x[q2KDMin:]))
		for j := range gguf.QK_K / q2KSubSize {
			// Sub-block j lies in half j/8, bytes 16·(j%2).. of it, bit pair (j%8)/2.
			qs := x[q2KQs+32*(j/8)+16*(j%2):][:q2KSubSize]
			shift := 2 * (j % 8 / 2)
			dl := float32(d * float32(x[j]&0xf))
			ml := float32(dmin * float32(x[j]>>4))
			yj := y[j*q2KSubSize : (j+1)*q2KSubSize]
			for l, q := range qs {
				yj[l] = float32(dl*float32(q>>shift&3)) - ml
			}
		}
	}
}
