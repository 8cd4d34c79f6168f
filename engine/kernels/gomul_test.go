package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

// TestTiledMatchesDot checks every tiled Go product (goTiled) against its
// dotFunc, bit for bit, on shapes around the tile sizes and block chunks and
// on level bytes that reach the bounds of the integer tricks: random bytes,
// and all-minimum and all-maximum weight and activation levels.
func TestTiledMatchesDot(t *testing.T) {
	for w, muls := range goTiled {
		for o, mul := range muls {
			if mul == nil {
				continue
			}
			t.Run(w.String()+"/"+orderNames[o], func(t *testing.T) {
				dot := portable[w].dot[o]
				vt := VecType(w)
				r := rand.New(rand.NewPCG(uint64(w), 13))
				compare := func(what string, wq, aq []byte, rows, tokens, n int) {
					t.Helper()
					rb, ab := len(wq)/rows, len(aq)/tokens
					got := make([]float32, rows*tokens+1)
					for i := range got {
						got[i] = 42 // written over, except the last
					}
					mul(wq, rb, rows, aq, ab, tokens, n, got, rows)
					for i := range tokens {
						for row := range rows {
							want := dot(wq[row*rb:], aq[i*ab:], n)
							if g := got[i*rows+row]; math.Float32bits(g) != math.Float32bits(want) {
								t.Fatalf("%s, %d rows × %d tokens of %d: y[%d][%d] = %g, the dotFunc gives %g",
									what, rows, tokens, n, i, row, g, want)
							}
						}
					}
					if got[rows*tokens] != 42 {
						t.Fatalf("%s: wrote past the output", what)
					}
				}
				wq := encode(t, w, gaussian(r, 3*512, 0.02))
				aq := encode(t, vt, gaussian(r, 5*512, 1))
				y := make([]float32, 15)
				if n := testing.AllocsPerRun(3, func() { mul(wq, len(wq)/3, 3, aq, len(aq)/5, 5, 512, y, 3) }); n != 0 {
					t.Errorf("%v allocations per product, want 0", n)
				}
				for _, shape := range [][3]int{{1, 1, 1}, {5, 1, 3}, {4, 4, 37}, {9, 5, 70}, {3, 9, 2}, {8, 1, 33}, {1, 2, 65}, {3, 2, 0}} {
					rows, tokens, blocks := shape[0], shape[1], shape[2]
					n := blocks * w.BlockElems()
					wq := encode(t, w, gaussian(r, rows*n, 0.02))
					aq := encode(t, vt, gaussian(r, tokens*n, 1))
					compare("gaussian", wq, aq, rows, tokens, n)
					setLevels(w, wq, func(int) byte { return byte(r.Uint32()) })
					setLevels(vt, aq, func(int) byte { return byte(r.Uint32()) })
					compare("random levels", wq, aq, rows, tokens, n)
					for _, wl := range []byte{0, 0xff, 0x80, 0x7f} {
						for _, al := range []byte{0x80, 0x7f, 0x81} {
							setLevels(w, wq, func(int) byte { return wl })
							setLevels(vt, aq, func(int) byte { return al })
							compare("constant levels", wq, aq, rows, tokens, n)
						}
					}
				}
			})
		}
	}
}

// setLevels sets every byte of the blocks of type typ in b that is not a
// float scale to level(offset in block), and recomputes the sums a Q8_K
// block stores of its levels.
func setLevels(typ gguf.Type, b []byte, level func(int) byte) {
	bb := typ.BlockBytes()
	lo, hi := 0, bb // the float scales are outside [lo, hi)
	switch typ {
	case gguf.Q4_0, gguf.Q5_0, gguf.Q8_0, gguf.IQ4_NL:
		lo = 2
	case gguf.Q4_1, gguf.Q5_1, gguf.Q8_1:
		lo = 4
	case gguf.Q4_K, gguf.Q5_K:
		lo = 4
	case gguf.Q8_K:
		lo, hi = 4, q8KBsums
	case gguf.Q2_K:
		hi = q2KD
	case gguf.Q3_K:
		hi = q3KD
	case gguf.Q6_K:
		hi = q6KD
	}
	for blk := 0; blk < len(b); blk += bb {
		for i := lo; i < hi; i++ {
			b[blk+i] = level(i)
		}
		if typ == gguf.Q8_K {
			for g := range gguf.QK_K / 16 {
				var s int16
				for _, v := range b[blk+4+16*g : blk+4+16*g+16] {
					s += int16(int8(v))
				}
				binary.LittleEndian.PutUint16(b[blk+q8KBsums+2*g:], uint16(s))
			}
		}
	}
}
