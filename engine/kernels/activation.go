package kernels

import (
	"encoding/binary"
	"math"

	"nibble/engine/gguf"
	"nibble/quant"
)

// QuantizeVec encodes the activations x as type t (a VecType result) into
// dst, with the bytes llama.cpp's x86 CPU backend produces before its dot
// products (the from_float of ggml-cpu's type traits): F16 and BF16 rounded
// to nearest even, Q8_K by the reference quantizer, and Q8_0 and Q8_1 by
// ggml-cpu's AVX2 quantize_row_q8_0/q8_1 (quantizeQ8x86), which differ from
// the reference quantizers of the quant package (what a GGUF file holds) in
// the last level of a few elements. len(x) must be a multiple of t's block
// size and len(dst) exactly t.RowBytes(len(x)); it panics otherwise.
func QuantizeVec(t gguf.Type, dst []byte, x []float32) {
	if n, ok := t.RowBytes(len(x)); !ok || n != len(dst) {
		panic("kernels: QuantizeVec: " + t.String() + " row of wrong size")
	}
	switch t {
	case gguf.Q8_0, gguf.Q8_1:
		quantizeQ8(dst, x, t == gguf.Q8_1)
	case gguf.Q8_K:
		quantizeQ8K(dst, x)
	case gguf.F16:
		quantizeF16(dst, x)
	default:
		mustQuantize(t, dst, x)
	}
}

// RoundF16 sets dst[i] to src[i] rounded to the nearest half float (ties
// to even) and widened back, for i < len(src) (dst at least as long; it may
// be src): what llama.cpp does to the query and to the softmax
// probabilities before multiplying them with an F16 KV cache.
func RoundF16(dst, src []float32) { roundF16(dst[:len(src)], src) }

// roundF16 is RoundF16's implementation, which native code may replace.
var roundF16 = roundF16Go

func roundF16Go(dst, src []float32) {
	for i, x := range src {
		dst[i] = f16Table[quant.FP32ToFP16(x)]
	}
}

// The activation encoders that native code may replace (from init, when
// the CPU has the instructions; they must give the same bytes):
// quantizeQ8 is quantizeQ8x86, quantizeQ8K the reference Q8_K quantizer and
// quantizeF16 the rounding to half floats (the F16 weights' activations and
// the KV cache).
var (
	quantizeQ8  = quantizeQ8x86
	quantizeQ8K = func(dst []byte, x []float32) { mustQuantize(gguf.Q8_K, dst, x) }
	quantizeF16 = func(dst []byte, x []float32) { mustQuantize(gguf.F16, dst, x) }
)

// portableQ8, portableQ8K and portableF16 are the Go encoders, the reference for native ones.
var portableQ8, portableQ8K, portableF16 = quantizeQ8, quantizeQ8K, quantizeF16

func mustQuantize(t gguf.Type, dst []byte, x []float32) {
	if err := quant.Quantize(t, dst, x); err != nil {
		panic("kernels: QuantizeVec: " + err.Error())
	}
}

// quantizeQ8x86 encodes x as Q8_0 blocks (34 bytes: d, 32 levels) or, with
// sum, Q8_1 blocks (36 bytes: d, s, 32 levels) as ggml-cpu's AVX2
// quantize_row_q8_0 and quantize_row_q8_1 do. Per block of 32: amax =
// max|x|, d = amax/127 (stored as fp16), and each level is x·(127/amax)
// rounded to nearest even (_mm256_round_ps); the reference quantizer
// multiplies by 1/d and rounds halves away from zero, so a value near a
// half-level can land one level apart. Q8_1's s is fp16(d·Σlevels) with the
// unrounded d, as in the reference.
func quantizeQ8x86(dst []byte, x []float32, sum bool) {
	bb, off := q8_0Bytes, 2
	if sum {
		bb, off = q8_1Bytes, 4
	}
	for b := range len(x) / gguf.QK {
		xb := (*[gguf.QK]float32)(x[b*gguf.QK:])
		y := dst[b*bb : (b+1)*bb]
		var amax float32
		for _, v := range xb {
			amax = max(amax, math.Float32frombits(math.Float32bits(v)&^(1<<31)))
		}
		d := amax / 127
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		qs := (*[gguf.QK]byte)(y[off:])
		var s int32
		for j, v := range xb {
			q := math.RoundToEven(float64(float32(v * id)))
			q = max(-128, min(127, q)) // the saturating packs; |q| <= 127 for finite x
			qs[j] = byte(int8(q))
			s += int32(q)
		}
		binary.LittleEndian.PutUint16(y, quant.FP32ToFP16(d))
		if sum {
			binary.LittleEndian.PutUint16(y[2:], quant.FP32ToFP16(d*float32(s)))
		}
	}
}
