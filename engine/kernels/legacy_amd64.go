//go:build !purego

package kernels

import (
	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
)

// Native kernels for the 32-element block types (x86_legacy.go has the Go
// orders they reproduce), in legacy_amd64.s.

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return
	}
	for _, k := range legacyKernels(cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI) {
		useNative(k.w, k.o, k.name, k.mul)
	}
}

// nativeMul is a native product of weight type w in order o.
type nativeMul struct {
	w    gguf.Type
	o    order
	name string
	mul  mulFunc
}

// legacyKernels returns the native products of the 32-element block types
// for a CPU with AVX2, FMA and F16C, and AVX-512 F and VNNI if vnni.
func legacyKernels(vnni bool) []nativeMul {
	name := "avx2"
	if vnni {
		name = "avx512vnni"
	}
	ks := []nativeMul{
		{gguf.Q4_0, repackedOrder, name, mulQ4_0x8(vnni)},
		{gguf.IQ4_NL, vecDotOrder, "avx2", mulLanes(gguf.IQ4_NL, vecDotOrder, iq4nlVecDot1, nil, nil)},
	}
	// One token takes the vec_dot order, which runs the AVX2 kernels. A
	// batch takes tinyBLAS_Q0's order (the same lanes) where the type has
	// it, else the vec_dot order again, with the VNNI tiles if vnni.
	for _, k := range []struct {
		w     gguf.Type
		batch order
		one   lanes1
		four  lanes4
		tile  lanes4x4
	}{
		{gguf.Q4_0, gemmOrder, q4_0Lanes1, q4_0Lanes4, q4_0Lanes4x4VNNI},
		{gguf.Q5_0, gemmOrder, q5_0Lanes1, q5_0Lanes4, q5_0Lanes4x4VNNI},
		{gguf.Q8_0, gemmOrder, q8_0Lanes1, q8_0Lanes4, q8_0Lanes4x4VNNI},
		{gguf.IQ4_NL, gemmOrder, iq4nlLanes1, iq4nlLanes4, iq4nlLanes4x4VNNI},
		{gguf.Q4_1, vecDotOrder, q4_1Lanes1, q4_1Lanes4, q4_1Lanes4x4VNNI},
		{gguf.Q5_1, vecDotOrder, q5_1Lanes1, q5_1Lanes4, q5_1Lanes4x4VNNI},
	} {
		if !vnni {
			k.tile = nil
		}
		if k.batch != vecDotOrder && k.w != gguf.IQ4_NL { // IQ4_NL's vec_dot pairs blocks (iq4nlVecDot1)
			ks = append(ks, nativeMul{k.w, vecDotOrder, "avx2", mulLanes(k.w, vecDotOrder, k.one, k.four, nil)})
		}
		ks = append(ks, nativeMul{k.w, k.batch, name, mulLanes(k.w, k.batch, k.one, k.four, k.tile)})
	}
	return ks
}

