//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// softmaxExp and siluMul (exp.go) in NEON: expVec in 4 lanes, every float
// operation the one Go does on arm64, in the same order and rounding. The
// operand order also gives the NaN Go gives: arm64 returns the first NaN
// operand (signalling ones first), and for an FMA the addend's before the
// factors' (Go's fma32 compiles to FMADDD with its third argument as the
// addend and its second as the first factor, so fma32(a, b, c) is
// FMLA c += b·a).
//
// The vector instructions the Go assembler lacks are WORDs (neon_arm64.h
// says how; it has the ones the arm64 files share).

#define FSUB_4S(d, n, m) ENC3(0x4EA0D400, d, n, m)
#define FDIV_4S(d, n, m) ENC3(0x6E20FC00, d, n, m)
#define FACGT_4S(d, n, m) ENC3(0x6EA0EC00, d, n, m) // d = |n| > |m| ? ones : 0
#define SMAX_4S(d, n, m) ENC3(0x4EA06400, d, n, m)
#define FNEG_4S(d, n) ENC2(0x6EA0F800, d, n)
#define FCVTZS_4S(d, n) ENC2(0x4EA1B800, d, n)      // saturating, NaN to 0
#define SSHR1_4S(d, n) ENC2(0x4F3F0400, d, n)       // arithmetic shift right by 1

// expVec's constants, one 32-bit value each, loaded into V16-V29 by
// EXP_LOAD (in this order).
DATA expConst<>+0(SB)/4, $0x3fb8aa3b  // V16 log2(e): 0x1.715476p+0
DATA expConst<>+4(SB)/4, $0x4b400000  // V17 r = 0x1.8p23
DATA expConst<>+8(SB)/4, $0x3f317200  // V18 ln 2, high part: 0x1.62e4p-1
DATA expConst<>+12(SB)/4, $0x35bfbe8e // V19 ln 2, low part: 0x1.7f7d1cp-20
DATA expConst<>+16(SB)/4, $0x3c072010 // V20 c5 = 0x1.0e4020p-7
DATA expConst<>+20(SB)/4, $0x3d2b9f17 // V21 c4 = 0x1.573e2ep-5
DATA expConst<>+24(SB)/4, $0x3e2aaf33 // V22 c3 = 0x1.555e66p-3
DATA expConst<>+28(SB)/4, $0x3efffedb // V23 c2 = 0x1.fffdb6p-2
DATA expConst<>+32(SB)/4, $0x3f7ffff6 // V24 c1 = 0x1.ffffecp-1
DATA expConst<>+36(SB)/4, $0x3f800000 // V25 1
DATA expConst<>+40(SB)/4, $0x43400000 // V26 192: beyond it expVec is 0 or +Inf
DATA expConst<>+44(SB)/4, $193        // V27 int32 193
DATA expConst<>+48(SB)/4, $-193       // V28 int32 -193
DATA expConst<>+52(SB)/4, $127        // V29 float32 exponent bias
GLOBL expConst<>(SB), RODATA|NOPTR, $56

#define EXP_LOAD \
	MOVD    $expConst<>(SB), R9   \
	VLD1R.P 4(R9), [V16.S4]       \
	VLD1R.P 4(R9), [V17.S4]       \
	VLD1R.P 4(R9), [V18.S4]       \
	VLD1R.P 4(R9), [V19.S4]       \
	VLD1R.P 4(R9), [V20.S4]       \
	VLD1R.P 4(R9), [V21.S4]       \
	VLD1R.P 4(R9), [V22.S4]       \
	VLD1R.P 4(R9), [V23.S4]       \
	VLD1R.P 4(R9), [V24.S4]       \
	VLD1R.P 4(R9), [V25.S4]       \
	VLD1R.P 4(R9), [V26.S4]       \
	VLD1R.P 4(R9), [V27.S4]       \
	VLD1R.P 4(R9), [V28.S4]       \
	VLD1R.P 4(R9), [V29.S4]

// EXP(x) replaces the 4 lanes of Vx by their expVec, with the constants of
// EXP_LOAD; V4-V8 are clobbered (n, -n, u, the polynomial's terms, j):
//
//	z = fma(x, log2(e), r); n = z - r
//	b = fma(-n, ln2lo, fma(-n, ln2hi, x)); u = b·b
//	j = fma(fma(fma(c5, b, c4), u, fma(c3, b, c2)), u, fma(c1, b, 1))
//	result = j·2^n, rounded once
//
// The scaling is exact then rounded as (j·2^(n>>1))·2^(n - n>>1): the
// first product is a normal float32 for |n| <= 193 and both powers of 2
// are normal. Where |n| > 192 (n = ±Inf too; not NaN) j is replaced by 1
// and n clamped to ±193, which gives expVec's 0 or +Inf whatever the
// polynomial made of an enormous |x|. A NaN n becomes 0 (FCVTZS), as Go's
// int(n) does on arm64, so NaN lanes keep j's NaN.
#define EXP(x) \
	VORR V17.B16, V17.B16, V4.B16 \
	FMLA_4S(4, 16, x)             \
	FSUB_4S(4, 4, 17)             \
	FNEG_4S(5, 4)                 \
	FMLA_4S(x, 18, 5)             \
	FMLA_4S(x, 19, 5)             \
	FMUL_4S(6, x, x)              \
	VORR V21.B16, V21.B16, V7.B16 \
	FMLA_4S(7, x, 20)             \
	VORR V23.B16, V23.B16, V5.B16 \
	FMLA_4S(5, x, 22)             \
	FMLA_4S(5, 6, 7)              \
	VORR V25.B16, V25.B16, V8.B16 \
	FMLA_4S(8, x, 24)             \
	FMLA_4S(8, 6, 5)              \
	FACGT_4S(5, 4, 26)            \
	BIT(8, 25, 5)                 \
	FCVTZS_4S(4, 4)               \
	SMIN_4S(4, 4, 27)             \
	SMAX_4S(4, 4, 28)             \
	SSHR1_4S(5, 4)                \
	VSUB V5.S4, V4.S4, V4.S4      \
	VADD V29.S4, V5.S4, V5.S4     \
	VSHL $23, V5.S4, V5.S4        \
	VADD V29.S4, V4.S4, V4.S4     \
	VSHL $23, V4.S4, V4.S4        \
	FMUL_4S(8, 8, 5)              \
	FMUL_4S(x, 8, 4)

