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

// BenchmarkQuantize measures single-goroutine quantization of a 4096×256
// matrix of Gaussian values, row by row; MB/s counts the float32 input.
func BenchmarkQuantize(b *testing.B) {
	const rows, cols = 4096, 256
	r := rand.New(rand.NewPCG(11, 12))
	src := make([]float32, rows*cols)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 0.02)
	}
	for _, typ := range benchTypes {
		b.Run(typ.String(), func(b *testing.B) {
			quantize := formats[typ].quantize
			rowBytes, _ := typ.RowBytes(cols)
			dst := make([]byte, rows*rowBytes)
			if !quantizes(quantize, dst[:rowBytes], src[:cols]) {
				b.Skipf("%v: quantizer not implemented yet", typ)
			}
			b.SetBytes(4 * rows * cols)
			for b.Loop() {
				for i := range rows {
					quantize(dst[i*rowBytes:(i+1)*rowBytes], src[i*cols:(i+1)*cols])
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
