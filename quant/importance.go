package quant

import "math"

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
