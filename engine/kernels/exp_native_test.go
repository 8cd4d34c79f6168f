//go:build !purego && (amd64 || arm64)

package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNativeExpMatchesGo compares every native softmaxExp and siluMul the
// CPU can run with the Go functions bit for bit: the values written (NaN
// payloads and signs included) and the sum (any NaN for a NaN sum: which of
// two NaNs Go's additions keep depends on how the compiler orders them).
func TestNativeExpMatchesGo(t *testing.T) {
	ran := false
	for _, e := range nativeExps {
		if !e.supported {
			continue
		}
		ran = true
		t.Run(e.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, 22))
			for _, x := range expInputs(r) {
				for _, n := range []int{0, 1, 15, 16, 17, 1000} {
					for _, max := range []float32{0, float32(r.NormFloat64() * 10)} {
						checkSoftmaxExp(t, e.softmaxExp, x[:min(n, len(x))], max)
					}
				}
				checkSoftmaxExp(t, e.softmaxExp, x, 0)
				checkSiLUMul(t, e.siluMul, x[:len(x)&^15], gaussian(r, len(x), 1))
				checkSiLUMul(t, e.siluMul, x[:16], expSpecials())
			}
			x := gaussian(r, 33, 1)
			for _, max := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
				checkSoftmaxExp(t, e.softmaxExp, x, max)
			}
		})
	}
	if !ran {
		t.Skip("no native softmaxExp or siluMul for this CPU")
	}
}

// expInputs returns value sets for expVec: random values over the ranges
// softmax and SiLU see, the ranges where results are subnormal, overflow or
// fall to expVec's |n| > 192 branch, special values, and a sweep over all
// float32 bit patterns.
func expInputs(r *rand.Rand) [][]float32 {
	uniform := func(lo, hi float64) []float32 {
		x := make([]float32, 1000)
		for i := range x {
			x[i] = float32(lo + (hi-lo)*r.Float64())
		}
		return x
	}
	sets := [][]float32{
		uniform(-1e4, 0), uniform(-100, 0), uniform(-100, 100),
		uniform(-106, -86), uniform(86, 90), // subnormal results, overflow
		uniform(-136, -131), uniform(131, 136), // n = ±192, ±193
		expSpecials(),
	}
	// Every x whose n is near ±192, ±193 or whose result is near the
	// smallest normal or largest float32.
	for _, c := range []float32{-134, -133.5, -133, 133, 133.5, 134, -87.3, -103.3, 88.7} {
		x := make([]float32, 2000)
		x[0] = c
		for i := 1; i < len(x); i++ {
			x[i] = math.Nextafter32(x[i-1], float32(math.Inf(1)))
		}
		x = slices.Concat(x[1000:], x[:1000]) // start of the slice not at the center
		sets = append(sets, x)
	}
	sweep := make([]float32, 0, 1<<20)
	for bits := uint64(0); bits < 1<<32; bits += 4093 {
		sweep = append(sweep, math.Float32frombits(uint32(bits)))
	}
	return append(sets, sweep)
}

// expSpecials returns 16 special values: zeros, infinities, NaNs (quiet,
// signaling, both signs, with payloads), subnormals, extremes.
func expSpecials() []float32 {
	inf := float32(math.Inf(1))
	return []float32{
		0, float32(math.Copysign(0, -1)), inf, -inf,
		math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc12345),
		math.Float32frombits(0x7f800001), math.Float32frombits(0xff9abcde),
		math.Float32frombits(1), -math.Float32frombits(0x7fffff),
		math.MaxFloat32, -math.MaxFloat32, 1e-30, -1e30,
		math.SmallestNonzeroFloat32 * 3, 1,
	}
}

func checkSoftmaxExp(t *testing.T, native func([]float32, float32) float64, x []float32, max float32) {
	t.Helper()
	want := append([]float32{}, x...)
	wantSum := softmaxExpGo(want, max)
	got := append(append([]float32{}, x...), 1234) // past the row
	gotSum := native(got[:len(x)], max)
	if got[len(x)] != 1234 {
		t.Errorf("softmaxExp of %d values, max %g: wrote past the row", len(x), max)
	}
	if math.Float64bits(gotSum) != math.Float64bits(wantSum) && !(math.IsNaN(gotSum) && math.IsNaN(wantSum)) {
		t.Errorf("softmaxExp of %d values, max %g: sum %g, want %g", len(x), max, gotSum, wantSum)
	}
	compareBits(t, "softmaxExp", x, got, want)
}

func checkSiLUMul(t *testing.T, native func(gate, up []float32), gate, up []float32) {
	t.Helper()
	want := append([]float32{}, gate...)
	siluMulGo(want, up)
	got := append(append([]float32{}, gate...), 1234)
	upCopy := append([]float32{}, up...)
	native(got[:len(gate)], up)
	if got[len(gate)] != 1234 {
		t.Errorf("siluMul of %d values: wrote past the row", len(gate))
	}
	compareBits(t, "siluMul", gate, got, want)
	compareBits(t, "siluMul's up", up, upCopy, up)
}

// compareBits reports the first few values where got and want differ.
func compareBits(t *testing.T, what string, x, got, want []float32) {
	t.Helper()
	bad := 0
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			if bad++; bad <= 3 {
				t.Errorf("%s of %d values: at %d (input %g = %#08x) got %g (%#08x), want %g (%#08x)", what, len(want), i,
					x[i], math.Float32bits(x[i]), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
	if bad > 3 {
		t.Errorf("%s of %d values: %d values differ", what, len(want), bad)
	}
}

// BenchmarkSoftmaxExp and BenchmarkSiLUMul time the Go and native
// versions on a row of attention scores (512 positions) and of a
// feed-forward layer (5632, TinyLlama's).
func BenchmarkSoftmaxExp(b *testing.B) {
	r := rand.New(rand.NewPCG(23, 24))
	x := gaussian(r, 512, 3)
	row := make([]float32, len(x))
	benchExp(b, "go", true, func() { copy(row, x); softmaxExpGo(row, 10) })
	for _, e := range nativeExps {
		benchExp(b, e.name, e.supported, func() { copy(row, x); e.softmaxExp(row, 10) })
	}
}

func BenchmarkSiLUMul(b *testing.B) {
	r := rand.New(rand.NewPCG(25, 26))
	gate, up := gaussian(r, 5632, 3), gaussian(r, 5632, 1)
	row := make([]float32, len(gate))
	benchExp(b, "go", true, func() { copy(row, gate); siluMulGo(row, up) })
	for _, e := range nativeExps {
		benchExp(b, e.name, e.supported, func() { copy(row, gate); e.siluMul(row, up) })
	}
}

func benchExp(b *testing.B, name string, supported bool, f func()) {
	b.Run(name, func(b *testing.B) {
		if !supported {
			b.Skip("not supported by this CPU")
		}
		for b.Loop() {
			f()
		}
	})
}
