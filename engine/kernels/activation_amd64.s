//go:build !purego

#include "textflag.h"

// The activation encoders of activation.go in AVX2 (with F16C for the half
// floats). Each gives the same bytes as its Go version, including for Inf
// and NaN inputs: see the comments on each.

DATA absMask<>+0(SB)/4, $0x7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $4
DATA signMask<>+0(SB)/4, $0x80000000
GLOBL signMask<>(SB), RODATA|NOPTR, $4
DATA quietNaN<>+0(SB)/4, $0x7fc00000
GLOBL quietNaN<>(SB), RODATA|NOPTR, $4
DATA infBits<>+0(SB)/4, $0x7f800000
GLOBL infBits<>(SB), RODATA|NOPTR, $4
DATA plus127<>+0(SB)/4, $127.0
GLOBL plus127<>(SB), RODATA|NOPTR, $4
DATA minus128<>+0(SB)/4, $-128.0
GLOBL minus128<>(SB), RODATA|NOPTR, $4
DATA minus127<>+0(SB)/4, $-127.0
GLOBL minus127<>(SB), RODATA|NOPTR, $4
DATA one<>+0(SB)/4, $1.0
GLOBL one<>(SB), RODATA|NOPTR, $4
DATA roundMagic<>+0(SB)/4, $12582912.0
GLOBL roundMagic<>(SB), RODATA|NOPTR, $4
DATA mantMask<>+0(SB)/4, $0x007fffff
GLOBL mantMask<>(SB), RODATA|NOPTR, $4
DATA mantHalf<>+0(SB)/4, $0x00400000
GLOBL mantHalf<>(SB), RODATA|NOPTR, $4
DATA int127<>+0(SB)/4, $127
GLOBL int127<>(SB), RODATA|NOPTR, $4
DATA lowByte<>+0(SB)/4, $0xff
GLOBL lowByte<>(SB), RODATA|NOPTR, $4
DATA onesBytes<>+0(SB)/4, $0x01010101
GLOBL onesBytes<>(SB), RODATA|NOPTR, $4

// packOrder puts the dwords of VPACKUSDW+VPACKUSWB of four vectors back in
// element order (the packs interleave the 128-bit lanes), as ggml's
// _mm256_permutevar8x32_epi32 does.
DATA packOrder<>+0(SB)/4, $0
DATA packOrder<>+4(SB)/4, $4
DATA packOrder<>+8(SB)/4, $1
DATA packOrder<>+12(SB)/4, $5
DATA packOrder<>+16(SB)/4, $2
DATA packOrder<>+20(SB)/4, $6
DATA packOrder<>+24(SB)/4, $3
DATA packOrder<>+28(SB)/4, $7
GLOBL packOrder<>(SB), RODATA|NOPTR, $32

// CANONICAL_NAN replaces each NaN lane of x (X or Y register) by the quiet
// NaN of the same sign without payload, so that VCVTPS2PH gives
// quant.FP32ToFP16's sign|0x7e00 (it would keep the payload's top bits).
// (VCMPPS predicate 3 is "unordered".) sign and qnan hold signMask and quietNaN in every lane; t1, t2 are
// scratch.
#define CANONICAL_NAN(x, sign, qnan, t1, t2) \
	VCMPPS   $3, x, x, t1 \
	VANDPS   sign, x, t2  \
	VORPS    qnan, t2, t2 \
	VBLENDVPS t1, t2, x, x

// TO_BYTES packs the int32 lanes of a, b, c, d (32 values in order) into
// a: their low bytes, as Go's byte(int8(v)) truncates. The AND with 0xff
// (in mask) makes the unsigned saturating packs keep the low byte.
#define TO_BYTES(a, b, c, d, mask, order) \
	VPAND     mask, a, a \
	VPAND     mask, b, b \
	VPAND     mask, c, c \
	VPAND     mask, d, d \
	VPACKUSDW b, a, a    \
	VPACKUSDW d, c, c    \
	VPACKUSWB c, a, a    \
	VPERMD    a, order, a

