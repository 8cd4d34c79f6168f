//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// AVX2 attention products over an F16 cache (llama.cpp's default), in the
// orders of kvScoresGo and kvWeightedSumGo with the same bits: VCVTPH2PS
// converts keys and values exactly as f16Table does, VFMADD231PS is the
// fused step fma32 computes, and the lane trees are reduce16/reduce64
// written for one score or eight dimensions at a time (the Go side:
// attention_native.go).
//
// The instructions: AVX2 and FMA, and F16C for VCVTPH2PS, which x/sys/cpu
// reports as X86.HasF16C (CPUID.1:ECX bit 29). Every CPU with AVX2 has
// F16C, but checking it costs nothing and keeps the rule "every
// instruction is covered by the check".
func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C {
		kvScores = kvScoresNative
		kvWeightedSum = kvWeightedSumNative
	}
}
