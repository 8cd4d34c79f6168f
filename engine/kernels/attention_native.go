//go:build !purego && (amd64 || arm64)

package kernels

import "nibble/engine/gguf"

// The native attention products over an F16 cache (llama.cpp's default):
// the Go side shared by attention_amd64.s and attention_arm64.s, whose
// functions have the same names and duties. An F32 cache, heads the vector
// steps do not divide (hd%16 != 0 for the weighted sum) and empty products
// take the Go functions. Each GOARCH's init installs them when the CPU has
// the instructions.

func kvScoresNative(kv gguf.Type, scores []float32, keys []byte, stride int, q []float32, scale float32, batched bool) {
	if kv != gguf.F16 || len(scores) == 0 || len(q) == 0 {
		kvScoresGo(kv, scores, keys, stride, q, scale, batched)
		return
	}
	if batched {
		kvScoresF16Lanes16(&scores[0], len(scores), &keys[0], stride, &q[0], len(q), scale)
	} else {
		kvScoresF16Lanes64(&scores[0], len(scores), &keys[0], stride, &q[0], len(q), scale)
	}
}

func kvWeightedSumNative(kv gguf.Type, out, probs []float32, values []byte, stride int, batched bool, scratch []float32) {
	hd, npos := len(out), len(probs)
	if kv != gguf.F16 || hd == 0 || hd%16 != 0 || npos == 0 {
		kvWeightedSumGo(kv, out, probs, values, stride, batched, scratch)
		return
	}
	lanes, simd := valueLanes(npos, batched)
	acc := scratch[:lanes*hd]
	kvAccumulateF16(&acc[0], lanes, hd, &probs[0], simd, &values[0], stride)
	if batched {
		kvReduce16(&out[0], &acc[0], hd)
	} else {
		kvReduce64F16(&out[0], &acc[0], hd, &probs[0], &values[0], stride, simd, npos)
	}
}

// kvScoresF16Lanes16 sets scores[t] = (key t · q)·scale for t < n in
// tinyBLAS's order: element i of the hd (a multiple of 16) into lane
// i mod 16 with an FMA, then reduce16. Key t is the hd F16 values at
// keys + t·stride.
//
//go:noescape
func kvScoresF16Lanes16(scores *float32, n int, keys *byte, stride int, q *float32, hd int, scale float32)

// kvScoresF16Lanes64 is kvScoresF16Lanes16 in ggml_vec_dot_f16's order:
// the leading multiple of 64 elements into 64 lanes with FMAs, reduce64,
// then the rest added as float32 products to a float64 sum.
//
//go:noescape
func kvScoresF16Lanes64(scores *float32, n int, keys *byte, stride int, q *float32, hd int, scale float32)

// kvAccumulateF16 sets lane j < lanes of acc (the hd floats of row j,
// lane j of dimension d is acc[j·hd + d]) to the FMA chain from zero of
// probs[t]·(value t) over the positions t < n with t mod lanes = j, in
// increasing t; value t is the hd (a multiple of 16) F16 values at
// values + t·stride.
//
//go:noescape
func kvAccumulateF16(acc *float32, lanes, hd int, probs *float32, n int, values *byte, stride int)

// kvReduce16 sets out[d] to reduce16 of the 16 lanes acc[j·hd + d], for
// d < hd (a multiple of 8 on amd64, 4 on arm64).
//
//go:noescape
func kvReduce16(out, acc *float32, hd int)

// kvReduce64F16 sets out[d] to reduce64 of the 64 lanes acc[j·hd + d] plus,
// in float64, the float32 products probs[t]·(value t)[d] for from ≤ t < to,
// rounded to float32 (hd a multiple of 8 on amd64, 4 on arm64).
//
//go:noescape
func kvReduce64F16(out, acc *float32, hd int, probs *float32, values *byte, stride, from, to int)
