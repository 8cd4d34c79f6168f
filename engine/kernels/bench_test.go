package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMatVec multiplies a 2048×2048 matrix of each weight type with a
// vector on one goroutine (decoding one token); the MB/s column is weight
// bytes streamed.
func BenchmarkMatVec(b *testing.B) {
	benchMatMul(b, 1)
}

// BenchmarkMatVecDRAM is BenchmarkMatVec on a matrix far larger than the
// caches (16384×4096: 36 MiB at Q4_0, 64 MiB at Q8_0), as the weights of a
// model are when decoding: MB/s next to go test -bench StreamRead
// ./engine/hw says how close a kernel comes to the memory's bandwidth.
func BenchmarkMatVecDRAM(b *testing.B) {
	const rows, cols = 16384, 4096
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

// BenchmarkMatMul multiplies a 2048×2048 matrix of each weight type with 64
// activation rows on one goroutine (a prompt batch); GMAC/s is weight
// elements times tokens per nanosecond.
func BenchmarkMatMul(b *testing.B) {
	benchMatMul(b, 64)
}

func benchMatMul(b *testing.B, tokens int) {
	const rows, cols = 2048, 2048
	r := rand.New(rand.NewPCG(1, 2))
	x, a := gaussian(r, rows*cols, 0.02), gaussian(r, tokens*cols, 1)
	for _, tc := range weightTypes {
		b.Run(tc.w.String(), func(b *testing.B) {
			weights := encode(b, tc.w, x)
			act := encode(b, tc.vec, a)
			y := make([]float32, tokens*rows)
			b.SetBytes(int64(len(weights)))
			for b.Loop() {
				MatMul(tc.w, weights, rows, cols, act, tokens, y, 0, rows)
			}
			b.ReportMetric(float64(rows*cols*tokens)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GMAC/s")
		})
	}
}
