//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// AVX2 activation encoders (activation_amd64.s), the same bytes as the Go
// ones: ggml-cpu's AVX2 quantize_row_q8_0/q8_1 (whose instructions they
// are), the reference Q8_K quantizer, and the rounding to half floats
// with F16C's VCVTPS2PH.

//go:noescape
func quantizeQ8AVX2(dst []byte, x []float32, sum bool)

//go:noescape
func quantizeQ8KAVX2(dst []byte, x []float32)

//go:noescape
func quantizeF16AVX2(dst []byte, x []float32)

// roundF16F16C rounds the leading multiple of 8 of src to half floats and
// back into dst (VCVTPS2PH with round-to-nearest-even, then VCVTPH2PS),
// stopping before the first group of 8 that holds a NaN, and returns how
// many values it did: VCVTPS2PH keeps NaN payload bits that
// quant.FP32ToFP16 drops.
//
//go:noescape
func roundF16F16C(dst, src *float32, n int) int

func roundF16Native(dst, src []float32) {
	for len(src) > 0 {
		done := 0
		if len(src) >= 8 {
			done = roundF16F16C(&dst[0], &src[0], len(src)&^7)
		}
		rest := min(len(src), done+8) // a group with a NaN, or the tail
		roundF16Go(dst[done:rest], src[done:rest])
		dst, src = dst[rest:], src[rest:]
	}
}

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasF16C {
		quantizeQ8 = quantizeQ8AVX2
		quantizeQ8K = quantizeQ8KAVX2
		quantizeF16 = quantizeF16AVX2
		roundF16 = roundF16Native
	}
}