// q4_0x8AVX2 adds to y[i·yStride + r] (r < 8, i < tokens) the products of
// the 8 Q4_0 rows at w (wStride bytes apart) with the tokens Q8_0 rows at a
// (aStride bytes apart), nb blocks each, in the order of dotQ4_0x8: per
// block one exact integer sum, acc = fma(isum, dw·da, acc), the 8 rows' acc
// in one vector. y must hold zeros to start from.
//
//go:noescape
func q4_0x8AVX2(w *byte, wStride int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

// q4_0x8DotAVX2 is q4_0x8AVX2 for one token: y[r] for r < 8 (the
// products, not added to y).
//
//go:noescape
func q4_0x8DotAVX2(w *byte, wStride int, a *byte, nb int, y *float32)

// q4_0x16VNNI is q4_0x8AVX2 for 16 rows with AVX-512 VNNI, adding token
// i's products to acc[16·i:16·i+16]: the rows' levels one per lane,
// multiplied by VPDPBUSD with 4 broadcast activation bytes at a time;
// sums[b·tokens + i] holds −8·Σa and da of token i's block b.
//
//go:noescape
func q4_0x16VNNI(w *byte, wStride int, sums *q8Sum, a *byte, aStride, tokens, nb int, acc *float32)

// q4_0x16DotVNNI is q4_0x8AVX2 for 16 rows and one token with AVX-512
// VNNI: y[r] for r < 16 (the products, not added to y).
//
//go:noescape
func q4_0x16DotVNNI(w *byte, wStride int, a *byte, nb int, y *float32)

// q8Sum is what q4_0x16VNNI needs of an activation block besides its
// levels: −8 times their sum (the offset of the Q4_0 levels, which the
// kernel multiplies unsigned) and the block's scale.
type q8Sum struct {
	offset int32
	d      float32
}

// mulQ4_0x8 is the repacked Q4_0 order (dotQ4_0x8). With AVX-512 VNNI,
// tiles of 16 rows: q4_0x16DotVNNI for one token, q4_0x16VNNI for a batch;
// then tiles of 8 rows (q4_0x8AVX2), then the Go function for rows beyond
// a multiple of 8. The batch kernels unpack a weight block once for every
// token of the tile.
func mulQ4_0x8(vnni bool) mulFunc {
	return func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		nb := n / gguf.QK
		if nb == 0 || tokens == 0 {
			portable[gguf.Q4_0].mul[repackedOrder](w, wStride, rows, a, aStride, tokens, n, y, yStride)
			return
		}
		tiled := rows &^ 7
		if tiled > 0 {
			_ = w[(tiled-1)*wStride+nb*q4_0Bytes-1]
			_ = a[(tokens-1)*aStride+nb*q8_0Bytes-1]
			_ = y[(tokens-1)*yStride+tiled-1]
		}
		r := 0
		if tokens == 1 {
			for ; vnni && r+16 <= rows; r += 16 {
				q4_0x16DotVNNI(&w[r*wStride], wStride, &a[0], nb, &y[r])
			}
			for ; r < tiled; r += 8 {
				q4_0x8DotAVX2(&w[r*wStride], wStride, &a[0], nb, &y[r])
			}
		} else {
			if vnni {
				r = rows &^ 15
				mulQ4_0x16VNNI(w, wStride, r, a, aStride, tokens, nb, y, yStride)
			}
			for ; r < tiled; r += 8 {
				for i := range tokens {
					clear(y[i*yStride+r : i*yStride+r+8])
				}
				q4_0x8AVX2(&w[r*wStride], wStride, &a[0], aStride, tokens, nb, &y[r], yStride)
			}
		}
		if rows > tiled { // the Go function prepares the activations even for no rows
			portable[gguf.Q4_0].mul[repackedOrder](w[tiled*wStride:], wStride, rows-tiled, a, aStride, tokens, n, y[tiled:], yStride)
		}
	}
}

// mulQ4_0x16VNNI runs q4_0x16VNNI on rows (a multiple of 16) in chunks of
// at most 64 tokens and as many blocks as their activation sums fit one
// stack buffer: for each chunk, every 16-row tile adds the chunk's blocks
// to its accumulators. These are copied between y and a contiguous buffer:
// a tile's outputs in y lie a multiple of 4 KiB apart for usual shapes, and
// 64 of them would not stay in the L1 cache.
func mulQ4_0x16VNNI(w []byte, wStride, rows int, a []byte, aStride, tokens, nb int, y []float32, yStride int) {
	if rows == 0 {
		return
	}
	var sums [2048]q8Sum
	var acc [64 * 16]float32
	for i0 := 0; i0 < tokens; i0 += 64 {
		ti := min(64, tokens-i0)
		chunk := len(sums) / ti
		for b0 := 0; b0 < nb; b0 += chunk {
			bc := min(chunk, nb-b0)
			for b := range bc {
				for i := range ti {
					blk := (*[q8_0Bytes]byte)(a[(i0+i)*aStride+(b0+b)*q8_0Bytes:])
					sums[b*ti+i] = q8Sum{-8 * levelSum((*[gguf.QK]byte)(blk[2:])), fp16(blk[:])}
				}
			}
			for r := 0; r < rows; r += 16 {
				for i := range ti {
					if b0 == 0 {
						clear(acc[16*i : 16*i+16])
					} else {
						copy(acc[16*i:16*i+16], y[(i0+i)*yStride+r:])
					}
				}
				q4_0x16VNNI(&w[r*wStride+b0*q4_0Bytes], wStride, &sums[0], &a[i0*aStride+b0*q8_0Bytes], aStride, ti, bc, &acc[0])
				for i := range ti {
					copy(y[(i0+i)*yStride+r:(i0+i)*yStride+r+16], acc[16*i:])
				}
			}
		}
	}
}

