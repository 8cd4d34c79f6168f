package quant

import "math"

// FP32ToFP16 rounds f to the nearest IEEE half float (ties to even), as
// ggml's GGML_FP32_TO_FP16 and the F16C instruction do. NaN stays NaN,
// values past the half range become infinities.
func FP32ToFP16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 127+15: // too large even before rounding
		return sign | 0x7c00
	case exp >= 127-14: // normal half
		h := uint32(exp-127+15)<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, up to infinity: that is correct rounding
		}
		return sign | uint16(h)
	case exp >= 127-25: // subnormal half (or rounds up to the smallest normal)
		m := mant | 0x800000
		shift := uint32(126 - exp) // bits dropped from the 24-bit significand
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || (rest == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	default:
		return sign
	}
}

// FP16ToFP32 converts an IEEE half float exactly.
func FP16ToFP32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	default: // subnormal: mant × 2^-24
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			return -f
		}
		return f
	}
}

// FP32ToBF16 rounds f to bfloat16 with ties to even, as ggml does
// (ggml_compute_fp32_to_bf16); NaNs stay quiet NaNs.
func FP32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 64
	}
	return uint16((u + (0x7fff + (u>>16)&1)) >> 16)
}

// BF16ToFP32 converts a bfloat16 exactly.
func BF16ToFP32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// abs32 returns |v| by clearing the sign bit: math.Abs's result, without
// the conversions to float64 and back.
func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// signedAbsMax returns the element of x with the largest magnitude, sign
// kept, and that magnitude; 0, 0 when x is all zeros. The first of equal
// magnitudes wins and NaNs are passed over, as with the C code's
// "if (ax > amax)". Most scale searches of llama.cpp start from it.
//
// It compares the magnitudes' bit patterns as integers, which order like
// the values for everything up to +Inf; NaNs are the patterns above it.
// Integers let the compiler pick with conditional moves instead of a branch
// that random data mispredicts (3× faster than float compares).
func signedAbsMax(x []float32) (m, amax float32) {
	var best, bestAbs uint32
	for _, v := range x {
		b := math.Float32bits(v)
		a := b &^ (1 << 31)
		if a > 0x7f800000 { // NaN
			continue
		}
		if a > bestAbs {
			bestAbs, best = a, b
		}
	}
	return math.Float32frombits(best), math.Float32frombits(bestAbs)
}

// inverseOrZero returns 1/d, or 0 when d is 0, as ggml's "d ? 1.0f/d : 0.0f":
// an all-zero block then multiplies by 0, not by Inf.
func inverseOrZero(d float32) float32 {
	if d == 0 {
		return 0
	}
	return 1 / d
}

// nearestInt rounds f to the nearest integer, ties to even, exactly as
// ggml's nearest_int does by adding 1.5·2^23 and reading the low mantissa
// bits. For |f| < 2^22 that is plain rounding; beyond, and for Inf and NaN,
// it wraps the way the C code does, so even absurd inputs give the same
// bytes as llama.cpp and the same result on every GOARCH (converting a NaN to
// an integer in Go does not).
func nearestInt(f float32) int {
	// float32(f) forbids fusing a product passed as f into the add.
	v := float32(f) + 12582912
	return int(math.Float32bits(v)&0x007fffff) - 0x00400000
}
