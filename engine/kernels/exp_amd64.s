//go:build !purego

#include "textflag.h"

// softmaxExp and siluMul (exp.go) in vectors: expVec in 16 lanes (AVX-512,
// one Z register) or twice 8 (AVX2), every float operation the one Go does,
// in the same order and rounding. Where two different NaNs meet, the
// operand order returns the one Go's code returns (x86 returns its first
// source's NaN; an FMA, a factor's before the addend's).

// expVec's constants, one float32 each (broadcast to all lanes).
DATA expConst<>+0(SB)/4, $0x3fb8aa3b  // log2(e): 0x1.715476p+0
DATA expConst<>+4(SB)/4, $0x4b400000  // r = 0x1.8p23
DATA expConst<>+8(SB)/4, $0x3f317200  // ln 2, high part: 0x1.62e4p-1
DATA expConst<>+12(SB)/4, $0x35bfbe8e // ln 2, low part: 0x1.7f7d1cp-20
DATA expConst<>+16(SB)/4, $0x3c072010 // c5 = 0x1.0e4020p-7
DATA expConst<>+20(SB)/4, $0x3d2b9f17 // c4 = 0x1.573e2ep-5
DATA expConst<>+24(SB)/4, $0x3e2aaf33 // c3 = 0x1.555e66p-3
DATA expConst<>+28(SB)/4, $0x3efffedb // c2 = 0x1.fffdb6p-2
DATA expConst<>+32(SB)/4, $0x3f7ffff6 // c1 = 0x1.ffffecp-1
DATA expConst<>+36(SB)/4, $0x3f800000 // 1
DATA expConst<>+40(SB)/4, $0x43400000 // 192: beyond it expVec is 0 or +Inf
DATA expConst<>+44(SB)/4, $0x7fffffff // |x| mask
DATA expConst<>+48(SB)/4, $0x80000000 // sign bit
DATA expConst<>+52(SB)/4, $0x43410000 // 193
DATA expConst<>+56(SB)/4, $0xc3410000 // -193
DATA expConst<>+60(SB)/4, $0x0000007f // float32 exponent bias
GLOBL expConst<>(SB), RODATA|NOPTR, $64

#define LOG2E expConst<>+0(SB)
#define ROUNDER expConst<>+4(SB)
#define LN2HI expConst<>+8(SB)
#define LN2LO expConst<>+12(SB)
#define C5 expConst<>+16(SB)
#define C4 expConst<>+20(SB)
#define C3 expConst<>+24(SB)
#define C2 expConst<>+28(SB)
#define C1 expConst<>+32(SB)
#define ONE expConst<>+36(SB)
#define RANGE expConst<>+40(SB)
#define ABS expConst<>+44(SB)
#define SIGN expConst<>+48(SB)
#define PLUS193 expConst<>+52(SB)
#define MINUS193 expConst<>+56(SB)
#define BIAS expConst<>+60(SB)

// EXP_POLY is the polynomial part of expVec, the same for 8 and 16 lanes:
// from x in X it leaves n in N and j in J (X, T, U, P are clobbered):
//
//	z = fma(x, log2(e), r); n = z - r
//	b = fma(-n, ln2lo, fma(-n, ln2hi, x)); u = b·b
//	j = fma(fma(fma(c5, b, c4), u, fma(c3, b, c2)), u, fma(c1, b, 1))
//
// The constants log2(e), r, ln2hi, ln2lo, c5, c3, c1 and the sign bit are
// in the registers named by the arguments after P; c4, c2 and 1 are
// broadcast from memory. NEG is the instruction that negates with the sign
// bit (VXORPS for AVX2, VPXORD for AVX-512F), as Go negates. When x is NaN,
// n and x are NaNs of different signs: x86's FMA returns a NaN factor
// before a NaN addend, as Go's fma32 does (its float64 product is the first
// operand of the addition).
#define EXP_POLY(X, N, J, T, U, P, L2E, R, HI, LO, CK5, CK3, CK1, SGN, NEG) \
	VMOVAPS      R, N      \
	VFMADD231PS  L2E, X, N \
	VSUBPS       R, N, N   \
	NEG          SGN, N, T \
	VFMADD231PS  HI, T, X  \
	VFMADD231PS  LO, T, X  \
	VMULPS       X, X, U   \
	VBROADCASTSS C4, P     \
	VFMADD231PS  CK5, X, P \
	VBROADCASTSS C2, T     \
	VFMADD231PS  CK3, X, T \
	VFMADD231PS  U, P, T   \
	VBROADCASTSS ONE, J    \
	VFMADD231PS  CK1, X, J \
	VFMADD231PS  U, T, J

