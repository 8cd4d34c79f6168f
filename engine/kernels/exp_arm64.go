//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// Native softmaxExp and siluMul (exp.go) in exp_arm64.s, with base
// Advanced SIMD only.

// nativeExps lists the native versions, best first.
var nativeExps = []nativeExp{
	{"neon", cpu.ARM64.HasASIMD && cpu.ARM64.HasFP, softmaxExpNEON, siluMulNEON},
}

// softmaxExpNEON is softmaxExpGo, 16 values in four registers.
//
//go:noescape
func softmaxExpNEON(x []float32, max float32) float64

// siluMulNEON is siluMulGo, 4 values in one register; len(gate) must be a
// multiple of 4 and up at least as long.
//
//go:noescape
func siluMulNEON(gate, up []float32)
