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
type format struct {
	quantize   func(dst []byte, src []float32)
	dequantize func(dst []float32, src []byte)
}

// formats is the table of every type Nibble can write. Each function lives in
// the file of its type (q4_k.go, …).
var formats = map[gguf.Type]format{
	gguf.F32:  {QuantizeF32, DequantizeF32},
	gguf.F16:  {QuantizeF16, DequantizeF16},
	gguf.BF16: {QuantizeBF16, DequantizeBF16},
	gguf.Q4_0: {QuantizeQ4_0, DequantizeQ4_0},
	gguf.Q4_1: {QuantizeQ4_1, DequantizeQ4_1},
	gguf.Q5_0: {QuantizeQ5_0, DequantizeQ5_0},
	gguf.Q5_1: {QuantizeQ5_1, DequantizeQ5_1},
	gguf.Q8_0: {QuantizeQ8_0, DequantizeQ8_0},
	gguf.Q8_1: {QuantizeQ8_1, DequantizeQ8_1},
	gguf.Q2_K: {QuantizeQ2_K, DequantizeQ2_K},
	gguf.Q3_K: {QuantizeQ3_K, DequantizeQ3_K},
	gguf.Q4_K: {QuantizeQ4_K, DequantizeQ4_K},
	gguf.Q5_K: {QuantizeQ5_K, DequantizeQ5_K},
	gguf.Q6_K: {QuantizeQ6_K, DequantizeQ6_K},
	gguf.Q8_K: {QuantizeQ8_K, DequantizeQ8_K},

	gguf.IQ4_NL: {QuantizeIQ4_NL, DequantizeIQ4_NL},
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
