//go:build !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
)

// AVX2 kernels for the K-quants in llama.cpp's vec_dot order, for one token
// and batches alike (kquants_amd64.s): each multiplies weight rows with 1 to
// 4 tokens at once, every output summed exactly as the Go vecDotQN_K. They
// also use FMA and F16C (VCVTPH2PS for the fp16 scales). With AVX-512,
// batches take 8 tokens at once: the same kernels with the lanes of tokens
// 4-7 in the registers Y16-Y23.

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return
	}
	wide := cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL
	name := "avx2"
	if wide {
		name = "avx2, avx512 batches"
	}
	use := func(w gguf.Type, t1, t2, t3, t4, t8 kTile) {
		tiles := kTiles{narrow: [4]kTile{t1, t2, t3, t4}}
		if wide {
			tiles.wide = t8
		}
		useNative(w, vecDotOrder, name, kMul(tiles))
	}
	use(gguf.Q2_K, q2KMul1, q2KMul2, q2KMul3, q2KMul4, q2KMul8)
	use(gguf.Q3_K, q3KMul1, q3KMul2, q3KMul3, q3KMul4, q3KMul8)
	use(gguf.Q5_K, q5KMul1, q5KMul2, q5KMul3, q5KMul4, q5KMul8)
	// One token runs faster with AVX-512 VNNI, two chunks per register
	// (kquants_amd64.s: the one-token kernels).
	q4KOne, q6KOne := kTile(q4KMul1), kTile(q6KMul1)
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI {
		q4KOne, q6KOne = q4KDecode, q6KDecode
		name += ", avx512 vnni decode"
	}
	use(gguf.Q4_K, q4KOne, q4KMul2, q4KMul3, q4KMul4, q4KMul8)
	use(gguf.Q6_K, q6KOne, q6KMul2, q6KMul3, q6KMul4, q6KMul8)
}

// kTile is an assembly kernel for T tokens (one kernel each T): it sets
// y[i·yStride + r] for r < rows (>= 1), i < T to the product of the weight
// row at w + r·wStride with the activation row at a + i·aStride, nb
// super-blocks each.
type kTile func(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

// kTiles are the kernels of one type: narrow[T-1] for T = 1…4 tokens and
// wide for 8 (nil without AVX-512).
type kTiles struct {
	narrow [4]kTile
	wide   kTile
}

// kRowBytes is how many bytes of weight rows a batch multiplies with all
// its tokens before it moves on, so that they stay in the core's cache
// (L2) meanwhile.
const kRowBytes = 128 << 10

// kMul returns the mulFunc running the tiles: 8 or 4 tokens at a time, the
// rest with a smaller tile, over blocks of rows of kRowBytes. Every output
// is summed on its own, so the tiling changes no bit.
func kMul(tiles kTiles) mulFunc {
	return func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		nb := n / gguf.QK_K
		block := max(1, kRowBytes/max(1, wStride))
		for r := 0; r < rows; r += block {
			rr := min(block, rows-r)
			for i := 0; i < tokens; {
				t := min(4, tokens-i)
				tile := tiles.narrow[t-1]
				if tokens-i >= 8 && tiles.wide != nil {
					t, tile = 8, tiles.wide
				}
				tile(unsafe.SliceData(w[r*wStride:]), wStride, rr, unsafe.SliceData(a[i*aStride:]), aStride, nb, &y[i*yStride+r], yStride)
				i += t
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
func q2KMul8(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q3KMul8(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4KMul8(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5KMul8(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul1(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul2(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul3(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul4(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KMul8(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

// q4KDecode and q6KDecode are the one-token kTiles with AVX-512 F, BW, VL
// and VNNI.
//
//go:noescape
func q4KDecode(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q6KDecode(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)