// Q8_LEVELS turns the 8 floats v into levels as quantizeQ8x86: v·id,
// clamped to [-128, 127] (MINPS/MAXPS return their second source, here v,
// if either is NaN: NaN passes as with Go's min and max), then rounded to
// nearest even (MXCSR's mode, which Go leaves at its default). A NaN
// becomes 0x80000000, as Go's int32 and int8 conversions make it.
#define Q8_LEVELS(v, id, hi, lo) \
	VMULPS     id, v, v \
	VMINPS     v, hi, v \
	VMAXPS     v, lo, v \
	VCVTPS2DQ  v, v

// func quantizeQ8AVX2(dst []byte, x []float32, sum bool)
//
// quantizeQ8x86: per block of 32, amax as the largest |x| bit pattern (the
// same as Go's float max for numbers; any NaN wins, and Go's max of
// non-negative values with a NaN is a NaN, whose payload VCVTPS2PH's NaN
// canonicalization makes irrelevant), d = amax/127, id = 127/amax (0 if
// amax is 0), levels as Q8_LEVELS; Q8_1 adds s = fp16(d·Σlevels) with the
// wrapping int32 sum.
TEXT ·quantizeQ8AVX2(SB), NOSPLIT, $0-49
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	SHRQ $5, CX
	MOVBLZX sum+48(FP), DX

	VPBROADCASTD absMask<>(SB), Y15
	VBROADCASTSS plus127<>(SB), Y14
	VBROADCASTSS minus128<>(SB), Y13
	VPBROADCASTD lowByte<>(SB), Y12
	VMOVDQU      packOrder<>(SB), Y11
	VBROADCASTSS signMask<>(SB), X10
	VBROADCASTSS quietNaN<>(SB), X9

	// Q8_0: d, 32 levels; Q8_1: d, s, 32 levels.
	MOVQ  $2, R8
	MOVQ  $34, R9
	TESTQ DX, DX
	JZ    q8block
	MOVQ  $4, R8
	MOVQ  $36, R9

q8block:
	TESTQ CX, CX
	JZ    q8done
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3

	VPAND   Y15, Y0, Y4
	VPAND   Y15, Y1, Y5
	VPAND   Y15, Y2, Y6
	VPAND   Y15, Y3, Y7
	VPMAXSD Y5, Y4, Y4
	VPMAXSD Y7, Y6, Y6
	VPMAXSD Y6, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPMAXSD X5, X4, X4
	VPSHUFD $0x4e, X4, X5
	VPMAXSD X5, X4, X4
	VPSHUFD $0xb1, X4, X5
	VPMAXSD X5, X4, X4 // amax in every lane

	VDIVSS  X14, X4, X5 // d = amax/127
	VDIVSS  X4, X14, X6 // id = 127/amax
	VPXOR   X7, X7, X7
	VPCMPEQD X7, X4, X7
	VPANDN  X6, X7, X6  // id = 0 where amax = 0
	VBROADCASTSS X6, Y6

	Q8_LEVELS(Y0, Y6, Y14, Y13)
	Q8_LEVELS(Y1, Y6, Y14, Y13)
	Q8_LEVELS(Y2, Y6, Y14, Y13)
	Q8_LEVELS(Y3, Y6, Y14, Y13)

	TESTQ DX, DX
	JZ    q8store
	// s = fp16(d·Σlevels), the sum before the levels become bytes.
	VPADDD Y1, Y0, Y4
	VPADDD Y3, Y2, Y7
	VPADDD Y7, Y4, Y4
	VEXTRACTI128 $1, Y4, X7
	VPADDD X7, X4, X4
	VPSHUFD $0x4e, X4, X7
	VPADDD X7, X4, X4
	VPSHUFD $0xb1, X4, X7
	VPADDD X7, X4, X4
	VCVTDQ2PS X4, X4
	VMULSS X4, X5, X4
	CANONICAL_NAN(X4, X10, X9, X7, X8)
	VCVTPS2PH $0, X4, X4
	VMOVD X4, AX
	MOVW  AX, 2(DI)

q8store:
	TO_BYTES(Y0, Y1, Y2, Y3, Y12, Y11)
	VMOVDQU Y0, (DI)(R8*1)
	CANONICAL_NAN(X5, X10, X9, X7, X8)
	VCVTPS2PH $0, X5, X5
	VMOVD X5, AX
	MOVW  AX, 0(DI)

	ADDQ $128, SI
	ADDQ R9, DI
	DECQ CX
	JMP  q8block

