//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// The Q8_K and F16 activation encoders of activation.go in NEON (the Q8_0
// and Q8_1 one is in neon_arm64.s). Each gives the same bytes as its Go
// version, including for Inf and NaN inputs: see the comments on each.
//
// The vector instructions the Go assembler lacks are WORDs (neon_arm64.h
// says how; it has the ones the arm64 files share).

#define FCMEQ_4S(d, n, m) ENC3(0x4E20E400, d, n, m) // ones where n == m (not NaN)
#define CMGT_4S(d, n, m) ENC3(0x4EA03400, d, n, m)  // signed n > m
#define CMHI_4S(d, n, m) ENC3(0x6EA03400, d, n, m)  // unsigned n > m
#define CMEQ_4S(d, n, m) ENC3(0x6EA08C00, d, n, m)
#define UMAX_4S(d, n, m) ENC3(0x6EA06400, d, n, m)
#define UMIN_4S(d, n, m) ENC3(0x6EA06C00, d, n, m)
#define AND(d, n, m) ENC3(0x4E201C00, d, n, m)
#define ORR(d, n, m) ENC3(0x4EA01C00, d, n, m)
#define SUB_4S(d, n, m) ENC3(0x6EA08400, d, n, m)
#define BIC(d, n, m) ENC3(0x4E601C00, d, n, m)      // n AND NOT m
#define ORN(d, n, m) ENC3(0x4EE01C00, d, n, m)      // n OR NOT m
#define BIF(d, n, m) ENC3(0x6EE01C00, d, n, m)      // d = n where m is clear
#define UMAXV_S(d, n) ENC2(0x6EB0A800, d, n)        // lane 0 = max of the 4 lanes
#define UMINV_S(d, n) ENC2(0x6EB1A800, d, n)
#define SADDLV_H(d, n) ENC2(0x4E303800, d, n)       // lane 0 = Σ of the 16 signed bytes
#define XTN_4H(d, n) ENC2(0x0E612800, d, n)         // low halves of 4 words, truncating
#define XTN2_8H(d, n) ENC2(0x4E612800, d, n)        // into the upper 4 halves
#define XTN_8B(d, n) ENC2(0x0E212800, d, n)         // low bytes of 8 halves
#define XTN2_16B(d, n) ENC2(0x4E212800, d, n)
#define FCVTN_4H(d, n) ENC2(0x0E216800, d, n)       // 4 singles to halves, FPCR rounding
#define FCVTN2_8H(d, n) ENC2(0x4E216800, d, n)      // into the upper 4 halves

DATA q8kConst<>+0(SB)/4, $0x7fffffff // V25 |x| mask
DATA q8kConst<>+4(SB)/4, $0x7f800000 // V26 Inf: larger |x| patterns are NaNs
DATA q8kConst<>+8(SB)/4, $16         // V27 the lane index step
DATA q8kConst<>+12(SB)/4, $12582912.0 // V28 1.5·2^23, nearestInt's rounder
DATA q8kConst<>+16(SB)/4, $0x007fffff // V29 its mantissa
DATA q8kConst<>+20(SB)/4, $0x00400000 // V30 the mantissa of 1.5·2^23
DATA q8kConst<>+24(SB)/4, $127       // V31 the largest level
DATA q8kConst<>+28(SB)/4, $-127.0    // scalar
DATA q8kConst<>+32(SB)/4, $1.0       // scalar
GLOBL q8kConst<>(SB), RODATA|NOPTR, $36

// laneIndex: the element index of each of 16 lanes, 0 to 15.
DATA laneIndex<>+0(SB)/8, $0x0000000100000000
DATA laneIndex<>+8(SB)/8, $0x0000000300000002
DATA laneIndex<>+16(SB)/8, $0x0000000500000004
DATA laneIndex<>+24(SB)/8, $0x0000000700000006
DATA laneIndex<>+32(SB)/8, $0x0000000900000008
DATA laneIndex<>+40(SB)/8, $0x0000000b0000000a
DATA laneIndex<>+48(SB)/8, $0x0000000d0000000c
DATA laneIndex<>+56(SB)/8, $0x0000000f0000000e
GLOBL laneIndex<>(SB), RODATA|NOPTR, $64

