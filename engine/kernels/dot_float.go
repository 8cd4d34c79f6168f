package kernels

import (
	"encoding/binary"
	"unsafe"

	"nibble/quant"
)

// Dot products of the float weight types, each with activations of its own
// type. Like ggml's generic ggml_vec_dot_f32/f16/bf16, every product is
// rounded to float32 and the products are summed in float64, which makes the
// result the float32 rounding of the exact sum in all but freak cases: the
// four partial sums used here for speed (ggml sums in one) change nothing
// measurable.

// dotF32 multiplies F32 weights with F32 activations.
func dotF32(w, a []byte, n int) float32 {
	return DotF32(f32View(w, n), f32View(a, n))
}

// dotF16 multiplies F16 weights with F16 activations.
func dotF16(w, a []byte, n int) float32 {
	w, a = w[:2*n], a[:2*n]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		x, y := w[2*i:2*i+8], a[2*i:2*i+8]
		s0 += float64(fp16(x[0:]) * fp16(y[0:]))
		s1 += float64(fp16(x[2:]) * fp16(y[2:]))
		s2 += float64(fp16(x[4:]) * fp16(y[4:]))
		s3 += float64(fp16(x[6:]) * fp16(y[6:]))
	}
	for ; i < n; i++ {
		s0 += float64(fp16(w[2*i:]) * fp16(a[2*i:]))
	}
	return float32(s0 + s1 + s2 + s3)
}

// dotBF16 multiplies BF16 weights with BF16 activations.
func dotBF16(w, a []byte, n int) float32 {
	w, a = w[:2*n], a[:2*n]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		x, y := w[2*i:2*i+8], a[2*i:2*i+8]
		s0 += float64(bf16(x[0:]) * bf16(y[0:]))
		s1 += float64(bf16(x[2:]) * bf16(y[2:]))
		s2 += float64(bf16(x[4:]) * bf16(y[4:]))
		s3 += float64(bf16(x[6:]) * bf16(y[6:]))
	}
	for ; i < n; i++ {
		s0 += float64(bf16(w[2*i:]) * bf16(a[2*i:]))
	}
	return float32(s0 + s1 + s2 + s3)
}

// f16Table maps every half float bit pattern to its float32 value, as ggml's
// table_f32_f16 does: one load instead of unpacking sign, exponent and
// mantissa per element.
var f16Table [1 << 16]float32

func init() {
	for h := range f16Table {
		f16Table[h] = quant.FP16ToFP32(uint16(h))
	}
}

// fp16 decodes the little-endian half float at b[0:2].
func fp16(b []byte) float32 { return f16Table[binary.LittleEndian.Uint16(b)] }

// bf16 decodes the little-endian bfloat16 at b[0:2].
func bf16(b []byte) float32 { return quant.BF16ToFP32(binary.LittleEndian.Uint16(b)) }

// f32View reinterprets the first n little-endian float32 values of b without
// copying (every platform Nibble ships on is little-endian). Tensor data in
// a GGUF file is aligned to 32 bytes and Go allocates byte slices aligned to
// 8, so the values are aligned in practice.
func f32View(b []byte, n int) []float32 {
	if n == 0 {
		return nil
	}
	b = b[:4*n]
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
}