// GROUP: V0-V3 = expVec(V0-V3 - max), max in V30 (V4-V8 clobbered).
#define GROUP \
	FSUB_4S(0, 0, 30) \
	FSUB_4S(1, 1, 30) \
	FSUB_4S(2, 2, 30) \
	FSUB_4S(3, 3, 30) \
	EXP(0)            \
	EXP(1)            \
	EXP(2)            \
	EXP(3)

// SUM16 adds reduce16 of V0-V3 as float64 to the sum in F31 (V4, V5
// clobbered): t = x[i+8] + x[i] (V4, V5), u = t[i+4] + t[i] (V4), then
// (u0+u2) + (u1+u3) as hsum4.
#define SUM16 \
	FADD_4S(4, 2, 0)  \
	FADD_4S(5, 3, 1)  \
	FADD_4S(4, 5, 4)  \
	EXT8(5, 4, 4)     \
	FADD_4S(4, 4, 5)  \
	FADDP_S(4, 4)     \
	FCVTSD F4, F4     \
	FADDD  F4, F31, F31

// Lane masks for the last values of a row: 16 words of -1 then 16 of 0;
// the 16 words at 64 - 4·k bytes select the first k lanes of a group.
DATA firstLanes<>+0(SB)/8, $-1
DATA firstLanes<>+8(SB)/8, $-1
DATA firstLanes<>+16(SB)/8, $-1
DATA firstLanes<>+24(SB)/8, $-1
DATA firstLanes<>+32(SB)/8, $-1
DATA firstLanes<>+40(SB)/8, $-1
DATA firstLanes<>+48(SB)/8, $-1
DATA firstLanes<>+56(SB)/8, $-1
DATA firstLanes<>+64(SB)/8, $0
DATA firstLanes<>+72(SB)/8, $0
DATA firstLanes<>+80(SB)/8, $0
DATA firstLanes<>+88(SB)/8, $0
DATA firstLanes<>+96(SB)/8, $0
DATA firstLanes<>+104(SB)/8, $0
DATA firstLanes<>+112(SB)/8, $0
DATA firstLanes<>+120(SB)/8, $0
GLOBL firstLanes<>(SB), RODATA|NOPTR, $128

// func softmaxExpNEON(x []float32, max float32) float64
//
// Groups of 16 values in V0-V3. The last 1..15 values are copied to a
// 16-value buffer on the stack, and the group's other lanes set to 0 after
// the exponentials, as Go's clear makes them.
TEXT ·softmaxExpNEON(SB), NOSPLIT, $64-40
	MOVD    x_base+0(FP), R0
	MOVD    x_len+8(FP), R1
	MOVD    $max+24(FP), R2
	VLD1R   (R2), [V30.S4]
	EXP_LOAD
	FMOVD   ZR, F31

group16:
	CMP    $16, R1
	BLT    tail16
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	GROUP
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUM16
	SUB    $16, R1
	B      group16

tail16:
	CBZ  R1, done16
	MOVD $buf-64(SP), R2
	MOVD R0, R3
	MOVD R2, R4
	MOVD R1, R5

copyIn:
	FMOVS.P 4(R3), F0
	FMOVS.P F0, 4(R4)
	SUBS    $1, R5
	BNE     copyIn
	VLD1    (R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	GROUP
	MOVD    $firstLanes<>+64(SB), R3
	SUB     R1<<2, R3
	VLD1    (R3), [V4.S4, V5.S4, V6.S4, V7.S4]
	VAND    V4.B16, V0.B16, V0.B16
	VAND    V5.B16, V1.B16, V1.B16
	VAND    V6.B16, V2.B16, V2.B16
	VAND    V7.B16, V3.B16, V3.B16
	VST1    [V0.S4, V1.S4, V2.S4, V3.S4], (R2)
	SUM16

copyOut:
	FMOVS.P 4(R2), F0
	FMOVS.P F0, 4(R0)
	SUBS    $1, R1
	BNE     copyOut

done16:
	FMOVD F31, ret+32(FP)
	RET

// func siluMulNEON(gate, up []float32)
//
// 4 values at a time: gate/(1 + expVec(-gate))·up.
TEXT ·siluMulNEON(SB), NOSPLIT, $0-48
	MOVD gate_base+0(FP), R0
	MOVD gate_len+8(FP), R1
	MOVD up_base+24(FP), R2
	EXP_LOAD
	LSR  $2, R1
	CBZ  R1, siluDone

silu4:
	VLD1    (R0), [V9.S4]
	VLD1.P  16(R2), [V10.S4]
	FNEG_4S(0, 9)
	EXP(0)
	FADD_4S(0, 25, 0)
	FDIV_4S(0, 9, 0)
	FMUL_4S(0, 0, 10)
	VST1.P  [V0.S4], 16(R0)
	SUBS    $1, R1
	BNE     silu4

siluDone:
	RET
