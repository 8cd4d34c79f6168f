package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMatVec multiplies a 2048×2048 matrix of each weight type with a
// vector on one goroutine; the MB/s column is weight bytes streamed.
func BenchmarkMatVec(b *testing.B) {
	const rows, cols = 2048, 2048
	r := rand.New(rand.NewPCG(1, 2))
	x, a := gaussian(r, rows*cols, 0.02), gaussian(r, cols, 1)
	for _, tc := range weightTypes {
		b.Run(tc.w.String(), func(b *testing.B) {
			weights := encode(b, tc.w, x)
			act := encode(b, tc.vec, a)
			y := make([]float32, rows)
			b.SetBytes(int64(len(weights)))
			for b.Loop() {
				MatVec(tc.w, weights, rows, cols, act, y)
			}
		})
	}
}