// The lane-order kernels (vecDotQ8_0 and its siblings, and tinyBLAS_Q0's
// order, which is the same but for IQ4_NL's vec_dot): lanes1 is one row by
// one token, lanes4 one row by 4 tokens (aStride and yStride apart), and
// lanes4x4 (AVX-512 VNNI) 4 rows (wStride apart) by 4 tokens, nb blocks.
type (
	lanes1   func(w, a *byte, nb int) float32
	lanes4   func(w, a *byte, aStride, nb int, y *float32, yStride int)
	lanes4x4 func(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)
)

//go:noescape
func q4_0Lanes1(w, a *byte, nb int) float32

//go:noescape
func q4_0Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5_0Lanes1(w, a *byte, nb int) float32

//go:noescape
func q5_0Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q8_0Lanes1(w, a *byte, nb int) float32

//go:noescape
func q8_0Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func iq4nlLanes1(w, a *byte, nb int) float32

//go:noescape
func iq4nlLanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

// iq4nlVecDot1 is vecDotIQ4_NL, one row by one token.
//
//go:noescape
func iq4nlVecDot1(w, a *byte, nb int) float32

//go:noescape
func q4_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q8_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func iq4nlLanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4_1Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5_1Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4_1Lanes1(w, a *byte, nb int) float32

//go:noescape
func q4_1Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5_1Lanes1(w, a *byte, nb int) float32

//go:noescape
func q5_1Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

// mulLanes returns the mulFunc of weight type w's kernels in order o: with
// tile, tiles of 4 rows × 4 tokens; then row by row, the tokens 4 at a time
// with four (each weight block unpacked once for the 4, the row in cache
// for all tokens), the rest one by one. tile and four may be nil.
func mulLanes(w gguf.Type, o order, one lanes1, four lanes4, tile lanes4x4) mulFunc {
	k := &portable[w]
	return func(wq []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		nb := n / gguf.QK
		if nb == 0 || rows == 0 || tokens == 0 {
			k.mul[o](wq, wStride, rows, a, aStride, tokens, n, y, yStride)
			return
		}
		_ = wq[(rows-1)*wStride+nb*k.wBytes-1]
		_ = a[(tokens-1)*aStride+nb*k.aBytes-1]
		_ = y[(tokens-1)*yStride+rows-1]
		r := 0
		if tile != nil {
			for ; r+4 <= rows; r += 4 {
				i := 0
				for ; i+4 <= tokens; i += 4 {
					tile(&wq[r*wStride], wStride, &a[i*aStride], aStride, nb, &y[i*yStride+r], yStride)
				}
				for ; i < tokens; i++ {
					for rr := r; rr < r+4; rr++ {
						y[i*yStride+rr] = one(&wq[rr*wStride], &a[i*aStride], nb)
					}
				}
			}
		}
		for ; r < rows; r++ {
			wr := &wq[r*wStride]
			i := 0
			for ; four != nil && i+4 <= tokens; i += 4 {
				four(wr, &a[i*aStride], aStride, nb, &y[i*yStride+r], yStride)
			}
			for ; i < tokens; i++ {
				y[i*yStride+r] = one(wr, &a[i*aStride], nb)
			}
		}
	}
}
