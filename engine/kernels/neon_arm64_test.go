//go:build !purego

package kernels

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
)

// TestNativeWithoutDotProd runs TestNativeMatchesPortable on the NEON
// kernels without SDOT, which a CPU with SDOT would otherwise never run.
func TestNativeWithoutDotProd(t *testing.T) {
	if !cpu.ARM64.HasASIMDDP {
		t.Skip("no SDOT: TestNativeMatchesPortable already runs the kernels without it")
	}
	saved := kernels
	t.Cleanup(func() { kernels = saved })
	useNEON(false)
	TestNativeMatchesPortable(t)
}

// TestNativeFloatRemainders compares the float types' vec_dot kernels
// with the Go ones on rows whose length is not a multiple of 64, 16 or 8
// (TestNativeMatchesPortable has multiples of 32 only): every path of the
// remainder.
func TestNativeFloatRemainders(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, w := range []gguf.Type{gguf.F32, gguf.F16, gguf.BF16} {
		k, p := lookup(w), &portable[w]
		if k.native[vecDotOrder] == "" {
			t.Fatalf("%v: no native vec_dot", w)
		}
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 63, 64, 65, 71, 100, 172, 200} {
			const rows, tokens = 3, 2
			wq, aq := encode(t, w, gaussian(r, rows*n, 0.02)), encode(t, w, gaussian(r, tokens*n, 1))
			got, want := make([]float32, rows*tokens), make([]float32, rows*tokens)
			k.mul[vecDotOrder](wq, len(wq)/rows, rows, aq, len(aq)/tokens, tokens, n, got, rows)
			p.mul[vecDotOrder](wq, len(wq)/rows, rows, aq, len(aq)/tokens, tokens, n, want, rows)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Errorf("%v n=%d: y[%d][%d] = %g, Go gives %g", w, n, i/rows, i%rows, got[i], want[i])
				}
			}
		}
	}
}

// TestQuantizeQ8Native compares the NEON Q8_0/Q8_1 activation encoder with
// the Go one byte for byte, on random rows and on blocks at the edges:
// zeros, levels exactly halfway between two integers, a negative maximum,
// and magnitudes whose d is an fp16 subnormal, zero or infinity.
func TestQuantizeQ8Native(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	block := func(f func(i int) float32) []float32 {
		x := make([]float32, gguf.QK)
		for i := range x {
			x[i] = f(i)
		}
		return x
	}
	rows := [][]float32{
		gaussian(r, 32*1000, 1),
		gaussian(r, 32, 1e-3),
		block(func(int) float32 { return 0 }),
		block(func(i int) float32 { return float32(i%4) - 1.5 }),                    // ±0.5, ±1.5 at scale 127/1.5
		block(func(i int) float32 { return float32(i) + 0.5 - 16 + float32(i/31) }), // max 31.5 at the end
		block(func(i int) float32 { return -127 + float32(i)*0.5 }),                 // scale 1: halves
		block(func(i int) float32 { return float32(i%3) * -1e6 }),
		block(func(i int) float32 { return float32(i%5) * 3e-6 }),  // d subnormal in fp16
		block(func(i int) float32 { return float32(i%5) * 1e-30 }), // d rounds to 0 in fp16
		block(func(i int) float32 { return float32(i%5) * 1e30 }),  // d overflows fp16
	}
	for _, sum := range []bool{false, true} {
		bb := q8_0Bytes
		if sum {
			bb = q8_1Bytes
		}
		for i, x := range rows {
			got, want := make([]byte, len(x)/gguf.QK*bb), make([]byte, len(x)/gguf.QK*bb)
			quantizeQ8(got, x, sum)
			portableQ8(want, x, sum)
			if !bytes.Equal(got, want) {
				for b := 0; b < len(got); b += bb {
					if !bytes.Equal(got[b:b+bb], want[b:b+bb]) {
						t.Errorf("row %d (sum %v) block %d, max %g:\n got %v\nwant %v", i, sum, b/bb,
							maxAbs(x[b/bb*gguf.QK:][:gguf.QK]), got[b:b+bb], want[b:b+bb])
						break
					}
				}
			}
		}
	}
}

func maxAbs(x []float32) (m float64) {
	for _, v := range x {
		m = max(m, math.Abs(float64(v)))
	}
	return m
}
