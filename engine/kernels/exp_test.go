package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpVec checks ggml_v_expf's accuracy as its doc states it: within 2.5
// ulp of exp over the float32 range (measured: 2.19), 0 below it and +Inf
// above.
func TestExpVec(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	var worst float64
	for range 200000 {
		x := float32(r.Float64()*190 - 100) // exp(-100) is subnormal, exp(88.7) the largest
		got, want := float64(expVec(x)), math.Exp(float64(x))
		if want < 0x1p-126 || want > math.MaxFloat32 {
			continue
		}
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1)))) - float64(float32(want))
		worst = max(worst, math.Abs(got-want)/ulp)
	}
	if worst > 2.5 {
		t.Errorf("expVec is %.2f ulp from exp, want at most 2.5", worst)
	}
	t.Logf("worst %.2f ulp", worst)
	for _, c := range []struct{ x, want float32 }{{-200, 0}, {200, float32(math.Inf(1))}, {0, 1}} {
		if got := expVec(c.x); got != c.want {
			t.Errorf("expVec(%g) = %g, want %g", c.x, got, c.want)
		}
	}
}

// TestSoftmaxExp checks the sum against float64 arithmetic and that a row
// not a multiple of 16 is padded, not read past.
func TestSoftmaxExp(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{1, 15, 16, 17, 100, 1000} {
		x := gaussian(r, n+1, 3)
		x[n] = 1234 // past the row
		x = x[:n]
		var m float32 = -1e9
		for _, v := range x {
			m = max(m, v)
		}
		var want float64
		for _, v := range x {
			want += math.Exp(float64(v - m))
		}
		got := SoftmaxExp(x, m)
		if math.Abs(got-want) > 1e-6*want {
			t.Errorf("n=%d: sum %g, want %g", n, got, want)
		}
		if x[:n+1][n] != 1234 {
			t.Errorf("n=%d: wrote past the row", n)
		}
	}
}
