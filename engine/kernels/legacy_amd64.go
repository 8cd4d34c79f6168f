//go:build !purego

package kernels

import (
	"math"

	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
)

// Native kernels for the 32-element block types (x86_legacy.go has the Go
// orders they reproduce), in legacy_amd64.s.

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return
	}
	vnni := cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI
	if vnni {
		useNative(gguf.Q4_0, repackedOrder, "avx512vnni", mulQ4_0x8(true))
	} else {
		useNative(gguf.Q4_0, repackedOrder, "avx2", mulQ4_0x8(false))
	}
	// One token always takes the vec_dot order, which runs the AVX2
	// kernels; batches take tinyBLAS_Q0's order (the same lanes) where the
	// type has it, with the VNNI tiles where the CPU has them.
	for _, k := range []struct {
		w    gguf.Type
		one  lanes1
		four lanes4
		tile lanes4x4 // nil: no tinyBLAS_Q0 order
	}{
		{gguf.Q4_0, q4_0Lanes1, q4_0Lanes4, q4_0Lanes4x4VNNI},
		{gguf.Q5_0, q5_0Lanes1, q5_0Lanes4, q5_0Lanes4x4VNNI},
		{gguf.Q8_0, q8_0Lanes1, q8_0Lanes4, q8_0Lanes4x4VNNI},
		{gguf.IQ4_NL, iq4nlLanes1, iq4nlLanes4, iq4nlLanes4x4VNNI},
		{gguf.Q4_1, q4_1Lanes1, q4_1Lanes4, nil},
		{gguf.Q5_1, q5_1Lanes1, q5_1Lanes4, nil},
	} {
		if k.w != gguf.IQ4_NL { // its vec_dot pairs blocks: vecDotIQ4_NL
			useNative(k.w, vecDotOrder, "avx2", mulLanes(k.w, vecDotOrder, k.one, k.four, nil))
		}
		switch {
		case k.tile == nil:
		case vnni:
			useNative(k.w, gemmOrder, "avx512vnni", mulLanes(k.w, gemmOrder, k.one, k.four, k.tile))
		default:
			useNative(k.w, gemmOrder, "avx2", mulLanes(k.w, gemmOrder, k.one, k.four, nil))
		}
	}
}