q8done:
	VZEROUPPER
	RET

// func quantizeQ8KAVX2(dst []byte, x []float32)
//
// quant.QuantizeQ8_K: per block of 256, xmax is the first element of the
// largest magnitude, NaNs passed over (integer compares of the |x| bit
// patterns, as signedAbsMax); iscale = -127/xmax, each level is
// min(127, nearestInt(iscale·x)) (the 1.5·2^23 trick, with its wrapping for
// NaN and Inf kept), d = 1/iscale, and bsums the sums of 16 levels. An
// all-zero (or all-NaN) block is 292 zero bytes.
TEXT ·quantizeQ8KAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	SHRQ $8, CX

	VPBROADCASTD absMask<>(SB), Y15
	VPBROADCASTD infBits<>(SB), Y14
	VBROADCASTSS roundMagic<>(SB), Y13
	VPBROADCASTD mantMask<>(SB), Y12
	VPBROADCASTD mantHalf<>(SB), Y11
	VPBROADCASTD int127<>(SB), Y10
	VPBROADCASTD lowByte<>(SB), Y9
	VMOVDQU      packOrder<>(SB), Y8
	VPBROADCASTD onesBytes<>(SB), Y7

q8kblock:
	TESTQ CX, CX
	JZ    q8kdone

	// amax: the largest |x| bit pattern that is not a NaN.
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	XORQ  AX, AX

q8kmax:
	VPAND    (SI)(AX*1), Y15, Y2
	VPAND    32(SI)(AX*1), Y15, Y3
	VPCMPGTD Y14, Y2, Y4
	VPCMPGTD Y14, Y3, Y5
	VPANDN   Y2, Y4, Y2
	VPANDN   Y3, Y5, Y3
	VPMAXSD  Y2, Y0, Y0
	VPMAXSD  Y3, Y1, Y1
	ADDQ     $64, AX
	CMPQ     AX, $1024
	JB       q8kmax
	VPMAXSD  Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXSD  X1, X0, X0
	VPSHUFD  $0x4e, X0, X1
	VPMAXSD  X1, X0, X0
	VPSHUFD  $0xb1, X0, X1
	VPMAXSD  X1, X0, X0
	VMOVD    X0, BX
	TESTL    BX, BX
	JZ       q8kzero

	// xmax: the first element whose |x| is amax.
	VPBROADCASTD X0, Y0
	XORQ AX, AX

q8kfind:
	VPAND    (SI)(AX*4), Y15, Y2
	VPCMPEQD Y0, Y2, Y2
	VMOVMSKPS Y2, DX
	TESTL    DX, DX
	JNZ      q8kfound
	ADDQ     $8, AX
	JMP      q8kfind

q8kfound:
	BSFL   DX, DX
	ADDQ   DX, AX
	VMOVSS (SI)(AX*4), X1
	VMOVSS minus127<>(SB), X2
	VDIVSS X1, X2, X2 // iscale = -127/xmax
	VMOVSS one<>(SB), X3
	VDIVSS X2, X3, X3 // d = 1/iscale
	VMOVSS X3, 0(DI)
	VBROADCASTSS X2, Y2

	// Levels, 32 per step.
	XORQ AX, AX

