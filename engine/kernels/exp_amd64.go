//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// Native softmaxExp and siluMul (exp.go) in exp_amd64.s, the first of
// nativeExps the CPU can run.

// nativeExps lists the native versions, best first.
var nativeExps = []nativeExp{
	{"avx512", cpu.X86.HasAVX512F, softmaxExpAVX512, siluMulAVX512},
	{"avx2", cpu.X86.HasAVX2 && cpu.X86.HasFMA, softmaxExpAVX2, siluMulAVX2},
}

// softmaxExpAVX512 is softmaxExpGo, 16 values in one Z register.
//
//go:noescape
func softmaxExpAVX512(x []float32, max float32) float64

// siluMulAVX512 is siluMulGo, 16 values in one Z register; len(gate) must
// be a multiple of 16 and up at least as long.
//
//go:noescape
func siluMulAVX512(gate, up []float32)

// softmaxExpAVX2 is softmaxExpGo, 16 values in two Y registers.
//
//go:noescape
func softmaxExpAVX2(x []float32, max float32) float64

// siluMulAVX2 is siluMulGo, 8 values in one Y register; len(gate) must be
// a multiple of 8 and up at least as long.
//
//go:noescape
func siluMulAVX2(gate, up []float32)
