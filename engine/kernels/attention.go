package kernels

import (
	"encoding/binary"
	"fmt"
	"math"

	"nibble/engine/gguf"
)

// Attention over a KV cache whose rows hold the keys (or values) of every
// KV head of one position as F16 (llama.cpp's default) or F32. The two
// products of attention follow the orders of llama.cpp's x86 build for them
// (a batch of tokens: llamafile's tinyBLAS; one token: ggml_vec_dot_f16),
// as the weight products do (x86.go). Keys, queries, values and
// probabilities are rounded to the cache's precision by the caller, so with
// an F16 cache every product is exact in float32 and only the order of the
// additions matters.

// KVScratch is the number of float32 values of scratch KVWeightedSum needs
// for heads of hd values.
func KVScratch(hd int) int { return 64 * hd }

// KVScores sets scores[t] = (key t · q)·scale for t < len(scores), where
// key t is the len(q) values of type kv (F16 or F32) at
// keys[t·stride + off·size:] (size the bytes of one value: this head's
// columns of the cache row of position t). batched picks tinyBLAS's order
// (element i into lane i mod 16 with an FMA, then reduce16; len(q) must be
// a multiple of 16); otherwise ggml_vec_dot_f16's (the leading multiple of
// 64 into 64 lanes, reduce64, the rest added in float64).
func KVScores(kv gguf.Type, scores []float32, keys []byte, stride, off int, q []float32, scale float32, batched bool) {
	size := kvCheck(kv, len(scores), len(keys), stride, off, len(q))
	if batched && len(q)%16 != 0 {
		panic(fmt.Sprintf("kernels: KVScores: batched order of %d values", len(q)))
	}
	kvScores(kv, scores, keys[off*size:], stride, q, scale, batched)
}

// KVWeightedSum sets out[d] = Σ_t probs[t]·(value t)[d] for d < len(out),
// over the positions t < len(probs), where value t is the len(out) values
// of type kv at values[t·stride + off·size:]. It reads each value row once
// and sums in the order of llama.cpp's kernel for the transposed V: with
// batched tinyBLAS lanes (position t into lane t mod 16, then reduce16); for
// a single token ggml_vec_dot_f16 over the positions padded to 32, of which
// the first multiple of 64 go to 64 lanes and the rest to a float64 sum.
// scratch holds at least KVScratch(len(out)) values.
func KVWeightedSum(kv gguf.Type, out, probs []float32, values []byte, stride, off int, batched bool, scratch []float32) {
	size := kvCheck(kv, len(probs), len(values), stride, off, len(out))
	if len(scratch) < KVScratch(len(out)) {
		panic(fmt.Sprintf("kernels: KVWeightedSum: %d values of scratch for heads of %d", len(scratch), len(out)))
	}
	kvWeightedSum(kv, out, probs, values[off*size:], stride, batched, scratch)
}

// kvCheck panics unless kv is a cache type and rows rows of stride bytes
// hold hd values from column off on; it returns the bytes per value.
func kvCheck(kv gguf.Type, rows, n, stride, off, hd int) int {
	size := 2
	switch kv {
	case gguf.F16:
	case gguf.F32:
		size = 4
	default:
		panic("kernels: KV cache of type " + kv.String())
	}
	if rows > 0 && (off < 0 || hd < 0 || (off+hd)*size > stride || (rows-1)*stride+(off+hd)*size > n) {
		panic(fmt.Sprintf("kernels: %d KV rows of %d bytes, columns %d..%d, in %d bytes", rows, stride, off, off+hd, n))
	}
	return size
}

// The implementations, replaced by native code where the CPU has it
// (the keys and values slices start at the head's first column).
var (
	kvScores      = kvScoresGo
	kvWeightedSum = kvWeightedSumGo
)

// kvAt returns value i of a cache row of type kv.
func kvAt(kv gguf.Type, row []byte, i int) float32 {
	if kv == gguf.F16 {
		return f16Table[binary.LittleEndian.Uint16(row[2*i:])]
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:]))
}

func kvScoresGo(kv gguf.Type, scores []float32, keys []byte, stride int, q []float32, scale float32, batched bool) {
	hd := len(q)
	for t := range scores {
		row := keys[t*stride:]
		var dot float32
		if batched {
			var acc [16]float32
			for l := 0; l < hd; l += 16 {
				for i := range acc {
					acc[i] = fma32(kvAt(kv, row, l+i), q[l+i], acc[i])
				}
			}
			dot = reduce16(&acc)
		} else {
			np := hd &^ 63
			var sum float64
			if np > 0 {
				var acc [64]float32
				for l := 0; l < np; l += 64 {
					for i := range acc {
						acc[i] = fma32(kvAt(kv, row, l+i), q[l+i], acc[i])
					}
				}
				sum = float64(reduce64(&acc))
			}
			for i := np; i < hd; i++ {
				sum += float64(kvAt(kv, row, i) * q[i])
			}
			dot = float32(sum)
		}
		scores[t] = dot * scale
	}
}

// valueLanes returns how many accumulator lanes the ·V products of npos
// positions use and how many of the positions go to them (the rest are
// added in float64): tinyBLAS's 16 lanes for all of a batch's;
// ggml_vec_dot_f16's 64 for the leading multiple of 64 of the positions
// padded to 32 (llama.cpp pads the cache view it multiplies).
func valueLanes(npos int, batched bool) (lanes, simd int) {
	if batched {
		return 16, npos
	}
	return 64, min(((npos+31)&^31)&^63, npos)
}

func kvWeightedSumGo(kv gguf.Type, out, probs []float32, values []byte, stride int, batched bool, scratch []float32) {
	hd, npos := len(out), len(probs)
	lanes, simd := valueLanes(npos, batched)
	// Lane j of dimension d is acc[j·hd + d]: a position adds one
	// contiguous row.
	acc := scratch[:lanes*hd]
	clear(acc)
	for t := range simd {
		row, a, p := values[t*stride:], acc[t%lanes*hd:][:hd], probs[t]
		for d := range a {
			a[d] = fma32(p, kvAt(kv, row, d), a[d])
		}
	}
	for d := range out {
		var sum float64
		if lanes == 16 {
			var x [16]float32
			for j := range x {
				x[j] = acc[j*hd+d]
			}
			sum = float64(reduce16(&x))
		} else {
			var x [64]float32
			for j := range x {
				x[j] = acc[j*hd+d]
			}
			sum = float64(reduce64(&x))
		}
		for t := simd; t < npos; t++ {
			sum += float64(probs[t] * kvAt(kv, values[t*stride:], d))
		}
		out[d] = float32(sum)
	}
}

// Reduce16 adds 16 lanes in the order of _mm512_reduce_add_ps (reduce16,
// x86.go), for the model's softmax.
func Reduce16(x *[16]float32) float32 { return reduce16(x) }
