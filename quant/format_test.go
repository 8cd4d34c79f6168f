package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

// roundTrip quantizes x as typ and decodes it back; it returns the encoded
// bytes and the decoded values.
func roundTrip(typ gguf.Type, x []float32) ([]byte, []float32) {
	n, ok := typ.RowBytes(len(x))
	if !ok {
		panic("roundTrip: not a whole number of blocks")
	}
	b := make([]byte, n)
	formats[typ].quantize(b, x)
	y := make([]float32, len(x))
	formats[typ].dequantize(y, b)
	return b, y
}

// TestBlockBytes checks each block layout's size constant against gguf's
// table and the size ggml gives the type.
func TestBlockBytes(t *testing.T) {
	tests := []struct {
		typ        gguf.Type
		here, ggml int
	}{
		{gguf.Q4_0, q4_0Bytes, 18}, {gguf.Q4_1, q4_1Bytes, 20}, {gguf.Q5_0, q5_0Bytes, 22}, {gguf.Q5_1, q5_1Bytes, 24},
		{gguf.Q8_0, q8_0Bytes, 34}, {gguf.Q8_1, q8_1Bytes, 36}, {gguf.IQ4_NL, iq4nlBytes, 18},
		{gguf.Q2_K, q2KBytes, 84}, {gguf.Q3_K, q3KBytes, 110}, {gguf.Q4_K, q4KBytes, 144},
		{gguf.Q5_K, q5KBytes, 176}, {gguf.Q6_K, q6KBytes, 210}, {gguf.Q8_K, q8KBytes, 292},
	}
	for _, tt := range tests {
		if n := tt.typ.BlockBytes(); tt.here != tt.ggml || n != tt.ggml {
			t.Errorf("%v block is %d bytes here and %d in gguf, want %d", tt.typ, tt.here, n, tt.ggml)
		}
	}
}

// TestKQuantRoundTrip bounds the error of every K-quant a file can hold on
// Gaussian data of several magnitudes, centered and shifted. The bounds,
// relative to sigma, are about 10% above what llama.cpp's algorithm gets on
// this data. Shifted data costs the scale-and-min types more on the
// positive side because their min cannot go above 0 (the levels must span
// 0..max), and the symmetric types on both sides because they spend half
// their levels on the sign that does not occur. Q6_K is coarser at sigma
// 1e-3 because its d is then an fp16 subnormal.
func TestKQuantRoundTrip(t *testing.T) {
	types := []gguf.Type{gguf.Q2_K, gguf.Q3_K, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K}
	r := rand.New(rand.NewPCG(3, 9))
	tests := []struct {
		name         string
		sigma, shift float64
		rmse, maxErr [5]float64 // bounds for types, in that order
	}{
		{"unit", 1, 0, [5]float64{0.33, 0.17, 0.08, 0.04, 0.02}, [5]float64{1.3, 0.6, 0.3, 0.15, 0.066}},
		{"small", 1e-3, 0, [5]float64{0.33, 0.17, 0.08, 0.04, 0.023}, [5]float64{1.3, 0.52, 0.3, 0.15, 0.13}},
		{"large", 1e3, 0, [5]float64{0.33, 0.17, 0.08, 0.04, 0.02}, [5]float64{1.3, 0.57, 0.3, 0.15, 0.069}},
		{"negative", 1, -4, [5]float64{0.33, 0.41, 0.08, 0.045, 0.05}, [5]float64{2, 1.1, 0.4, 0.22, 0.14}},
		{"positive", 1, 4, [5]float64{0.52, 0.43, 0.115, 0.057, 0.05}, [5]float64{2.2, 1.1, 0.42, 0.22, 0.12}},
	}
	for _, tc := range tests {
		x := make([]float32, 64*256)
		for i := range x {
			x[i] = float32(tc.sigma * (r.NormFloat64() + tc.shift))
		}
		for k, typ := range types {
			t.Run(tc.name+"/"+typ.String(), func(t *testing.T) {
				_, y := roundTrip(typ, x)
				var se, maxErr float64
				for i := range x {
					e := float64(x[i] - y[i])
					se += e * e
					maxErr = max(maxErr, math.Abs(e))
				}
				rmse := math.Sqrt(se/float64(len(x))) / tc.sigma
				maxErr /= tc.sigma
				if rmse > tc.rmse[k] || maxErr > tc.maxErr[k] {
					t.Errorf("relative RMSE %.4f (max %.4f), largest error %.4f (max %.4f)",
						rmse, tc.rmse[k], maxErr, tc.maxErr[k])
				}
			})
		}
	}
}
