package quant

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"nibble/engine/gguf"
)

// weightedTypes are the types whose llama.cpp quantizer uses an importance
// matrix.
var weightedTypes = []gguf.Type{gguf.Q4_0, gguf.Q4_1, gguf.Q5_0, gguf.Q5_1,
	gguf.Q2_K, gguf.Q3_K, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K, gguf.IQ4_NL}

// gaussianRows returns rows×n standard normal values.
func gaussianRows(r *rand.Rand, rows, n int) [][]float32 {
	out := make([][]float32, rows)
	for i := range out {
		out[i] = make([]float32, n)
		for j := range out[i] {
			out[i][j] = float32(r.NormFloat64())
		}
	}
	return out
}

// roundTripError quantizes each row as typ with the weights qw (nil: the
// unweighted quantizer), decodes it and returns Σ e·(x−x̂)² over all rows,
// e[i] the error weight of column i (nil: 1).
func roundTripError(t *testing.T, typ gguf.Type, rows [][]float32, qw, e []float32) float64 {
	t.Helper()
	n := len(rows[0])
	rb, _ := typ.RowBytes(n)
	buf := make([]byte, rb)
	y := make([]float32, n)
	var sum float64
	for _, x := range rows {
		if err := QuantizeWeighted(typ, buf, x, qw); err != nil {
			t.Fatal(err)
		}
		if err := Dequantize(typ, y, buf); err != nil {
			t.Fatal(err)
		}
		for i := range x {
			d := float64(x[i] - y[i])
			if math.IsNaN(d) || math.IsInf(d, 0) {
				t.Fatalf("%v: element %d decodes to %v", typ, i, y[i])
			}
			w := 1.0
			if e != nil {
				w = float64(e[i])
			}
			sum += w * d * d
		}
	}
	return sum
}

// TestWeightedLowersWeightedError is the point of an importance matrix: with
// random importances (squares of Gaussians, spread over orders of magnitude
// like real activation statistics) the error that counts, Σ qw·(x−x̂)², must
// be clearly lower with the weighted quantizer than with the unweighted one
// llama-quantize uses without a matrix.
func TestWeightedLowersWeightedError(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	const n = 2048
	rows := gaussianRows(r, 32, n)
	qw := make([]float32, n)
	for i := range qw {
		a := 2 * r.NormFloat64()
		qw[i] = float32(a * a)
	}
	for _, typ := range weightedTypes {
		plain := roundTripError(t, typ, rows, nil, qw)
		weighted := roundTripError(t, typ, rows, qw, qw)
		t.Logf("%v: Σqw·err² %.4g unweighted, %.4g weighted (%+.1f%%)", typ, plain, weighted, 100*(weighted/plain-1))
		// Measured: 20% (IQ4_NL) to 44% (Q2_K) lower.
		if weighted > 0.9*plain {
			t.Errorf("%v: weighted error %.4g is not 10%% below the unweighted quantizer's %.4g", typ, weighted, plain)
		}
	}
}

// TestUniformWeights pins down what llama.cpp's weighted path does with
// every importance equal: it is not the unweighted quantizer (that one is the
// …_ref code, a different search), but a least-squares search on
// sqrt(σ² + x²) that depends only on the ratios of the weights — any
// constant gives the same bytes (exactly, for powers of two) — and that
// lowers the plain squared error of every type.
func TestUniformWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 1024
	rows := gaussianRows(r, 32, n)
	uniform := func(c float32) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = c
		}
		return w
	}
	for _, typ := range weightedTypes {
		rb, _ := typ.RowBytes(n)
		ones, other, ref := make([]byte, rb), make([]byte, rb), make([]byte, rb)
		differ := false
		for _, x := range rows {
			if err := QuantizeWeighted(typ, ones, x, uniform(1)); err != nil {
				t.Fatal(err)
			}
			for _, c := range []float32{4, 0.125, 1024} {
				if err := QuantizeWeighted(typ, other, x, uniform(c)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ones, other) {
					t.Fatalf("%v: weights all %v give other bytes than weights all 1", typ, c)
				}
			}
			if err := Quantize(typ, ref, x); err != nil {
				t.Fatal(err)
			}
			differ = differ || !bytes.Equal(ones, ref)
		}
		if !differ {
			t.Errorf("%v: uniform weights give the unweighted quantizer's bytes; llama.cpp's weighted search differs", typ)
		}
		plain := roundTripError(t, typ, rows, nil, nil)
		flat := roundTripError(t, typ, rows, uniform(1), nil)
		t.Logf("%v: Σerr² %.4g unweighted, %.4g with uniform weights (%+.1f%%)", typ, plain, flat, 100*(flat/plain-1))
		if flat >= plain {
			t.Errorf("%v: uniform weights give Σerr² %.4g, not below the unweighted %.4g", typ, flat, plain)
		}
	}
}

