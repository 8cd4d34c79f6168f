package quant

import (
	"encoding/binary"
	"math"

	"nibble/engine/gguf"
)

// Importance-weighted quantization. With an importance matrix llama.cpp
// quantizes a row with quantize_q4_0(…, quant_weights) and its siblings
// instead of the …_ref functions: qw[i], the mean squared activation that
// column i of the weight matrix met on calibration text (the same for every
// row), says how much an error in that column costs. Most types turn it into
// a per-element search weight
//
//	w_i = qw_i · sqrt(σ² + x_i²)
//
// (σ² the mean square of the row, super-block or block, depending on the
// type) and run least-squares scale searches with it; Q6_K uses qw as is.
// The Go functions follow ggml-quants.c of llama.cpp c392e50 (February 2025)
// operation by operation in float32, without fused multiply-adds, like the
// unweighted ones. No llama.cpp file quantized with an importance matrix is in
// the shared test data, so that equality is by construction, not measured.
//
// Where c392e50 divides 0 by 0 and stores a NaN scale (a block whose
// importance weights are all zero), these functions store 0, as llama.cpp
// does since August 2025 (ggml-quants: fix make_qp_quants NANs, and the
// IQ4_NL guard of March 2026); everywhere else they keep c392e50's choices.

// sumSquares returns Σx², summed in order in float32 like the C loops.
func sumSquares(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += float32(v * v)
	}
	return s
}

// importanceWeights writes w_i = qw_i · sqrt(sigma2 + x_i²) into w, the
// search weight of element i: its importance, times a magnitude that keeps
// small elements from being ignored. len(w) and len(qw) must be len(x).
func importanceWeights(w, x, qw []float32, sigma2 float32) {
	w, qw = w[:len(x)], qw[:len(x)]
	for i, v := range x {
		// sqrt in float64 rounded once to float32 is sqrtf exactly.
		w[i] = qw[i] * float32(math.Sqrt(float64(sigma2+float32(v*v))))
	}
}

// sum returns Σx, summed in order in float32.
func sum(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}

// legacyWeighted runs block on each 32-value block x of the row src, with y
// the block's blockBytes of dst and w its search weights qw·sqrt(σ² + x²), σ²
// the mean square of the whole row: the loop shared by the weighted Q4_0,
// Q4_1, Q5_0 and Q5_1 (quantize_row_q4_0_impl and its siblings).
func legacyWeighted(dst []byte, src, qw []float32, blockBytes int, block func(y []byte, x, w []float32)) {
	var w [gguf.QK]float32
	sigma2 := sumSquares(src) / float32(len(src))
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		importanceWeights(w[:], x, qw[b*gguf.QK:], sigma2)
		block(dst[b*blockBytes:(b+1)*blockBytes], x, w[:])
	}
}

// packNibbles packs the levels L (0..15) of a 32-value block into the 16
// bytes qs: byte j holds L[j] in its low nibble and L[j+16] in its high one.
func packNibbles[T int8 | uint8](qs []byte, L *[gguf.QK]T) {
	for j := range gguf.QK / 2 {
		qs[j] = byte(L[j]) | byte(L[j+gguf.QK/2])<<4
	}
}

// packFiveBits packs the levels L (0..31) of a 32-value block into b as
// Q5_0 and Q5_1 store them: the fifth bits as a little-endian uint32 qh
// (bit j for L[j]) in b[0:4], then the low 4 bits as packNibbles does.
func packFiveBits[T int8 | uint8](b []byte, L *[gguf.QK]T) {
	var qh uint32
	for j := range gguf.QK / 2 {
		q0, q1 := uint32(L[j]), uint32(L[j+gguf.QK/2])
		b[4+j] = byte(q0&0xf) | byte(q1&0xf)<<4
		qh |= (q0>>4&1)<<j | (q1>>4&1)<<(j+gguf.QK/2)
	}
	binary.LittleEndian.PutUint32(b, qh)
}
