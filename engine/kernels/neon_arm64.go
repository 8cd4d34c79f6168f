//go:build !purego

package kernels

import (
	"golang.org/x/sys/cpu"

	"nibble/engine/gguf"
)

// The NEON kernels (neon_arm64.s) reproduce llama.cpp's x86 order, not its
// NEON code: the 8 float32 lanes of an AVX2 accumulator are two 4-lane
// registers, FMLA stands for VFMADD231PS, and the horizontal sums follow
// hsum8 and hsum4. The integer parts use SDOT where the CPU has it
// (FEAT_DotProd: every Apple CPU, Cortex-A55/A76 and later) and plain
// ARMv8.0 NEON otherwise; both give the same bits.

// neonKernel is the shape of the assembly kernels: a mulFunc on pointers,
// for rows a multiple of the kernel's tile, tokens >= 1 and nb >= 1 blocks
// per row (elements, for the float types). go vet cannot check their
// argument offsets (the .s file reads them inside macros), so every
// kernel has exactly this signature.
type neonKernel func(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_0x8SDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_0x8NEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ8_0SDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ8_0NEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_0SDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_0NEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_1SDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_1NEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ5_1SDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ5_1NEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ5_0SDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ5_0NEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulIQ4_NLSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulIQ4_NLNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulIQ4_NLVecDotSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulIQ4_NLVecDotNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ2_KSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ2_KNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ3_KSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ3_KNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_KSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_KNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ5_KSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ5_KNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ6_KSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ6_KNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulF32Gemm(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulF32VecDot(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulF16Gemm(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulF16VecDot(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulBF16Gemm(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulBF16VecDot(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func quantizeQ8NEON(dst *byte, x *float32, nb int, sum bool)

func init() {
	if cpu.ARM64.HasASIMD {
		useNEON(cpu.ARM64.HasASIMDDP)
	}
}

// useNEON registers the NEON kernels, with SDOT if dotprod. (The float
// types have no integer part, hence no SDOT variant.)
func useNEON(dotprod bool) {
	type kernelPair struct{ sdot, neon neonKernel }
	for _, k := range []struct {
		w     gguf.Type
		o     order
		mul   kernelPair
		tile  int // rows per call of the kernel
		elems int
	}{
		// Four rows per tile for the 32-element blocks, whose float
		// work is per block (four outputs in the lanes of one register,
		// or four independent FMA chains); one row for the K-quants,
		// whose super-blocks give each FMA enough integer work to wait
		// for, and for the float types, 16 or 64 independent lanes.
		{gguf.Q4_0, repackedOrder, kernelPair{mulQ4_0x8SDOT, mulQ4_0x8NEON}, 4, gguf.QK},
		{gguf.Q8_0, vecDotOrder, kernelPair{mulQ8_0SDOT, mulQ8_0NEON}, 4, gguf.QK},
		{gguf.Q8_0, gemmOrder, kernelPair{mulQ8_0SDOT, mulQ8_0NEON}, 4, gguf.QK},
		{gguf.Q4_0, vecDotOrder, kernelPair{mulQ4_0SDOT, mulQ4_0NEON}, 4, gguf.QK},
		{gguf.Q4_0, gemmOrder, kernelPair{mulQ4_0SDOT, mulQ4_0NEON}, 4, gguf.QK},
		{gguf.Q5_0, vecDotOrder, kernelPair{mulQ5_0SDOT, mulQ5_0NEON}, 4, gguf.QK},
		{gguf.Q5_0, gemmOrder, kernelPair{mulQ5_0SDOT, mulQ5_0NEON}, 4, gguf.QK},
		{gguf.Q4_1, vecDotOrder, kernelPair{mulQ4_1SDOT, mulQ4_1NEON}, 4, gguf.QK},
		{gguf.Q5_1, vecDotOrder, kernelPair{mulQ5_1SDOT, mulQ5_1NEON}, 4, gguf.QK},
		{gguf.IQ4_NL, gemmOrder, kernelPair{mulIQ4_NLSDOT, mulIQ4_NLNEON}, 4, gguf.QK},
		{gguf.IQ4_NL, vecDotOrder, kernelPair{mulIQ4_NLVecDotSDOT, mulIQ4_NLVecDotNEON}, 1, gguf.QK},
		{gguf.F32, vecDotOrder, kernelPair{neon: mulF32VecDot}, 1, 1},
		{gguf.F32, gemmOrder, kernelPair{neon: mulF32Gemm}, 1, 1},
		{gguf.F16, vecDotOrder, kernelPair{neon: mulF16VecDot}, 1, 1},
		{gguf.F16, gemmOrder, kernelPair{neon: mulF16Gemm}, 1, 1},
		{gguf.BF16, vecDotOrder, kernelPair{neon: mulBF16VecDot}, 1, 1},
		{gguf.BF16, gemmOrder, kernelPair{neon: mulBF16Gemm}, 1, 1},
		{gguf.Q2_K, vecDotOrder, kernelPair{mulQ2_KSDOT, mulQ2_KNEON}, 1, gguf.QK_K},
		{gguf.Q3_K, vecDotOrder, kernelPair{mulQ3_KSDOT, mulQ3_KNEON}, 1, gguf.QK_K},
		{gguf.Q4_K, vecDotOrder, kernelPair{mulQ4_KSDOT, mulQ4_KNEON}, 1, gguf.QK_K},
		{gguf.Q5_K, vecDotOrder, kernelPair{mulQ5_KSDOT, mulQ5_KNEON}, 1, gguf.QK_K},
		{gguf.Q6_K, vecDotOrder, kernelPair{mulQ6_KSDOT, mulQ6_KNEON}, 1, gguf.QK_K},
	} {
		mul, name := k.mul.neon, "neon"
		if dotprod && k.mul.sdot != nil {
			mul, name = k.mul.sdot, "neon-sdot"
		}
		useNative(k.w, k.o, name, neonMul(mul, k.tile, k.elems, portable[k.w].dot[k.o]))
	}
	quantizeQ8 = quantizeQ8Native
}

// neonMul returns the mulFunc that runs kernel on the rows that fill whole
// tiles and rest, the Go function of the same order, on the others.
func neonMul(kernel neonKernel, tile, elems int, rest dotFunc) mulFunc {
	return func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		full := rows - rows%tile
		if n == 0 || tokens == 0 {
			full = 0
		}
		if full > 0 {
			kernel(&w[0], wStride, full, &a[0], aStride, tokens, n/elems, &y[0], yStride)
		}
		for r := full; r < rows; r++ {
			for i := range tokens {
				y[i*yStride+r] = rest(w[r*wStride:], a[i*aStride:], n)
			}
		}
	}
}

// quantizeQ8Native is quantizeQ8x86 in NEON (same bytes).
func quantizeQ8Native(dst []byte, x []float32, sum bool) {
	if len(x) >= gguf.QK {
		quantizeQ8NEON(&dst[0], &x[0], len(x)/gguf.QK, sum)
	}
}