q8klevels:
	VMULPS  (SI), Y2, Y3
	VMULPS  32(SI), Y2, Y4
	VMULPS  64(SI), Y2, Y5
	VMULPS  96(SI), Y2, Y6
	VADDPS  Y13, Y3, Y3
	VADDPS  Y13, Y4, Y4
	VADDPS  Y13, Y5, Y5
	VADDPS  Y13, Y6, Y6
	VPAND   Y12, Y3, Y3
	VPAND   Y12, Y4, Y4
	VPAND   Y12, Y5, Y5
	VPAND   Y12, Y6, Y6
	VPSUBD  Y11, Y3, Y3
	VPSUBD  Y11, Y4, Y4
	VPSUBD  Y11, Y5, Y5
	VPSUBD  Y11, Y6, Y6
	VPMINSD Y10, Y3, Y3
	VPMINSD Y10, Y4, Y4
	VPMINSD Y10, Y5, Y5
	VPMINSD Y10, Y6, Y6
	TO_BYTES(Y3, Y4, Y5, Y6, Y9, Y8)
	VMOVDQU Y3, 4(DI)(AX*1)
	ADDQ    $128, SI
	ADDQ    $32, AX
	CMPQ    AX, $256
	JB      q8klevels

	// bsums: VPMADDUBSW with ones makes pair sums of 16-bit words, each
	// 32 bytes two groups (one per 128-bit lane); three rounds of VPHADDW
	// leave groups 0, 2, …, 14 in the low lane and 1, 3, …, 15 in the
	// high one, which VPUNPCKL/HWD interleave.
	VPMADDUBSW 4(DI), Y7, Y0
	VPMADDUBSW 36(DI), Y7, Y1
	VPHADDW    Y1, Y0, Y0 // groups 0-3
	VPMADDUBSW 68(DI), Y7, Y1
	VPMADDUBSW 100(DI), Y7, Y2
	VPHADDW    Y2, Y1, Y1 // groups 4-7
	VPMADDUBSW 132(DI), Y7, Y2
	VPMADDUBSW 164(DI), Y7, Y3
	VPHADDW    Y3, Y2, Y2 // groups 8-11
	VPMADDUBSW 196(DI), Y7, Y3
	VPMADDUBSW 228(DI), Y7, Y4
	VPHADDW    Y4, Y3, Y3 // groups 12-15
	VPHADDW    Y1, Y0, Y0
	VPHADDW    Y3, Y2, Y2
	VPHADDW    Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPUNPCKLWD X1, X0, X2
	VPUNPCKHWD X1, X0, X3
	VMOVDQU    X2, 260(DI)
	VMOVDQU    X3, 276(DI)

	ADDQ $292, DI
	DECQ CX
	JMP  q8kblock

q8kzero:
	VPXOR   Y0, Y0, Y0
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y0, 32(DI)
	VMOVDQU Y0, 64(DI)
	VMOVDQU Y0, 96(DI)
	VMOVDQU Y0, 128(DI)
	VMOVDQU Y0, 160(DI)
	VMOVDQU Y0, 192(DI)
	VMOVDQU Y0, 224(DI)
	VMOVDQU Y0, 256(DI)
	MOVL    $0, 288(DI)
	ADDQ    $1024, SI
	ADDQ    $292, DI
	DECQ    CX
	JMP     q8kblock

q8kdone:
	VZEROUPPER
	RET

// func quantizeF16AVX2(dst []byte, x []float32)
//
// quant.QuantizeF16: VCVTPS2PH rounding to nearest even (immediate 0), NaNs
// made the payload-free quiet NaN of their sign first.
TEXT ·quantizeF16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX

	VBROADCASTSS signMask<>(SB), Y15
	VBROADCASTSS quietNaN<>(SB), Y14

f16loop16:
	CMPQ CX, $16
	JB   f16tail
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	CANONICAL_NAN(Y0, Y15, Y14, Y2, Y3)
	CANONICAL_NAN(Y1, Y15, Y14, Y4, Y5)
	VCVTPS2PH $0, Y0, X0
	VCVTPS2PH $0, Y1, X1
	VMOVDQU X0, (DI)
	VMOVDQU X1, 16(DI)
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP  f16loop16

f16tail:
	TESTQ CX, CX
	JZ    f16done
	VMOVSS (SI), X0
	CANONICAL_NAN(X0, X15, X14, X2, X3)
	VCVTPS2PH $0, X0, X0
	VMOVD X0, AX
	MOVW  AX, (DI)
	ADDQ  $4, SI
	ADDQ  $2, DI
	DECQ  CX
	JMP   f16tail

f16done:
	VZEROUPPER
	RET

// func roundF16F16C(dst, src *float32, n int) int
TEXT ·roundF16F16C(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX

round8:
	CMPQ AX, CX
	JGE  rounded
	VMOVUPS (SI)(AX*4), Y0
	VCMPPS  $3, Y0, Y0, Y1 // unordered: NaN lanes
	VMOVMSKPS Y1, DX
	TESTL   DX, DX
	JNZ     rounded
	VCVTPS2PH $0, Y0, X2
	VCVTPH2PS X2, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     round8

rounded:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
