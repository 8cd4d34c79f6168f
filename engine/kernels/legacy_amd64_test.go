//go:build !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestLegacyAVX2MatchesPortable checks the kernels a CPU without AVX-512
// VNNI runs (TestNativeMatchesPortable checks those of this CPU) against
// the Go functions, bit for bit.
func TestLegacyAVX2MatchesPortable(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		t.Skip("no AVX2, FMA and F16C")
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, k := range legacyKernels(false) {
		p := &portable[k.w]
		for _, rows := range []int{1, 3, 8, 9, 16, 17} {
			for _, tokens := range []int{1, 2, 4, 5, 13} {
				n := []int{32, 96, 256, 2048}[(rows+tokens)%4]
				wq, aq := encode(t, k.w, gaussian(r, rows*n, 0.02)), encode(t, p.vec, gaussian(r, tokens*n, 1))
				rb, ab := len(wq)/rows, len(aq)/tokens
				got, want := make([]float32, rows*tokens), make([]float32, rows*tokens)
				k.mul(wq, rb, rows, aq, ab, tokens, n, got, rows)
				p.mul[k.o](wq, rb, rows, aq, ab, tokens, n, want, rows)
				for i, v := range want {
					if math.Float32bits(got[i]) != math.Float32bits(v) {
						t.Fatalf("%v %s, %d rows × %d tokens of %d: y[%d][%d] = %g, Go gives %g",
							k.w, orderNames[k.o], rows, tokens, n, i/rows, i%rows, got[i], v)
					}
				}
			}
		}
	}
}