// LANE_MAX(k): for the 4 values in V(12+k), with m in Vk, the first index
// of m in V(4+k) and the values' indices in V(8+k): |x| as its bit
// pattern, NaNs made 0, and where it beats m (strictly: the first of equal
// ones stays), it becomes m and its index the first one. Clobbers V(16+k).
#define LANE_MAX(k) \
	AND(12+k, 12+k, 25)                    \
	CMGT_4S(16+k, 12+k, 26)                \
	BIC(12+k, 12+k, 16+k)                  \
	CMHI_4S(16+k, 12+k, k)                 \
	UMAX_4S(k, k, 12+k)                    \
	BIT(4+k, 8+k, 16+k)                    \
	ADD_4S(8+k, 8+k, 27)

// FIRST(k): V(16+k) = the first index of lane set k where its maximum is
// amax (V12), all ones elsewhere.
#define FIRST(k) \
	CMEQ_4S(16+k, k, 12) \
	ORN(16+k, 4+k, 16+k)

// LEVELS(k): the 4 values in V(12+k) become min(127, nearestInt(iscale·x))
// with iscale in V20: the product rounded to float32, then the
// 1.5·2^23 trick (which wraps NaN and Inf as Go's does).
#define LEVELS(k) \
	FMUL_4S(12+k, 20, 12+k)                 \
	FADD_4S(12+k, 12+k, 28)                 \
	AND(12+k, 12+k, 29)                     \
	SUB_4S(12+k, 12+k, 30)                  \
	SMIN_4S(12+k, 12+k, 31)

// func quantizeQ8KNEON(dst []byte, x []float32)
//
// quant.QuantizeQ8_K: per block of 256, in one pass the largest non-NaN
// |x| bit pattern and the first index with it, per lane of 16 (element i
// in lane i mod 16), then across the lanes; xmax is the element there.
// iscale = -127/xmax, d = 1/iscale, and 16 levels at a time with their
// bsum. An all-zero (or all-NaN) block is 292 zero bytes.
TEXT ·quantizeQ8KNEON(SB), NOSPLIT, $0-48
	MOVD    dst_base+0(FP), R0
	MOVD    x_base+24(FP), R1
	MOVD    x_len+32(FP), R2
	LSR     $8, R2
	MOVD    $q8kConst<>(SB), R9
	VLD1R.P 4(R9), [V25.S4]
	VLD1R.P 4(R9), [V26.S4]
	VLD1R.P 4(R9), [V27.S4]
	VLD1R.P 4(R9), [V28.S4]
	VLD1R.P 4(R9), [V29.S4]
	VLD1R.P 4(R9), [V30.S4]
	VLD1R.P 4(R9), [V31.S4]
	FMOVS   0(R9), F21           // -127
	FMOVS   4(R9), F22           // 1

q8kblock:
	CBZ  R2, q8kdone
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	MOVD $laneIndex<>(SB), R9
	VLD1 (R9), [V8.S4, V9.S4, V10.S4, V11.S4]
	MOVD R1, R3
	MOVD $16, R4

q8kmax:
	VLD1.P 64(R3), [V12.S4, V13.S4, V14.S4, V15.S4]
	LANE_MAX(0)
	LANE_MAX(1)
	LANE_MAX(2)
	LANE_MAX(3)
	SUBS   $1, R4
	BNE    q8kmax

	UMAX_4S(12, 0, 1)
	UMAX_4S(13, 2, 3)
	UMAX_4S(12, 12, 13)
	UMAXV_S(12, 12)
	FMOVS F12, R5
	CBZW  R5, q8kzero
	VDUP  V12.S[0], V12.S4
	FIRST(0)
	FIRST(1)
	FIRST(2)
	FIRST(3)
	UMIN_4S(16, 16, 17)
	UMIN_4S(18, 18, 19)
	UMIN_4S(16, 16, 18)
	UMINV_S(16, 16)
	FMOVS F16, R6
	FMOVS (R1)(R6<<2), F0        // xmax
	FDIVS F0, F21, F1            // iscale = -127/xmax
	FDIVS F1, F22, F2            // d = 1/iscale
	FMOVS F2, (R0)
	VDUP  V1.S[0], V20.S4

	ADD  $4, R0, R7              // levels
	ADD  $260, R0, R8            // bsums
	MOVD R1, R3
	MOVD $16, R4

q8klevels:
	VLD1.P 64(R3), [V12.S4, V13.S4, V14.S4, V15.S4]
	LEVELS(0)
	LEVELS(1)
	LEVELS(2)
	LEVELS(3)
	XTN_4H(16, 12)
	XTN2_8H(16, 13)
	XTN_4H(17, 14)
	XTN2_8H(17, 15)
	XTN_8B(18, 16)
	XTN2_16B(18, 17)
	VST1.P [V18.B16], 16(R7)
	SADDLV_H(19, 18)
	FMOVS  F19, R9
	MOVH.P R9, 2(R8)
	SUBS   $1, R4
	BNE    q8klevels

	ADD  $1024, R1
	ADD  $292, R0
	SUB  $1, R2
	B    q8kblock

