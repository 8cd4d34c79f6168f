//go:build !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
	"nibble/quant"
)

// TestNativeFloatTails compares the native float kernels with the Go ones
// bit for bit where TestNativeMatchesPortable does not look: every row
// length up to 300 (the vec_dot orders take any length and treat the last
// n mod 64 elements, and F32 the last n mod 8, their own way), shapes
// around the tiles, and values whose products overflow, underflow or are
// subnormal (BF16 keeps float32's exponent range; VDPBF16PS would flush
// them).
func TestNativeFloatTails(t *testing.T) {
	for _, w := range []gguf.Type{gguf.F32, gguf.F16, gguf.BF16} {
		for _, o := range []order{vecDotOrder, gemmOrder} {
			t.Run(w.String()+"/"+orderNames[o], func(t *testing.T) {
				if lookup(w).native[o] == "" {
					t.Skip("no native kernel on this CPU/build")
				}
				step := 1
				if o == gemmOrder {
					step = 16
					if w == gguf.BF16 {
						step = 32
					}
				}
				r := rand.New(rand.NewPCG(uint64(w), uint64(o)))
				for n := step; n <= 300; n += step {
					rows, tokens := 1+r.IntN(5), 1+r.IntN(7)
					compareFloatKernel(t, w, o, lookup(w).mul[o], floatValues(r, rows*n), floatValues(r, tokens*n), rows, tokens, n)
				}
			})
		}
	}
}

// floatValues returns n random values, most normal of random scale, some
// tiny (products below float32's normal or subnormal range), some huge
// (products that overflow), zeros of both signs and F16 subnormals.
func floatValues(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		v := r.NormFloat64()
		switch r.IntN(16) {
		case 0:
			v = math.Ldexp(v, -64-r.IntN(40))
		case 1:
			v = math.Ldexp(v, 64+r.IntN(20))
		case 2:
			v = math.Ldexp(v, -15-r.IntN(10)) // F16 subnormals
		case 3:
			v = math.Copysign(0, v)
		default:
			v = math.Ldexp(v, r.IntN(20)-10)
		}
		x[i] = float32(v)
	}
	return x
}

// compareFloatKernel encodes the rows×n weights wx and tokens×n activations
// ax and compares the product mul with the Go one in order o.
func compareFloatKernel(t *testing.T, w gguf.Type, o order, mul mulFunc, wx, ax []float32, rows, tokens, n int) {
	t.Helper()
	wq, aq := make([]byte, len(wx)*w.BlockBytes()), make([]byte, len(ax)*w.BlockBytes())
	if err := quant.Quantize(w, wq, wx); err != nil {
		t.Fatal(err)
	}
	if err := quant.Quantize(w, aq, ax); err != nil {
		t.Fatal(err)
	}
	rb, ab := len(wq)/rows, len(aq)/tokens
	got, want := make([]float32, rows*tokens), make([]float32, rows*tokens)
	mul(wq, rb, rows, aq, ab, tokens, n, got, rows)
	portable[w].mul[o](wq, rb, rows, aq, ab, tokens, n, want, rows)
	for i, v := range want {
		if math.Float32bits(got[i]) != math.Float32bits(v) {
			t.Fatalf("%d rows × %d tokens of %d: y[%d][%d] = %g (%#x), Go gives %g (%#x)",
				rows, tokens, n, i/rows, i%rows, got[i], math.Float32bits(got[i]), v, math.Float32bits(v))
		}
	}
}

// TestFloatTilesAVX2 checks the AVX2 tiles of F16 and F32, which a CPU
// with AVX-512 does not use, like TestNativeFloatTails and on the shapes
// of TestNativeMatchesPortable.
func TestFloatTilesAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		t.Skip("no AVX2, FMA and F16C on this CPU")
	}
	for _, c := range []struct {
		w    gguf.Type
		tile func(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)
	}{{gguf.F16, gemmF16Tile}, {gguf.F32, gemmF32Tile}} {
		mul := tiledMul(c.tile, 2, 3)
		r := rand.New(rand.NewPCG(uint64(c.w), 7))
		for n := 16; n <= 300; n += 16 {
			rows, tokens := 1+r.IntN(5), 1+r.IntN(7)
			compareFloatKernel(t, c.w, gemmOrder, mul, floatValues(r, rows*n), floatValues(r, tokens*n), rows, tokens, n)
		}
		for _, rows := range []int{1, 2, 3, 4, 5, 8, 9} {
			for _, tokens := range []int{2, 3, 4, 5, 7, 13} {
				n := 2048
				compareFloatKernel(t, c.w, gemmOrder, mul, gaussian(r, rows*n, 0.02), gaussian(r, tokens*n, 1), rows, tokens, n)
			}
		}
	}
}
