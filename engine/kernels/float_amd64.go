//go:build !purego

package kernels

import (
	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
)

// The float weight types in AVX2 with FMA and F16C (float_amd64.s): the
// vec_dot orders as dot products (one row, one token: the decode case
// streams the row once), the tinyBLAS orders as tiles of 2 rows × 2 or 3
// tokens (prompt batches), or for F16 and F32 with AVX-512 4 rows × 6
// tokens (1.1-1.6× faster on Zen 4: fewer loads and conversions per FMA).

//go:noescape
func dotF16Vec(w, a []byte, n int) float32

//go:noescape
func dotF32Vec(w, a []byte, n int) float32

//go:noescape
func dotBF16Vec(w, a []byte, n int) float32

//go:noescape
func gemmF16Tile(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)

//go:noescape
func gemmF32Tile(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)

//go:noescape
func gemmBF16Tile(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)

//go:noescape
func gemmF16Tile512(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)

//go:noescape
func gemmF32Tile512(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return
	}
	useNative(gguf.F16, vecDotOrder, "avx2", goMul(dotF16Vec))
	useNative(gguf.F32, vecDotOrder, "avx2", goMul(dotF32Vec))
	useNative(gguf.BF16, vecDotOrder, "avx2", goMul(dotBF16Vec))
	useNative(gguf.BF16, gemmOrder, "avx2", tiledMul(gemmBF16Tile, 2, 2))
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		useNative(gguf.F16, gemmOrder, "avx512", tiledMul(gemmF16Tile512, 4, 6))
		useNative(gguf.F32, gemmOrder, "avx512", tiledMul(gemmF32Tile512, 4, 6))
		return
	}
	useNative(gguf.F16, gemmOrder, "avx2", tiledMul(gemmF16Tile, 2, 3))
	useNative(gguf.F32, gemmOrder, "avx2", tiledMul(gemmF32Tile, 2, 3))
}

// tiledMul returns the mulFunc that computes the products in tiles of
// tileRows rows × tileTokens tokens (at most 4 × 6) with tile, which sets
// y[6r+t] to the product of the n elements of row w[r] and token a[t]. A
// tile past the last row or token repeats the last one, and drops those
// results.
func tiledMul(tile func(w *[4]*byte, a *[6]*byte, n int, y *[24]float32), tileRows, tileTokens int) mulFunc {
	return func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		if n == 0 { // no bytes to point at; every product is 0
			for i := range tokens {
				clear(y[i*yStride : i*yStride+rows])
			}
			return
		}
		var wp [4]*byte
		var ap [6]*byte
		var out [24]float32
		for r0 := 0; r0 < rows; r0 += tileRows {
			for r := range tileRows {
				wp[r] = &w[min(r0+r, rows-1)*wStride]
			}
			for t0 := 0; t0 < tokens; t0 += tileTokens {
				for t := range tileTokens {
					ap[t] = &a[min(t0+t, tokens-1)*aStride]
				}
				tile(&wp, &ap, n, &out)
				for r := r0; r < min(r0+tileRows, rows); r++ {
					for t := t0; t < min(t0+tileTokens, tokens); t++ {
						y[t*yStride+r] = out[6*(r-r0)+t-t0]
					}
				}
			}
		}
	}
}
