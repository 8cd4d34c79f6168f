//go:build !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
)

// AVX2 kernels for the K-quants in llama.cpp's vec_dot order
// (kquants_amd64.s): each multiplies weight rows with 1 to 4 tokens at once.

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return
	}
	useNative(gguf.Q2_K, vecDotOrder, "avx2", kMul(&[4]kTile{q2KMul1, q2KMul2, q2KMul3, q2KMul4}))
	useNative(gguf.Q3_K, vecDotOrder, "avx2", kMul(&[4]kTile{q3KMul1, q3KMul2, q3KMul3, q3KMul4}))
	useNative(gguf.Q4_K, vecDotOrder, "avx2", kMul(&[4]kTile{q4KMul1, q4KMul2, q4KMul3, q4KMul4}))
	useNative(gguf.Q5_K, vecDotOrder, "avx2", kMul(&[4]kTile{q5KMul1, q5KMul2, q5KMul3, q5KMul4}))
	useNative(gguf.Q6_K, vecDotOrder, "avx2", kMul(&[4]kTile{q6KMul1, q6KMul2, q6KMul3, q6KMul4}))
}

// kTile is an assembly kernel for T tokens (T = 1…4, one kernel each): it
// sets y[i·yStride + r] for r < rows (>= 1), i < T to the product of the
// weight row at w + r·wStride with the activation row at a + i·aStride,
// nb super-blocks each.
type kTile func(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

// kRowBlock is how many weight rows a batch multiplies with all its tokens
// before it moves on, so that they stay in cache meanwhile.
const kRowBlock = 16

// kMul returns the mulFunc running the tiles (tiles[T-1] for T tokens): 4
// tokens at a time, the rest with the smaller tiles.
func kMul(tiles *[4]kTile) mulFunc {
	return func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		nb := n / gguf.QK_K
		for r := 0; r < rows; r += kRowBlock {
			rr := min(kRowBlock, rows-r)
			for i := 0; i < tokens; i += 4 {
				tiles[min(4, tokens-i)-1](unsafe.SliceData(w[r*wStride:]), wStride, rr,
					unsafe.SliceData(a[i*aStride:]), aStride, nb, &y[i*yStride+r], yStride)
			}
		}
	}
}

//go:noescape
func q2KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q2KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q2KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q2KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)