q8kzero:
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V1.B16, V1.B16, V1.B16
	VEOR   V2.B16, V2.B16, V2.B16
	VEOR   V3.B16, V3.B16, V3.B16
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R0)
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R0)
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R0)
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R0)
	VST1.P [V0.B16, V1.B16], 32(R0)
	MOVW.P ZR, 4(R0)
	ADD    $1024, R1
	SUB    $1, R2
	B      q8kblock

q8kdone:
	RET

DATA f16Const<>+0(SB)/4, $0x80000000 // sign bit
DATA f16Const<>+4(SB)/4, $0x7fc00000 // quiet NaN without payload
GLOBL f16Const<>(SB), RODATA|NOPTR, $8

// CANONICAL_NAN(x) replaces each NaN lane of Vx by the quiet NaN of the
// same sign without payload (sign bit in V30, quiet NaN in V31), so that
// FCVTN gives quant.FP32ToFP16's sign|0x7e00 (it would keep the payload's
// top bits). Clobbers V28, V29.
#define CANONICAL_NAN(x) \
	FCMEQ_4S(28, x, x)                    \
	AND(29, x, 30)                        \
	ORR(29, 29, 31)                       \
	BIF(x, 29, 28)

// HALF_CONST loads CANONICAL_NAN's constants into V30 and V31.
#define HALF_CONST \
	MOVD    $f16Const<>(SB), R9     \
	VLD1R.P 4(R9), [V30.S4]         \
	VLD1R   (R9), [V31.S4]

// HALVES16: V4, V5 = the next 16 values at R1 (stepped past them) rounded
// to halves with FCVTN, NaNs made canonical first (V0-V3 clobbered).
#define HALVES16 \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4] \
	CANONICAL_NAN(0)                            \
	CANONICAL_NAN(1)                            \
	CANONICAL_NAN(2)                            \
	CANONICAL_NAN(3)                            \
	FCVTN_4H(4, 0)                              \
	FCVTN2_8H(4, 1)                             \
	FCVTN_4H(5, 2)                              \
	FCVTN2_8H(5, 3)

// HALF1: lane 0 of V4 = the next value at R1 (stepped past it) as HALVES16
// rounds it.
#define HALF1 \
	FMOVS.P 4(R1), F0 \
	CANONICAL_NAN(0)  \
	FCVTN_4H(4, 0)

// func quantizeF16NEON(dst []byte, x []float32)
//
// quant.QuantizeF16: FCVTN rounding to nearest even (FPCR's mode, which Go
// leaves at its default), 16 values at a time then one at a time, NaNs
// made the payload-free quiet NaN of their sign first.
TEXT ·quantizeF16NEON(SB), NOSPLIT, $0-48
	MOVD    dst_base+0(FP), R0
	MOVD    x_base+24(FP), R1
	MOVD    x_len+32(FP), R2
	HALF_CONST

f16loop16:
	CMP    $16, R2
	BLT    f16tail
	HALVES16
	VST1.P [V4.H8, V5.H8], 32(R0)
	SUB    $16, R2
	B      f16loop16

f16tail:
	CBZ     R2, f16done
	HALF1
	FMOVS   F4, R3
	MOVH.P  R3, 2(R0)
	SUB     $1, R2
	B       f16tail

f16done:
	RET

// func roundF16NEON(dst, src []float32)
//
// roundF16Go: quantizeF16NEON's rounding, then FCVTL back (exact), 16
// values at a time then one at a time; a NaN comes back as Go's
// sign|0x7fc00000.
TEXT ·roundF16NEON(SB), NOSPLIT, $0-48
	MOVD    dst_base+0(FP), R0
	MOVD    src_base+24(FP), R1
	MOVD    src_len+32(FP), R2
	HALF_CONST

round16:
	CMP    $16, R2
	BLT    roundTail
	HALVES16
	FCVTL_4S(0, 4)
	FCVTL2_4S(1, 4)
	FCVTL_4S(2, 5)
	FCVTL2_4S(3, 5)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB    $16, R2
	B      round16

roundTail:
	CBZ     R2, roundDone
	HALF1
	FCVTL_4S(0, 4)
	FMOVS.P F0, 4(R0)
	SUB     $1, R2
	B       roundTail

roundDone:
	RET
