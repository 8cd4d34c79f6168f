package quant

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGgmlNearestInt(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		in   float32
		want int
	}{
		{0, 0},
		{0.49999997, 0},
		{0.5, 0}, // ties to even
		{1.5, 2},
		{2.5, 2},
		{-0.5, 0},
		{-1.5, -2},
		{-2.5, -2},
		{3.4999998, 3},
		{-31.6, -32},
		{4194303, 4194303},
		{-4194303, -4194303},
		// Out of nearest_int's range the C trick wraps; so must we.
		{8388608, -2097152},
		{inf, -4194304},
		{-inf, -4194304},
		{nan, 0},
	}
	for _, tc := range tests {
		if got := nearestInt(tc.in); got != tc.want {
			t.Errorf("nearestInt(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// symGrid returns 16 values c·l for the levels l, which makes the best
// scale exactly c when c is a power of two.
func symGrid(c float32, levels []int) []float32 {
	x := make([]float32, len(levels))
	for i, l := range levels {
		x[i] = c * float32(l)
	}
	return x
}

func TestScaleSearches(t *testing.T) {
	// Levels with the extreme -nmax first so it decides max's sign.
	l6 := []int{-32, 31, -5, 0, 7, 12, -20, 3, 1, -1, 30, -31, 16, -16, 9, 2}
	l3 := []int{-4, 3, -1, 0, 2, 1, -3, -2, 3, 0, -4, 1, 2, -1, 0, 3}
	neg := func(ls []int) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			out[i] = -l
		}
		return out
	}
	type search func(x []float32, nmax int, L []int8) float32
	tests := []struct {
		name      string
		search    search
		nmax      int
		x         []float32
		wantScale float32
		wantL     []int // levels before the +nmax offset, nil: all stored 0
	}{
		{"sym zero", searchScaleSym, 32, make([]float32, 16), 0, nil},
		{"sym below eps", searchScaleSym, 32, symGrid(1e-17, l6), 0, nil},
		{"sym exact grid", searchScaleSym, 32, symGrid(0.25, l6), 0.25, l6},
		// A positive extreme flips the levels and the sign of the scale.
		{"sym positive max", searchScaleSym, 32, symGrid(-0.25, l6), -0.25, l6},
		{"q3 zero", searchScaleQ3, 4, make([]float32, 16), 0, nil},
		{"q3 below eps", searchScaleQ3, 4, symGrid(1e-17, l3), 0, nil},
		{"q3 exact grid", searchScaleQ3, 4, symGrid(0.5, l3), 0.5, l3},
		{"q3 positive max", searchScaleQ3, 4, symGrid(0.5, neg(l3)), -0.5, l3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			L := make([]int8, len(tc.x))
			for i := range L {
				L[i] = 99 // must be overwritten
			}
			if got := tc.search(tc.x, tc.nmax, L); got != tc.wantScale {
				t.Errorf("scale = %v, want %v", got, tc.wantScale)
			}
			want := make([]int8, len(tc.x))
			for i, l := range tc.wantL {
				want[i] = int8(l + tc.nmax)
			}
			if !slices.Equal(L, want) {
				t.Errorf("L = %v, want %v", L, want)
			}
		})
	}
}

// symWeightedErr returns Σx²·(x - s·(L-nmax))², the error the searches minimize.
func symWeightedErr(x []float32, L []int8, nmax int, s float32) float64 {
	var e float64
	for i, v := range x {
		d := float64(v) - float64(s)*float64(int(L[i])-nmax)
		e += float64(v) * float64(v) * d * d
	}
	return e
}

// The searches must never do worse than plain rounding against the largest
// value with its own least-squares scale, which is where both start.
func TestScaleSearchesImprove(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	x := make([]float32, 16)
	L := make([]int8, 16)
	base := make([]int8, 16)
	for _, tc := range []struct {
		name   string
		search func(x []float32, nmax int, L []int8) float32
		nmax   int
	}{{"sym", searchScaleSym, 32}, {"q3", searchScaleQ3, 4}} {
		better := 0
		for range 2000 {
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			s := tc.search(x, tc.nmax, L)
			xmax, _ := signedAbsMax(x)
			iscale := float32(-tc.nmax) / xmax
			symLevels(x, tc.nmax, iscale, base)
			sumlx, suml2 := symSums(x, tc.nmax, iscale)
			e0 := symWeightedErr(x, base, tc.nmax, sumlx/suml2)
			e := symWeightedErr(x, L, tc.nmax, s)
			// The searches compare float32 sums, so allow float32 noise
			// relative to the total Σx⁴ they are computed from.
			tol := 1e-5 * symWeightedErr(x, make([]int8, 16), 0, 0)
			if e > e0+tol {
				t.Fatalf("%s: search error %g worse than plain rounding %g for %v", tc.name, e, e0, x)
			}
			if e < e0-tol {
				better++
			}
		}
		// Q3's refinement only runs for a negative extreme (see
		// searchScaleQ3), so expect gains on a good share of the draws.
		t.Logf("%s: better than plain rounding in %d of 2000 draws", tc.name, better)
		if better < 250 {
			t.Errorf("%s: search beat plain rounding in only %d of 2000 draws", tc.name, better)
		}
	}
}

// symRoundTrip quantizes x with q, decodes with dq and returns the bytes and
// the decoded values.
func symRoundTrip(x []float32, blockBytes int, q func([]byte, []float32), dq func([]float32, []byte)) ([]byte, []float32) {
	b := make([]byte, len(x)/256*blockBytes)
	q(b, x)
	y := make([]float32, len(x))
	dq(y, b)
	return b, y
}

// symNormalRow returns n normally distributed values with standard deviation
// sigma, none smaller in magnitude than sigma/1000 (so that no cube in the
// searches gets near the subnormals when the row is scaled).
func symNormalRow(r *rand.Rand, n int, sigma float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		v := r.NormFloat64()
		if math.Abs(v) < 1e-3 {
			v = math.Copysign(1e-3, v)
		}
		x[i] = float32(v * sigma)
	}
	return x
}

func symRMSE(x, y []float32) float64 {
	var s float64
	for i := range x {
		d := float64(x[i]) - float64(y[i])
		s += d * d
	}
	return math.Sqrt(s / float64(len(x)))
}