// EXP16 sets Z0 to expVec of its 16 lanes, with the constants of
// EXP_LOAD16 in Z16..Z26; Z1..Z5 and K1 are clobbered. VSCALEFPS rounds
// j·2^n once, subnormal or overflowing results included, as Go's float64
// product then float32 conversion do. Where |n| > 192 (n = ±Inf too; not
// NaN) j is replaced by 1 so that the scaling gives expVec's 0 or +Inf
// whatever the polynomial made of an enormous |x|.
#define EXP16 \
	EXP_POLY(Z0, Z1, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, VPXORD) \
	VPANDD    Z24, Z1, Z3        \
	VCMPPS    $0x1e, Z25, Z3, K1 \
	VMOVAPS   Z26, K1, Z2        \
	VSCALEFPS Z1, Z2, Z0

#define EXP_LOAD16 \
	VBROADCASTSS LOG2E, Z16   \
	VBROADCASTSS ROUNDER, Z17 \
	VBROADCASTSS LN2HI, Z18   \
	VBROADCASTSS LN2LO, Z19   \
	VBROADCASTSS C5, Z20      \
	VBROADCASTSS C3, Z21      \
	VBROADCASTSS C1, Z22      \
	VBROADCASTSS SIGN, Z23    \
	VBROADCASTSS ABS, Z24     \
	VBROADCASTSS RANGE, Z25   \
	VBROADCASTSS ONE, Z26

// EXP8 sets Y0 to expVec of its 8 lanes, with the constants of EXP_LOAD8
// in Y8..Y15; Y1..Y5 are clobbered. Without VSCALEFPS, j·2^n is rounded
// once as (j·2^(n>>1))·2^(n - n>>1): the first product is exact (a normal
// float32 for |n| <= 193) and both powers of 2 are normal. Where |n| > 192
// (n = ±Inf too; not NaN) j is replaced by 1 and n clamped to ±193, which
// gives expVec's 0 or +Inf; NaN lanes keep j's NaN whatever the clamping
// makes of n.
#define EXP8 \
	EXP_POLY(Y0, Y1, Y2, Y3, Y4, Y5, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, VXORPS) \
	VBROADCASTSS ABS, Y3               \
	VANDPS       Y1, Y3, Y3            \
	VBROADCASTSS RANGE, Y4             \
	VCMPPS       $0x1e, Y4, Y3, Y3     \
	VBROADCASTSS ONE, Y4               \
	VBLENDVPS    Y3, Y4, Y2, Y2        \
	VBROADCASTSS PLUS193, Y4           \
	VMINPS       Y4, Y1, Y1            \
	VBROADCASTSS MINUS193, Y4          \
	VMAXPS       Y4, Y1, Y1            \
	VCVTPS2DQ    Y1, Y1                \
	VPSRAD       $1, Y1, Y3            \
	VPSUBD       Y3, Y1, Y1            \
	VPBROADCASTD BIAS, Y4              \
	VPADDD       Y4, Y3, Y3            \
	VPSLLD       $23, Y3, Y3           \
	VPADDD       Y4, Y1, Y1            \
	VPSLLD       $23, Y1, Y1           \
	VMULPS       Y3, Y2, Y2            \
	VMULPS       Y1, Y2, Y0

#define EXP_LOAD8 \
	VBROADCASTSS LOG2E, Y8    \
	VBROADCASTSS ROUNDER, Y9  \
	VBROADCASTSS LN2HI, Y10   \
	VBROADCASTSS LN2LO, Y11   \
	VBROADCASTSS C5, Y12      \
	VBROADCASTSS C3, Y13      \
	VBROADCASTSS C1, Y14      \
	VBROADCASTSS SIGN, Y15

// SUM8 finishes reduce16 from its first step, t[i] = x[i+8] + x[i] in Y1:
// u[i] = t[i] + t[i+4], then (u[0] + u[2]) + (u[1] + u[3]), and adds the
// result as float64 to the sum in X6. Clobbers X2..X4. The operand order
// is that of reduce16 inlined into softmaxExpGo (it matters only for which
// of two NaNs comes out).
#define SUM8 \
	VEXTRACTF128 $1, Y1, X2 \
	VADDPS       X2, X1, X2 \
	VMOVHLPS     X2, X2, X3 \
	VADDPS       X2, X3, X3 \
	VMOVSHDUP    X3, X4     \
	VADDSS       X4, X3, X4 \
	VCVTSS2SD    X4, X4, X4 \
	VADDSD       X4, X6, X6

// SUM16 adds reduce16 of Z0 to X6 (clobbers Z1..Z4).
#define SUM16 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPS        Y0, Y1, Y1 \
	SUM8

