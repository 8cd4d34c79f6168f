//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// NEON activation encoders (activation_arm64.s), the same bytes as the Go
// ones: the reference Q8_K quantizer and the rounding to half floats with
// FCVTN, also for RoundF16 (widened back with FCVTL). (The Q8_0/Q8_1
// encoder is registered with the NEON kernels in neon_arm64.go.)

//go:noescape
func quantizeQ8KNEON(dst []byte, x []float32)

//go:noescape
func quantizeF16NEON(dst []byte, x []float32)

// roundF16NEON is roundF16Go; len(dst) must be len(src) (dst may be src).
//
//go:noescape
func roundF16NEON(dst, src []float32)

func init() {
	if cpu.ARM64.HasASIMD && cpu.ARM64.HasFP {
		quantizeQ8K = quantizeQ8KNEON
		quantizeF16 = quantizeF16NEON
		roundF16 = roundF16NEON
	}
}
