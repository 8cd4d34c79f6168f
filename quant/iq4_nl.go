package quant

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// IQ4_NL block, 32 elements in 18 bytes:
//
//	bytes 0-1   d, fp16 little-endian: the scale
//	bytes 2-17  qs: byte j holds the level index of element j in its low
//	            nibble and that of element j+16 in its high nibble
//
// Element value = d * iq4nlValues[q], q in 0..15: a fixed non-linear grid,
// denser near zero, that is not symmetric (-127 but +113), so the sign of d
// matters.
const iq4nlBytes = 2 + gguf.QK/2

// iq4nlValues is ggml's kvalues_iq4nl, held as float32 (every int8 converts
// exactly, so arithmetic on them matches the C code's implicit conversions).
var iq4nlValues = [16]float32{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// iq4nlTries is the ntry llama.cpp's quantize_iq4_nl passes: the scale search
// tries the 2·7+1 inverse scales (v - 127)/max, v = -7..7.
const iq4nlTries = 7

// QuantizeIQ4_NL encodes src into IQ4_NL blocks as llama.cpp's
// quantize_iq4_nl does without an importance matrix (what llama-quantize
// writes when a Q2_K or Q3_K mix falls back to IQ4_NL): per block, weights
// x², a least-squares scale search over 16 candidate scales, d stored as
// fp16 and the levels picked again with the unrounded scale. Every product
// is rounded to float32 on its own, as the C code (built without FMA)
// computes it. len(src) must be a multiple of 32 and len(dst) 18 bytes per
// 32 values; src must be finite.
func QuantizeIQ4_NL(dst []byte, src []float32) {
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		y := dst[b*iq4nlBytes : (b+1)*iq4nlBytes]
		var w [gguf.QK]float32
		for j, v := range x {
			w[j] = float32(v * v)
		}
		iq4nlBlock(y, x, &w)
	}
}

// QuantizeIQ4_NLWeighted encodes src into IQ4_NL blocks with the importance
// weights qw (one per element of src), as llama.cpp's quantize_iq4_nl does
// with an importance matrix: as QuantizeIQ4_NL, with search weights
// qw·sqrt(σ² + x²), σ² twice the mean square of the block, instead of x².
// len(src) must be a multiple of 32 and len(dst) 18 bytes per 32 values.
func QuantizeIQ4_NLWeighted(dst []byte, src, qw []float32) {
	var w [gguf.QK]float32
	for b := range len(src) / gguf.QK {
		x := src[b*gguf.QK : (b+1)*gguf.QK]
		// C: sigma2 = Σx², then *= 2.f/32 (exactly 1/16).
		importanceWeights(w[:], x, qw[b*gguf.QK:], sumSquares(x)*(2.0/gguf.QK))
		iq4nlBlock(dst[b*iq4nlBytes:(b+1)*iq4nlBytes], x, &w)
	}
}

// iq4nlBlock encodes the 32 values x with the search weights w into the
// block y: the scale from iq4nlScale, stored as fp16, and each level the grid
// point nearest to x/d with the unrounded d.
func iq4nlBlock(y []byte, x []float32, w *[gguf.QK]float32) {
	d := iq4nlScale(x, w)
	binary.LittleEndian.PutUint16(y, FP32ToFP16(d))
	id := inverseOrZero(d)
	for j := range gguf.QK / 2 {
		lo := iq4nlIndex(float32(id * x[j]))
		hi := iq4nlIndex(float32(id * x[j+gguf.QK/2]))
		y[2+j] = byte(lo) | byte(hi)<<4
	}
}

// DequantizeIQ4_NL decodes IQ4_NL blocks: len(src) must be 18 bytes per 32
// values of dst.
func DequantizeIQ4_NL(dst []float32, src []byte) {
	for b := range len(dst) / gguf.QK {
		x := src[b*iq4nlBytes : (b+1)*iq4nlBytes]
		y := dst[b*gguf.QK : (b+1)*gguf.QK]
		d := FP16ToFP32(binary.LittleEndian.Uint16(x))
		for j, q := range x[2:] {
			y[j] = d * iq4nlValues[q&0xf]
			y[j+gguf.QK/2] = d * iq4nlValues[q>>4]
		}
	}
}

// iq4nlScale returns the scale of one block of 32 values, unrounded, as
// quantize_row_iq4_nl_impl finds it with ntry 7 and the weights w: starting
// from d = max/127 (max the element of largest magnitude, sign kept, the
// first on a tie), then for each inverse scale (v - 127)/max, v = -7..7, the
// levels are the nearest grid points and the least-squares scale
// Σw·q·x / Σw·q² replaces d when it explains more of Σw·x² (strictly more,
// so the earlier candidate wins a tie). A block whose largest magnitude is
// below ggml's GROUP_MAX_EPS (1e-15) gets 0, and so does one whose weights
// are all zero (c392e50 stores NaN there, see importance.go).
func iq4nlScale(x []float32, w *[gguf.QK]float32) float32 {
	max, amax := signedAbsMax(x[:gguf.QK])
	if amax < 1e-15 {
		return 0
	}
	// C: d = -max/values[0]; its levels use id = 1/d.
	sumqx, sumq2 := iq4nlSums(x, w, 1/(-max/iq4nlValues[0]))
	if !(sumq2 > 0) {
		return 0
	}
	d := sumqx / sumq2
	best := float32(d * sumqx)
	for itry := -iq4nlTries; itry <= iq4nlTries; itry++ {
		// C: (itry + values[0]) is an int, converted then divided.
		sumqx, sumq2 := iq4nlSums(x, w, float32(itry-127)/max)
		if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
			d = sumqx / sumq2
			best = float32(d * sumqx)
		}
	}
	return d
}

// iq4nlSums maps each x·id to its nearest grid level q and returns Σw·q·x
// and Σw·q², accumulated in order with each product rounded as in C
// ((w·q)·x, then the add).
func iq4nlSums(x []float32, w *[gguf.QK]float32, id float32) (sumqx, sumq2 float32) {
	for j, v := range x[:gguf.QK] {
		q := iq4nlValues[iq4nlIndex(float32(id*v))]
		wq := float32(w[j] * q)
		sumqx += float32(wq * v)
		sumq2 += float32(wq * q)
	}
	return sumqx, sumq2
}

// iq4nlIndex returns the index of the grid value nearest to x, as ggml's
// best_index_int8 (the February 2025 binary search): below the grid 0, above
// it 15, and between two neighbours a and b the lower one only when
// x - a < b - x, each difference rounded to float32, so an exact midpoint
// goes up.
func iq4nlIndex(x float32) int {
	x = float32(x) // keeps a product passed as x from being fused below
	if x <= iq4nlValues[0] {
		return 0
	}
	if x >= iq4nlValues[15] {
		return 15
	}
	lo, hi := 0, 15
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x < iq4nlValues[mid] {
			hi = mid
		} else {
			lo = mid
		}
	}
	if x-iq4nlValues[hi-1] < iq4nlValues[hi]-x {
		return hi - 1
	}
	return hi
}
