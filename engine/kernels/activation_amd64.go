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

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasF16C {
		quantizeQ8 = quantizeQ8AVX2
		quantizeQ8K = quantizeQ8KAVX2
		quantizeF16 = quantizeF16AVX2
	}
}
