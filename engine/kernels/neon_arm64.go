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
// per row.
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
func mulQ4_KSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ4_KNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ6_KSDOT(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func mulQ6_KNEON(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)

//go:noescape
func quantizeQ8NEON(dst *byte, x *float32, nb int, sum bool)

func init() {
	if cpu.ARM64.HasASIMD {
		useNEON(cpu.ARM64.HasASIMDDP)
	}
}

// useNEON registers the NEON kernels, with SDOT if dotprod.
func useNEON(dotprod bool) {
	type kernelPair struct{ sdot, neon neonKernel }
	for _, k := range []struct {
		w     gguf.Type
		o     order
		mul   kernelPair
		tile  int // rows per call of the kernel
		elems int
	}{
		// Four rows per tile where the float work is per block (four
		// outputs in the lanes of one register, or four independent
		// FMA chains); one row for the K-quants, whose super-blocks
		// give each FMA enough integer work to wait for.
		{gguf.Q4_0, repackedOrder, kernelPair{mulQ4_0x8SDOT, mulQ4_0x8NEON}, 4, gguf.QK},
		{gguf.Q8_0, vecDotOrder, kernelPair{mulQ8_0SDOT, mulQ8_0NEON}, 4, gguf.QK},
		{gguf.Q8_0, gemmOrder, kernelPair{mulQ8_0SDOT, mulQ8_0NEON}, 4, gguf.QK},
		{gguf.Q4_K, vecDotOrder, kernelPair{mulQ4_KSDOT, mulQ4_KNEON}, 1, gguf.QK_K},
		{gguf.Q6_K, vecDotOrder, kernelPair{mulQ6_KSDOT, mulQ6_KNEON}, 1, gguf.QK_K},
	} {
		mul, name := k.mul.neon, "neon"
		if dotprod {
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