// func softmaxExpAVX512(x []float32, max float32) float64
TEXT ·softmaxExpAVX512(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS max+24(FP), Z15
	EXP_LOAD16
	VXORPD       X6, X6, X6

group16:
	CMPQ    CX, $16
	JLT     tail16
	VMOVUPS (SI), Z0
	VSUBPS  Z15, Z0, Z0
	EXP16
	VMOVUPS Z0, (SI)
	SUM16
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     group16

tail16: // the last 1..15 values, the group's other lanes 0 as in Go
	TESTQ     CX, CX
	JEQ       done16
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K2
	VMOVUPS.Z (SI), K2, Z0
	VSUBPS    Z15, Z0, Z0
	EXP16
	VMOVAPS.Z Z0, K2, Z0
	VMOVUPS   Z0, K2, (SI)
	SUM16

done16:
	VMOVSD     X6, ret+32(FP)
	VZEROUPPER
	RET

// func siluMulAVX512(gate, up []float32)
TEXT ·siluMulAVX512(SB), NOSPLIT, $0-48
	MOVQ gate_base+0(FP), DI
	MOVQ gate_len+8(FP), CX
	MOVQ up_base+24(FP), SI
	EXP_LOAD16
	SHRQ $4, CX
	JEQ  siluDone16

silu16:
	VMOVUPS (DI), Z6
	VPXORD  Z23, Z6, Z0 // -g
	EXP16
	VADDPS  Z0, Z26, Z0 // 1 + e
	VDIVPS  Z0, Z6, Z0  // g / (1 + e)
	VMULPS  (SI), Z0, Z0 // · up
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	DECQ    CX
	JNE     silu16

siluDone16:
	VZEROUPPER
	RET

// Lane masks for the last values of a row: 16 dwords of -1 then 16 of 0;
// the 16 dwords at 64 - 4·k bytes select the first k lanes of a group.
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

// func softmaxExpAVX2(x []float32, max float32) float64
TEXT ·softmaxExpAVX2(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS max+24(FP), Y7
	EXP_LOAD8
	VXORPD       X6, X6, X6

group8x2:
	CMPQ    CX, $16
	JLT     tail8x2
	VMOVUPS (SI), Y0
	VSUBPS  Y7, Y0, Y0
	EXP8
	VMOVUPS Y0, (SI)
	VMOVUPS 32(SI), Y0
	VSUBPS  Y7, Y0, Y0
	EXP8
	VMOVUPS Y0, 32(SI)
	VADDPS  (SI), Y0, Y1 // t[i] = x[i+8] + x[i]
	SUM8
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     group8x2

tail8x2: // the last 1..15 values, the group's other lanes 0 as in Go
	TESTQ      CX, CX
	JEQ        done8x2
	LEAQ       firstLanes<>+64(SB), DX
	SHLQ       $2, CX
	SUBQ       CX, DX
	VMOVDQU    (DX), Y3
	VMASKMOVPS (SI), Y3, Y0
	VSUBPS     Y7, Y0, Y0
	EXP8
	VANDPS     (DX), Y0, Y0
	VMOVDQU    (DX), Y3
	VMASKMOVPS Y0, Y3, (SI)
	VMOVDQU    32(DX), Y3
	VMASKMOVPS 32(SI), Y3, Y0
	VSUBPS     Y7, Y0, Y0
	EXP8
	VANDPS     32(DX), Y0, Y0
	VMOVDQU    32(DX), Y3
	VMASKMOVPS Y0, Y3, 32(SI)
	VMOVDQU    (DX), Y3
	VMASKMOVPS (SI), Y3, Y1
	VADDPS     Y1, Y0, Y1
	SUM8

done8x2:
	VMOVSD     X6, ret+32(FP)
	VZEROUPPER
	RET

// func siluMulAVX2(gate, up []float32)
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-48
	MOVQ gate_base+0(FP), DI
	MOVQ gate_len+8(FP), CX
	MOVQ up_base+24(FP), SI
	EXP_LOAD8
	SHRQ $3, CX
	JEQ  siluDone8

silu8:
	VMOVUPS      (DI), Y7
	VXORPS       Y15, Y7, Y0 // -g
	EXP8
	VBROADCASTSS ONE, Y1
	VADDPS       Y0, Y1, Y0  // 1 + e
	VDIVPS       Y0, Y7, Y0  // g / (1 + e)
	VMULPS       (SI), Y0, Y0 // · up
	VMOVUPS      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	DECQ         CX
	JNE          silu8

siluDone8:
	VZEROUPPER
	RET