// TestWeightedZeroImportance: columns no calibration token ever activated
// have importance 0. A block of only such columns must still decode to
// finite values (llama.cpp c392e50 wrote a NaN scale there).
func TestWeightedZeroImportance(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 512
	x := gaussianRows(r, 1, n)
	qw := make([]float32, n)
	for i := n / 2; i < n; i++ { // first half (every kind of block) unimportant
		qw[i] = float32(r.Float64())
	}
	for _, typ := range weightedTypes {
		// roundTripError fails on a non-finite decoded value.
		roundTripError(t, typ, x, qw, nil)
		roundTripError(t, typ, x, make([]float32, n), nil)
	}
}

func TestQuantizeWeightedFallsBack(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	x := gaussianRows(r, 1, 256)[0]
	w := make([]float32, 256)
	for i := range w {
		w[i] = float32(r.Float64())
	}
	for _, tc := range []struct {
		typ     gguf.Type
		weights []float32
	}{
		{gguf.Q8_0, w},   // llama.cpp's quantize_q8_0 ignores the weights
		{gguf.F16, w},    // so does every float type
		{gguf.Q4_K, nil}, // no weights: the …_ref quantizer
	} {
		rb, _ := tc.typ.RowBytes(len(x))
		got, want := make([]byte, rb), make([]byte, rb)
		if err := QuantizeWeighted(tc.typ, got, x, tc.weights); err != nil {
			t.Fatal(err)
		}
		if err := Quantize(tc.typ, want, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%v: QuantizeWeighted differs from Quantize", tc.typ)
		}
	}
	rb, _ := gguf.Q4_K.RowBytes(256)
	if err := QuantizeWeighted(gguf.Q4_K, make([]byte, rb), x, w[:255]); err == nil {
		t.Error("255 weights for a row of 256: no error")
	}
}

func TestSearchScalePositive(t *testing.T) {
	levels := []int{15, 0, 3, 7, 12, 1, 9, 15, 4, 2, 11, 6, 8, 13, 5, 10}
	grid := func(c float32) []float32 {
		x := make([]float32, len(levels))
		for i, l := range levels {
			x[i] = c * float32(l)
		}
		return x
	}
	ones := slices.Repeat([]float32{1}, len(levels))
	tests := []struct {
		name      string
		x, w      []float32
		wantScale float32
		wantL     []int // nil: all 0
	}{
		{"zero", make([]float32, 16), ones, 0, nil},
		{"exact grid", grid(0.25), ones, 0.25, levels},
		{"exact grid, uneven weights", grid(0.5), grid(1), 0.5, levels},
		{"no weight anywhere", grid(0.25), make([]float32, 16), 0, levels},
	}
	for _, tc := range tests {
		L := make([]uint8, 16)
		got := searchScalePositive(tc.x, tc.w, 15, L)
		if got != tc.wantScale {
			t.Errorf("%s: scale %v, want %v", tc.name, got, tc.wantScale)
		}
		for i := range L {
			want := 0
			if tc.wantL != nil {
				want = tc.wantL[i]
			}
			if int(L[i]) != want {
				t.Errorf("%s: L = %v, want %v", tc.name, L, tc.wantL)
				break
			}
		}
	}

	// On noisy scales the refinement must never do worse than rounding
	// against max/nmax.
	r := rand.New(rand.NewPCG(9, 9))
	x, w := make([]float32, 16), make([]float32, 16)
	L := make([]uint8, 16)
	for range 1000 {
		for i := range x {
			x[i], w[i] = float32(r.Float64()), float32(r.Float64())
		}
		d := searchScalePositive(x, w, 15, L)
		xmax := slices.Max(x)
		var e, e0 float64
		for i, v := range x {
			l0 := float32(nearestInt(15 / xmax * v))
			e += float64(w[i]) * math.Pow(float64(v-d*float32(L[i])), 2)
			e0 += float64(w[i]) * math.Pow(float64(v-xmax/15*l0), 2)
		}
		if e > e0*(1+1e-5) {
			t.Fatalf("weighted error %g above plain rounding's %g for %v", e, e0, x)
		}
	}
}