// q4_0x8AVX2 adds to y[i·yStride + r] (r < 8, i < tokens) the products of
// the 8 Q4_0 rows at w (wStride bytes apart) with the tokens Q8_0 rows at a
// (aStride bytes apart), nb blocks each, in the order of dotQ4_0x8: per
// block one exact integer sum, acc = fma(isum, dw·da, acc), the 8 rows' acc
// in one vector. y must hold zeros to start from.
//
//go:noescape
func q4_0x8AVX2(w *byte, wStride int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

// q4_0x16VNNI is q4_0x8AVX2 for 16 rows with AVX-512 VNNI: the rows'
// levels one per lane, multiplied by VPDPBUSD with 4 broadcast activation
// bytes at a time; sums[b·tokens + i] holds −8·Σa and da of token i's
// block b.
//
//go:noescape
func q4_0x16VNNI(w *byte, wStride int, sums *q8Sum, a *byte, aStride, tokens, nb int, y *float32, yStride int)

// q8Sum is what q4_0x16VNNI needs of an activation block besides its
// levels: −8 times their sum (the offset of the Q4_0 levels, which the
// kernel multiplies unsigned) and the block's scale.
type q8Sum struct {
	offset int32
	d      float32
}

// vnniTokens is the fewest tokens for which q4_0x16VNNI is faster than
// q4_0x8AVX2: it unpacks the weights once per block for all tokens, which
// costs more than one token's products.
const vnniTokens = 2

// mulQ4_0x8 is the repacked Q4_0 order (dotQ4_0x8): with AVX-512 VNNI and
// a batch, tiles of 16 rows × all tokens (q4_0x16VNNI), then tiles of 8
// rows (q4_0x8AVX2), then the Go function for rows beyond a multiple of 8.
// Each tile unpacks a weight block once for every token.
func mulQ4_0x8(vnni bool) mulFunc {
	return func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		nb := n / gguf.QK
		if nb == 0 || tokens == 0 || wStride > math.MaxInt32/16 { // the gathers' row offsets are int32
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
		if vnni && tokens >= vnniTokens {
			r = rows &^ 15
			mulQ4_0x16VNNI(w, wStride, r, a, aStride, tokens, nb, y, yStride)
		}
		for ; r < tiled; r += 8 {
			for i := range tokens {
				clear(y[i*yStride+r : i*yStride+r+8])
			}
			q4_0x8AVX2(&w[r*wStride], wStride, &a[0], aStride, tokens, nb, &y[r], yStride)
		}
		portable[gguf.Q4_0].mul[repackedOrder](w[tiled*wStride:], wStride, rows-tiled, a, aStride, tokens, n, y[tiled:], yStride)
	}
}

// mulQ4_0x16VNNI runs q4_0x16VNNI on rows (a multiple of 16) in chunks of
// tokens and blocks whose activation sums fit one stack buffer: for each
// chunk, every 16-row tile adds the chunk's blocks to y.
func mulQ4_0x16VNNI(w []byte, wStride, rows int, a []byte, aStride, tokens, nb int, y []float32, yStride int) {
	if rows == 0 {
		return
	}
	var sums [2048]q8Sum
	for i0 := 0; i0 < tokens; i0 += 64 {
		ti := min(64, tokens-i0)
		chunk := len(sums) / ti
		for b0 := 0; b0 < nb; b0 += chunk {
			bc := min(chunk, nb-b0)
			for b := range bc {
				for i := range ti {
					blk := a[(i0+i)*aStride+(b0+b)*q8_0Bytes:][:q8_0Bytes]
					var s int32
					for _, q := range blk[2:] {
						s += int32(int8(q))
					}
					sums[b*ti+i] = q8Sum{-8 * s, fp16(blk)}
				}
			}
			for r := 0; r < rows; r += 16 {
				if b0 == 0 {
					for i := range ti {
						clear(y[(i0+i)*yStride+r : (i0+i)*yStride+r+16])
					}
				}
				q4_0x16VNNI(&w[r*wStride+b0*q4_0Bytes], wStride, &sums[0], &a[i0*aStride+b0*q8_0Bytes], aStride, ti, bc, &y[i0*yStride+r], yStride)
			}
		}
	}
}

// The lane-order kernels (vecDotQ8_0 and its siblings, for every type but
// IQ4_NL also tinyBLAS_Q0's order): lanes1 is one row by one token, lanes4
// one row by 4 tokens (aStride and yStride apart), nb blocks.
// lanes4x4 (AVX-512 VNNI) is 4 rows (wStride apart) by 4 tokens.
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

//go:noescape
func q4_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q8_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func iq4nlLanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q4_1Lanes1(w, a *byte, nb int) float32

//go:noescape
func q4_1Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

//go:noescape
func q5_1Lanes1(w, a *byte, nb int) float32

//go:noescape
func q5_1Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)

// mulLanes returns the mulFunc of weight type w's lane-order kernels: with
// vnni, tiles of 4 rows × 4 tokens; then row by row, the tokens 4 at a time
// (each weight block unpacked once for the 4, the row in cache for all
// tokens), the rest one by one.
func mulLanes(w gguf.Type, o order, one lanes1, four lanes4, vnni lanes4x4) mulFunc {
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
		if vnni != nil {
			for ; r+4 <= rows; r += 4 {
				i := 0
				for ; i+4 <= tokens; i += 4 {
					vnni(&wq[r*wStride], wStride, &a[i*aStride], aStride, nb, &y[i*yStride+r], yStride)
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
			for ; i+4 <= tokens; i += 4 {
				four(wr, &a[i*aStride], aStride, nb, &y[i*yStride+r], yStride)
			}
			for ; i < tokens; i++ {
				y[i*yStride+r] = one(wr, &a[i*aStride], nb)
			}
		}
	}
}
