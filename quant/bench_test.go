package quant

import (
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

// benchTypes are the tensor types a GGUF file written by Nibble can hold.
var benchTypes = []gguf.Type{
	gguf.F32, gguf.F16, gguf.BF16,
	gguf.Q4_0, gguf.Q4_1, gguf.Q5_0, gguf.Q5_1, gguf.Q8_0,
	gguf.Q2_K, gguf.Q3_K, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K,
}

// Both benchmarks work on a 4096×256 matrix of Gaussian values, row by row,
// on one goroutine; MB/s counts the float32 side (input or output).
const benchRows, benchCols = 4096, 256

// benchMatrix returns the benchmark matrix, N(0, 0.02²) like model weights.
func benchMatrix() []float32 {
	r := rand.New(rand.NewPCG(11, 12))
	src := make([]float32, benchRows*benchCols)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 0.02)
	}
	return src
}

// BenchmarkQuantize measures quantizing the matrix to each type.
func BenchmarkQuantize(b *testing.B) {
	src := benchMatrix()
	for _, typ := range benchTypes {
		b.Run(typ.String(), func(b *testing.B) {
			quantize := formats[typ].quantize
			rowBytes, _ := typ.RowBytes(benchCols)
			dst := make([]byte, benchRows*rowBytes)
			if !quantizes(quantize, dst[:rowBytes], src[:benchCols]) {
				b.Skipf("%v: quantizer not implemented yet", typ)
			}
			b.SetBytes(4 * benchRows * benchCols)
			for b.Loop() {
				for i := range benchRows {
					quantize(dst[i*rowBytes:(i+1)*rowBytes], src[i*benchCols:(i+1)*benchCols])
				}
			}
		})
	}
}

// BenchmarkDequantize measures decoding the quantized matrix of each type,
// the first step of every conversion from an F16 or BF16 model.
func BenchmarkDequantize(b *testing.B) {
	src := benchMatrix()
	for _, typ := range benchTypes {
		b.Run(typ.String(), func(b *testing.B) {
			f := formats[typ]
			rowBytes, _ := typ.RowBytes(benchCols)
			enc := make([]byte, benchRows*rowBytes)
			if !quantizes(f.quantize, enc[:rowBytes], src[:benchCols]) {
				b.Skipf("%v: quantizer not implemented yet", typ)
			}
			f.quantize(enc, src)
			dst := make([]float32, benchRows*benchCols)
			b.SetBytes(4 * benchRows * benchCols)
			for b.Loop() {
				for i := range benchRows {
					f.dequantize(dst[i*benchCols:(i+1)*benchCols], enc[i*rowBytes:(i+1)*rowBytes])
				}
			}
		})
	}
}

// quantizes reports whether quantize runs without panicking, so benchmarks
// skip the types whose code is still a stub.
func quantizes(quantize func([]byte, []float32), dst []byte, src []float32) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	quantize(dst, src)
	return true
}
