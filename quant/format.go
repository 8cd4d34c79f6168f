package quant

import (
	"fmt"
	"unsafe"

	"nibble/engine/gguf"
)

// format is what this package knows about one tensor type: how to encode a
// row of float32 into blocks and how to decode it back. Both functions take
// whole rows: len(src) a multiple of the type's block size and len(dst)
// exactly the matching size. They never allocate per block.
// quantizeWeighted, nil for types whose llama.cpp quantizer ignores an
// importance matrix, encodes exactly one row with one importance weight per
// element.
type format struct {
	quantize         func(dst []byte, src []float32)
	dequantize       func(dst []float32, src []byte)
	quantizeWeighted func(dst []byte, src, weights []float32)
}

// formats is the table of every type Nibble can write. Each function lives in
// the file of its type (q4_k.go, …).
var formats = map[gguf.Type]format{
	gguf.F32:  {QuantizeF32, DequantizeF32, nil},
	gguf.F16:  {QuantizeF16, DequantizeF16, nil},
	gguf.BF16: {QuantizeBF16, DequantizeBF16, nil},
	gguf.Q4_0: {QuantizeQ4_0, DequantizeQ4_0, QuantizeQ4_0Weighted},
	gguf.Q4_1: {QuantizeQ4_1, DequantizeQ4_1, QuantizeQ4_1Weighted},
	gguf.Q5_0: {QuantizeQ5_0, DequantizeQ5_0, QuantizeQ5_0Weighted},
	gguf.Q5_1: {QuantizeQ5_1, DequantizeQ5_1, QuantizeQ5_1Weighted},
	gguf.Q8_0: {QuantizeQ8_0, DequantizeQ8_0, nil},
	gguf.Q8_1: {QuantizeQ8_1, DequantizeQ8_1, nil},
	gguf.Q2_K: {QuantizeQ2_K, DequantizeQ2_K, QuantizeQ2_KWeighted},
	gguf.Q3_K: {QuantizeQ3_K, DequantizeQ3_K, QuantizeQ3_KWeighted},
	gguf.Q4_K: {QuantizeQ4_K, DequantizeQ4_K, QuantizeQ4_KWeighted},
	gguf.Q5_K: {QuantizeQ5_K, DequantizeQ5_K, QuantizeQ5_KWeighted},
	gguf.Q6_K: {QuantizeQ6_K, DequantizeQ6_K, QuantizeQ6_KWeighted},
	gguf.Q8_K: {QuantizeQ8_K, DequantizeQ8_K, nil},

	gguf.IQ4_NL: {QuantizeIQ4_NL, DequantizeIQ4_NL, QuantizeIQ4_NLWeighted},
}

// Supported reports whether Nibble can quantize to and dequantize from t.
func Supported(t gguf.Type) bool { _, ok := formats[t]; return ok }

// checkRow validates the sizes of a row conversion and returns the format.
func checkRow(t gguf.Type, nBytes, nElems int) (format, error) {
	f, ok := formats[t]
	if !ok {
		return format{}, fmt.Errorf("quant: type %v is not supported", t)
	}
	want, ok := t.RowBytes(nElems)
	if !ok {
		return format{}, fmt.Errorf("quant: %d values are not a whole number of %v blocks of %d", nElems, t, t.BlockElems())
	}
	if want != nBytes {
		return format{}, fmt.Errorf("quant: %d values of %v take %d bytes, buffer has %d", nElems, t, want, nBytes)
	}
	return f, nil
}

// Quantize encodes src as type t into dst. len(src) must be a multiple of the
// type's block size and len(dst) exactly the encoded size (t.RowBytes).
// The output is byte-identical to llama.cpp's reference quantizer.
func Quantize(t gguf.Type, dst []byte, src []float32) error {
	f, err := checkRow(t, len(dst), len(src))
	if err != nil {
		return err
	}
	f.quantize(dst, src)
	return nil
}

// QuantizeWeighted encodes the row src as type t into dst with the
// importance weights: one per element of src, the same for every row of a
// matrix (llama.cpp's quant_weights; see importance.go). For the types whose
// llama.cpp quantizer uses no weights (floats, Q8_0) and for nil weights it is
// Quantize. src must be a single row, since some types use the mean square
// of the whole row.
func QuantizeWeighted(t gguf.Type, dst []byte, src, weights []float32) error {
	f, err := checkRow(t, len(dst), len(src))
	if err != nil {
		return err
	}
	if weights == nil || f.quantizeWeighted == nil {
		f.quantize(dst, src)
		return nil
	}
	if len(weights) != len(src) {
		return fmt.Errorf("quant: %d importance weights for a row of %d values", len(weights), len(src))
	}
	f.quantizeWeighted(dst, src, weights)
	return nil
}

// Dequantize decodes src, encoded as type t, into dst.
func Dequantize(t gguf.Type, dst []float32, src []byte) error {
	f, err := checkRow(t, len(src), len(dst))
	if err != nil {
		return err
	}
	f.dequantize(dst, src)
	return nil
}

// f32View reinterprets little-endian float32 tensor bytes without copying.
// GGUF tensor data is aligned (general.alignment, 32 by default) and every
// platform Nibble ships on is little-endian.
func f32View(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}
