//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// NEON attention products over an F16 cache (llama.cpp's default), in the
// orders of kvScoresGo and kvWeightedSumGo with the same bits: FCVTL
// converts keys and values exactly as f16Table does, FMLA is the fused step
// fma32 computes, and the lane trees are reduce16/reduce64 written for one
// score or four dimensions at a time. The assembly functions have the
// signatures and duties of their amd64 namesakes (attention_native.go).
//
// The instructions (FCVTL, FCVTN, FMLA, vector FADD/FMUL in single and
// double precision) are all base Advanced SIMD.
func init() {
	if cpu.ARM64.HasASIMD && cpu.ARM64.HasFP {
		kvScores = kvScoresNative
		kvWeightedSum = kvWeightedSumNative
	}
}
