//go:build !purego

#include "textflag.h"

// Kernels for the 32-element block types (legacy_amd64.go says which order
// each reproduces). A block's 32 weight levels are unpacked into one Y
// register in element order (low nibbles of bytes 0..15, then the high
// ones), the same order as the activation block's 32 bytes, so VPMADDUBSW
// (unsigned weights, signed activations) then VPMADDWD by ones gives lane t
// = Σ elements 4t..4t+3, exact.

DATA nibbles<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbles<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbles<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbles<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibbles<>(SB), RODATA|NOPTR, $32

DATA eights<>+0(SB)/8, $0x0808080808080808
DATA eights<>+8(SB)/8, $0x0808080808080808
DATA eights<>+16(SB)/8, $0x0808080808080808
DATA eights<>+24(SB)/8, $0x0808080808080808
GLOBL eights<>(SB), RODATA|NOPTR, $32

DATA ones16<>+0(SB)/8, $0x0001000100010001
DATA ones16<>+8(SB)/8, $0x0001000100010001
DATA ones16<>+16(SB)/8, $0x0001000100010001
DATA ones16<>+24(SB)/8, $0x0001000100010001
GLOBL ones16<>(SB), RODATA|NOPTR, $32

// Q4_LEVELS unpacks the 16 bytes of 4-bit levels at src into Y (X is its
// lower half): elements 0..31 as unsigned bytes 0..15. T is a temporary X
// register.
#define Q4_LEVELS(src, X, Y, T) \
	VMOVDQU     src, X               \
	VPSRLW      $4, X, T             \
	VINSERTI128 $1, T, Y, Y          \
	VPAND       nibbles<>(SB), Y, Y

// LANES sets dst to the 8 lanes of the unsigned weight levels W times the
// activation levels at src.
#define LANES(W, src, dst) \
	VPMADDUBSW src, W, dst       \
	VPMADDWD   ones16<>(SB), dst, dst

// func q4_0x8AVX2(w *byte, wStride int, a *byte, aStride, tokens, nb int, y *float32, yStride int)
//
// Per block: the 8 rows' levels stay in Y0..Y7 for all tokens, their scales
// (fp16 to float32) in Y9. Per token: 8 lane vectors are added
// up by a VPHADDD tree into one vector of the 8 rows' sums of q·a, minus
// 8·Σa for the levels' offset 8, converted to float32 (exact) and added to
// y with one FMA by dw·da.
TEXT ·q4_0x8AVX2(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ wStride+8(FP), R8
	MOVQ a+16(FP), R10
	MOVQ aStride+24(FP), R11
	MOVQ tokens+32(FP), R12
	MOVQ nb+40(FP), CX
	MOVQ y+48(FP), R13
	MOVQ yStride+56(FP), R14
	SHLQ $2, R14
	LEAQ (R8)(R8*2), R9
	VMOVDQU      eights<>(SB), Y14

q4x8block:
	LEAQ (SI)(R8*4), DI
	Q4_LEVELS(2(SI), X0, Y0, X13)
	Q4_LEVELS(2(SI)(R8*1), X1, Y1, X13)
	Q4_LEVELS(2(SI)(R8*2), X2, Y2, X13)
	Q4_LEVELS(2(SI)(R9*1), X3, Y3, X13)
	Q4_LEVELS(2(DI), X4, Y4, X13)
	Q4_LEVELS(2(DI)(R8*1), X5, Y5, X13)
	Q4_LEVELS(2(DI)(R8*2), X6, Y6, X13)
	Q4_LEVELS(2(DI)(R9*1), X7, Y7, X13)
	VPINSRW    $0, (SI), X9, X9
	VPINSRW    $1, (SI)(R8*1), X9, X9
	VPINSRW    $2, (SI)(R8*2), X9, X9
	VPINSRW    $3, (SI)(R9*1), X9, X9
	VPINSRW    $4, (DI), X9, X9
	VPINSRW    $5, (DI)(R8*1), X9, X9
	VPINSRW    $6, (DI)(R8*2), X9, X9
	VPINSRW    $7, (DI)(R9*1), X9, X9
	VCVTPH2PS  X9, Y9

	MOVQ R10, AX
	MOVQ R13, DX
	MOVQ R12, BX

q4x8token:
	LANES(Y0, 2(AX), Y10)
	LANES(Y1, 2(AX), Y11)
	VPHADDD Y11, Y10, Y10
	LANES(Y2, 2(AX), Y11)
	LANES(Y3, 2(AX), Y12)
	VPHADDD Y12, Y11, Y11
	VPHADDD Y11, Y10, Y10 // rows 0..3: lanes 0..3 in the low half, 4..7 in the high
	LANES(Y4, 2(AX), Y11)
	LANES(Y5, 2(AX), Y12)
	VPHADDD Y12, Y11, Y11
	LANES(Y6, 2(AX), Y12)
	LANES(Y7, 2(AX), Y13)
	VPHADDD Y13, Y12, Y12
	VPHADDD Y12, Y11, Y11 // rows 4..7
	LANES(Y14, 2(AX), Y12) // 8·Σa in the same tree
	VPHADDD    Y12, Y12, Y12
	VPHADDD    Y12, Y12, Y12
	VPSUBD     Y12, Y10, Y10
	VPSUBD     Y12, Y11, Y11
	VPERM2I128 $0x20, Y11, Y10, Y12
	VPERM2I128 $0x31, Y11, Y10, Y13
	VPADDD     Y13, Y12, Y12
	VCVTDQ2PS  Y12, Y12
	VPBROADCASTW (AX), X13
	VCVTPH2PS    X13, Y13
	VMULPS       Y9, Y13, Y13
	VFMADD213PS  (DX), Y13, Y12
	VMOVUPS      Y12, (DX)
	ADDQ R11, AX
	ADDQ R14, DX
	DECQ BX
	JNZ  q4x8token

	ADDQ $18, SI
	ADDQ $34, R10
	DECQ CX
	JNZ  q4x8block
	VZEROUPPER
	RET

// ROW_PAIR sets Y to the 16-bit sums of q·a over element pairs of the
// rows at lo and hi (one per 128-bit lane): VPMADDUBSW of the low nibbles
// with Y10 plus that of the high ones with Y11. Y6 holds 0x0f bytes, Y15
// is a temporary.
#define ROW_PAIR(lo, hi, X, Y) \
	VMOVDQU     lo, X          \
	VINSERTI128 $1, hi, Y, Y   \
	VPSRLW      $4, Y, Y15     \
	VPAND       Y6, Y, Y       \
	VPAND       Y6, Y15, Y15   \
	VPMADDUBSW  Y10, Y, Y      \
	VPMADDUBSW  Y11, Y15, Y15  \
	VPADDW      Y15, Y, Y

// func q4_0x8DotAVX2(w *byte, wStride int, a *byte, nb int, y *float32)
//
// q4_0x8AVX2 for one token (decoding), with fewer instructions per weight
// byte: Y0..Y3 hold rows (r, r+4), r = 0..3, one per 128-bit lane, their
// low nibbles multiplied by the activations' elements 0..15 (Y10) and high
// ones by 16..31 (Y11), both broadcast to the two lanes. Three VPHADDW
// and one VPMADDWD then leave row j's sum of q·a in lane j (at most
// 8·2·15·128 < 2¹⁵ in any 16-bit step: exact), minus 8·Σa (Y12) for the
// levels' offset; one FMA by dw·da adds them to the accumulators (Y8),
// which go to y at the end. Like q4_0x16DotVNNI, each block prefetches
// into L2 its share (144 bytes) of the next tile (R11).
TEXT ·q4_0x8DotAVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ wStride+8(FP), R8
	MOVQ a+16(FP), R10
	MOVQ nb+24(FP), CX
	MOVQ y+32(FP), R13
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), DI
	LEAQ (DI)(R8*4), R11
	VMOVDQU nibbles<>(SB), Y6
	VMOVDQU ones16<>(SB), Y7
	VMOVDQU eights<>(SB), Y14
	VXORPS  Y8, Y8, Y8

q4x8dot:
	PREFETCHT1 (R11)
	PREFETCHT1 64(R11)
	PREFETCHT1 128(R11)
	ADDQ       $144, R11
	VBROADCASTI128 2(R10), Y10
	VBROADCASTI128 18(R10), Y11
	VPMADDUBSW     Y10, Y14, Y12
	VPMADDUBSW     Y11, Y14, Y13
	VPADDW         Y13, Y12, Y12
	VPMADDWD       Y7, Y12, Y12
	VPHADDD        Y12, Y12, Y12
	VPHADDD        Y12, Y12, Y12 // 8·Σa in every lane
	ROW_PAIR(2(SI), 2(DI), X0, Y0)
	ROW_PAIR(2(SI)(R8*1), 2(DI)(R8*1), X1, Y1)
	ROW_PAIR(2(SI)(R8*2), 2(DI)(R8*2), X2, Y2)
	ROW_PAIR(2(SI)(R9*1), 2(DI)(R9*1), X3, Y3)
	VPHADDW    Y1, Y0, Y0 // rows 0, 1 | 4, 5: 4 sums each
	VPHADDW    Y3, Y2, Y2 // rows 2, 3 | 6, 7
	VPHADDW    Y2, Y0, Y0 // rows 0..3 | 4..7: 2 sums each
	VPMADDWD   Y7, Y0, Y0
	VPSUBD     Y12, Y0, Y0
	VCVTDQ2PS  Y0, Y0
	VPINSRW    $0, (SI), X9, X9
	VPINSRW    $1, (SI)(R8*1), X9, X9
	VPINSRW    $2, (SI)(R8*2), X9, X9
	VPINSRW    $3, (SI)(R9*1), X9, X9
	VPINSRW    $4, (DI), X9, X9
	VPINSRW    $5, (DI)(R8*1), X9, X9
	VPINSRW    $6, (DI)(R8*2), X9, X9
	VPINSRW    $7, (DI)(R9*1), X9, X9
	VCVTPH2PS  X9, Y9
	VPBROADCASTW (R10), X13
	VCVTPH2PS    X13, Y13
	VMULPS       Y13, Y9, Y9
	VFMADD231PS  Y0, Y9, Y8
	ADDQ $18, SI
	ADDQ $18, DI
	ADDQ $34, R10
	DECQ CX
	JNZ  q4x8dot
	VMOVUPS Y8, (R13)
	VZEROUPPER
	RET

// The lane order of the vec_dot and tinyBLAS_Q0 kernels (vecDotQ8_0 and
// its siblings): per block and output, 8 integer lanes converted to
// float32 and added to 8 float32 accumulators with one FMA by dw·da; hsum8
// at the end. Signed levels (Q4_0, Q5_0, Q8_0, IQ4_NL) are multiplied as
// llama.cpp's mul_sum_i8_pairs does: |w| times a with w's sign (VPSIGNB),
// since VPMADDUBSW needs one unsigned side; unsigned levels (Q4_1, Q5_1)
// go straight in. Each type has two kernels: one row by one token (a
// single dot product), and one row by 4 tokens, which unpacks each weight
// block once for the 4. Both take the weight row at w, the first token's
// activations at a, and nb blocks.
//
// Registers: Y0..Y3 the tokens' accumulators, Y4 the signed levels, Y5
// |levels| (the unsigned levels for Q4_1 and Q5_1), Y6 dw in every lane,
// X9 m (Q4_1, Q5_1), X10..X13 the tokens' Σ m·s (Q4_1, Q5_1), Y7 and Y8
// temporaries.

DATA highNibbles<>+0(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA highNibbles<>+8(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA highNibbles<>+16(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA highNibbles<>+24(SB)/8, $0xf0f0f0f0f0f0f0f0
GLOBL highNibbles<>(SB), RODATA|NOPTR, $32

DATA sixteens<>+0(SB)/8, $0x1010101010101010
DATA sixteens<>+8(SB)/8, $0x1010101010101010
DATA sixteens<>+16(SB)/8, $0x1010101010101010
DATA sixteens<>+24(SB)/8, $0x1010101010101010
GLOBL sixteens<>(SB), RODATA|NOPTR, $32

DATA allOnes<>+0(SB)/8, $-1
DATA allOnes<>+8(SB)/8, $-1
DATA allOnes<>+16(SB)/8, $-1
DATA allOnes<>+24(SB)/8, $-1
GLOBL allOnes<>(SB), RODATA|NOPTR, $32

// bitBytes and bitMasks turn a broadcast 32-bit qh into one byte per bit
// (llama.cpp's bytes_from_bits_32): byte e copies qh's byte e/8, then all
// its bits but bit e%8 are set, so it is all ones exactly when bit e is.
DATA bitBytes<>+0(SB)/8, $0x0000000000000000
DATA bitBytes<>+8(SB)/8, $0x0101010101010101
DATA bitBytes<>+16(SB)/8, $0x0202020202020202
DATA bitBytes<>+24(SB)/8, $0x0303030303030303
GLOBL bitBytes<>(SB), RODATA|NOPTR, $32

DATA bitMasks<>+0(SB)/8, $0x7fbfdfeff7fbfdfe
DATA bitMasks<>+8(SB)/8, $0x7fbfdfeff7fbfdfe
DATA bitMasks<>+16(SB)/8, $0x7fbfdfeff7fbfdfe
DATA bitMasks<>+24(SB)/8, $0x7fbfdfeff7fbfdfe
GLOBL bitMasks<>(SB), RODATA|NOPTR, $32

// iq4nlLevels is kvalues_iq4nl as signed bytes, in both 128-bit lanes for
// VPSHUFB.
DATA iq4nlLevels<>+0(SB)/8, $0xf6eaddcfbfad9881
DATA iq4nlLevels<>+8(SB)/8, $0x7159453526190d01
DATA iq4nlLevels<>+16(SB)/8, $0xf6eaddcfbfad9881
DATA iq4nlLevels<>+24(SB)/8, $0x7159453526190d01
GLOBL iq4nlLevels<>(SB), RODATA|NOPTR, $32

// QH_BYTES sets Y7 to 0xff in byte e where bit e of the 32-bit qh at src
// is set, 0 elsewhere.
#define QH_BYTES(src) \
	VPBROADCASTD src, Y7                \
	VPSHUFB      bitBytes<>(SB), Y7, Y7 \
	VPOR         bitMasks<>(SB), Y7, Y7 \
	VPCMPEQB     allOnes<>(SB), Y7, Y7

// Signed weight levels of the block at R into Y (X its lower half); Y7 is
// a temporary.
#define Q4_0_SIGNED(R, X, Y) \
	Q4_LEVELS(2(R), X, Y, X7) \
	VPSUBB eights<>(SB), Y, Y

// Q5_0: (nibble | bit·16) − 16, that is the nibble minus 16 where the bit
// is clear (ggml's OR with 0xf0).
#define Q5_0_SIGNED(R, X, Y) \
	Q4_LEVELS(6(R), X, Y, X7)         \
	QH_BYTES(2(R))                    \
	VPANDN highNibbles<>(SB), Y7, Y7  \
	VPOR   Y7, Y, Y

#define Q8_0_SIGNED(R, X, Y) \
	VMOVDQU 2(R), Y

#define IQ4_NL_SIGNED(R, X, Y) \
	Q4_LEVELS(2(R), X, Y, X7)     \
	VMOVDQU iq4nlLevels<>(SB), Y7 \
	VPSHUFB Y, Y7, Y

// Unsigned weight levels of the block at R into Y (X its lower half).
#define Q4_1_UNSIGNED(R, X, Y) \
	Q4_LEVELS(4(R), X, Y, X7)

#define Q5_1_UNSIGNED(R, X, Y) \
	Q4_LEVELS(8(R), X, Y, X7)     \
	QH_BYTES(4(R))                \
	VPAND sixteens<>(SB), Y7, Y7  \
	VPOR  Y7, Y, Y

// SCALES sets Y6 to the weight block's dw in every lane (and X9 to its m
// where the block has one, MIN_SCALE).
#define SCALES \
	VPBROADCASTW (SI), X6 \
	VCVTPH2PS    X6, Y6

#define MIN_SCALE \
	VPBROADCASTW 2(SI), X9 \
	VCVTPH2PS    X9, X9

// FMA_LANES converts the integer lanes in Y7 to float32 and adds them to
// acc times dw·da, da the fp16 at sc: acc = fma(dw·da, lanes, acc).
#define FMA_LANES(sc, acc) \
	VCVTDQ2PS    Y7, Y7     \
	VPBROADCASTW sc, X8     \
	VCVTPH2PS    X8, Y8     \
	VMULPS       Y6, Y8, Y8 \
	VFMADD231PS  Y7, Y8, acc

// SIGNED_TOKEN adds the product of the signed levels with the Q8_0 block
// at A to acc.
#define SIGNED_TOKEN(A, acc) \
	VMOVDQU    2(A), Y7                 \
	VPSIGNB    Y4, Y7, Y7               \
	VPMADDUBSW Y7, Y5, Y7               \
	VPMADDWD   ones16<>(SB), Y7, Y7     \
	FMA_LANES((A), acc)

// UNSIGNED_TOKEN adds the product of the unsigned levels with the Q8_1
// block at A to acc, and m·s to summs (exact in float32: two fp16).
#define UNSIGNED_TOKEN(A, acc, summs) \
	VPMADDUBSW   4(A), Y5, Y7             \
	VPMADDWD     ones16<>(SB), Y7, Y7     \
	FMA_LANES((A), acc)                   \
	VPBROADCASTW 2(A), X8                 \
	VCVTPH2PS    X8, X8                   \
	VMULSS       X9, X8, X8               \
	VADDSS       X8, summs, summs

// HSUM8 adds the 8 lanes of Y (X its lower half) into X's lane 0 in the
// order of hsum8: (v0+v4 + v2+v6) + (v1+v5 + v3+v7). T is a temporary X
// register.
#define HSUM8(Y, X, T) \
	VEXTRACTF128 $1, Y, T    \
	VADDPS       T, X, X     \
	VPERMILPS    $0x4e, X, T \
	VADDPS       T, X, X     \
	VMOVSHDUP    X, T        \
	VADDSS       T, X, X

// The prologues load the arguments: SI the weights, R10 (and R11, R12,
// R9 for tokens 1..3) the activations, CX the blocks, R13 y and R14 its
// stride in bytes.
#define LANES1_ARGS \
	MOVQ   w+0(FP), SI   \
	MOVQ   a+8(FP), R10  \
	MOVQ   nb+16(FP), CX \
	VXORPS Y0, Y0, Y0

#define LANES4_ARGS \
	MOVQ   w+0(FP), SI         \
	MOVQ   a+8(FP), R10        \
	MOVQ   aStride+16(FP), AX  \
	LEAQ   (R10)(AX*1), R11    \
	LEAQ   (R10)(AX*2), R12    \
	LEAQ   (R11)(AX*2), R9    \
	MOVQ   nb+24(FP), CX       \
	MOVQ   y+32(FP), R13       \
	MOVQ   yStride+40(FP), R14 \
	SHLQ   $2, R14             \
	VXORPS Y0, Y0, Y0          \
	VXORPS Y1, Y1, Y1          \
	VXORPS Y2, Y2, Y2          \
	VXORPS Y3, Y3, Y3

#define SIGNED_TOKENS4 \
	SIGNED_TOKEN(R10, Y0) \
	SIGNED_TOKEN(R11, Y1) \
	SIGNED_TOKEN(R12, Y2) \
	SIGNED_TOKEN(R9, Y3)

#define UNSIGNED_TOKENS4 \
	UNSIGNED_TOKEN(R10, Y0, X10) \
	UNSIGNED_TOKEN(R11, Y1, X11) \
	UNSIGNED_TOKEN(R12, Y2, X12) \
	UNSIGNED_TOKEN(R9, Y3, X13)

// STORE4 writes the 4 tokens' sums (lane 0 of X0..X3) to y.
#define STORE4 \
	VMOVSS X0, (R13)          \
	VMOVSS X1, (R13)(R14*1)   \
	VMOVSS X2, (R13)(R14*2)   \
	LEAQ   (R13)(R14*2), R13  \
	VMOVSS X3, (R13)(R14*1)

#define HSUM4 \
	HSUM8(Y0, X0, X7) \
	HSUM8(Y1, X1, X7) \
	HSUM8(Y2, X2, X7) \
	HSUM8(Y3, X3, X7)

// func iq4nlVecDot1(w, a *byte, nb int) float32
//
// vecDotIQ4_NL: blocks in pairs, the first of each pair into Y0, the
// second into Y1, hsum8 of Y0+Y1; an odd last block's whole integer sum
// added after with a scalar FMA.
TEXT ·iq4nlVecDot1(SB), NOSPLIT, $0-28
	LANES1_ARGS
	VXORPS Y1, Y1, Y1
	MOVQ   CX, DX
	SHRQ   $1, CX
	JZ     iq4nlOdd

iq4nlPair:
	IQ4_NL_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKEN(R10, Y0)
	ADDQ   $18, SI
	ADDQ   $34, R10
	IQ4_NL_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKEN(R10, Y1)
	ADDQ   $18, SI
	ADDQ   $34, R10
	DECQ   CX
	JNZ    iq4nlPair

iq4nlOdd:
	VADDPS Y1, Y0, Y0
	HSUM8(Y0, X0, X7)
	TESTQ  $1, DX
	JZ     iq4nlDone
	IQ4_NL_SIGNED(SI, X4, Y4)
	VPABSB       Y4, Y5
	VMOVDQU      2(R10), Y7
	VPSIGNB      Y4, Y7, Y7
	VPMADDUBSW   Y7, Y5, Y7
	VPMADDWD     ones16<>(SB), Y7, Y7
	VEXTRACTI128 $1, Y7, X8
	VPADDD       X8, X7, X7
	VPSHUFD      $0x4e, X7, X8
	VPADDD       X8, X7, X7
	VPSHUFD      $0xb1, X7, X8
	VPADDD       X8, X7, X7
	VCVTDQ2PS    X7, X7
	VPBROADCASTW (SI), X6
	VCVTPH2PS    X6, X6
	VPBROADCASTW (R10), X8
	VCVTPH2PS    X8, X8
	VMULSS       X6, X8, X8
	VFMADD231SS  X7, X8, X0

iq4nlDone:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// The kernels of each type (LEVELS, block sizes, signed or not).

// func q4_0Lanes1(w, a *byte, nb int) float32
TEXT ·q4_0Lanes1(SB), NOSPLIT, $0-28
	LANES1_ARGS

q4_0Lanesblock1:
	Q4_0_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKEN(R10, Y0)
	ADDQ $18, SI
	ADDQ $34, R10
	DECQ CX
	JNZ  q4_0Lanesblock1
	HSUM8(Y0, X0, X7)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func q4_0Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q4_0Lanes4(SB), NOSPLIT, $0-48
	LANES4_ARGS

q4_0Lanesblock4:
	Q4_0_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKENS4
	ADDQ $18, SI
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  q4_0Lanesblock4
	HSUM4
	VZEROUPPER
	STORE4
	RET

// func q5_0Lanes1(w, a *byte, nb int) float32
TEXT ·q5_0Lanes1(SB), NOSPLIT, $0-28
	LANES1_ARGS

q5_0Lanesblock1:
	Q5_0_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKEN(R10, Y0)
	ADDQ $22, SI
	ADDQ $34, R10
	DECQ CX
	JNZ  q5_0Lanesblock1
	HSUM8(Y0, X0, X7)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func q5_0Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q5_0Lanes4(SB), NOSPLIT, $0-48
	LANES4_ARGS

q5_0Lanesblock4:
	Q5_0_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKENS4
	ADDQ $22, SI
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  q5_0Lanesblock4
	HSUM4
	VZEROUPPER
	STORE4
	RET

// func q8_0Lanes1(w, a *byte, nb int) float32
TEXT ·q8_0Lanes1(SB), NOSPLIT, $0-28
	LANES1_ARGS

q8_0Lanesblock1:
	Q8_0_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKEN(R10, Y0)
	ADDQ $34, SI
	ADDQ $34, R10
	DECQ CX
	JNZ  q8_0Lanesblock1
	HSUM8(Y0, X0, X7)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func q8_0Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q8_0Lanes4(SB), NOSPLIT, $0-48
	LANES4_ARGS

q8_0Lanesblock4:
	Q8_0_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKENS4
	ADDQ $34, SI
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  q8_0Lanesblock4
	HSUM4
	VZEROUPPER
	STORE4
	RET

// func iq4nlLanes1(w, a *byte, nb int) float32
TEXT ·iq4nlLanes1(SB), NOSPLIT, $0-28
	LANES1_ARGS

iq4nlLanesblock1:
	IQ4_NL_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKEN(R10, Y0)
	ADDQ $18, SI
	ADDQ $34, R10
	DECQ CX
	JNZ  iq4nlLanesblock1
	HSUM8(Y0, X0, X7)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func iq4nlLanes4(w, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·iq4nlLanes4(SB), NOSPLIT, $0-48
	LANES4_ARGS

iq4nlLanesblock4:
	IQ4_NL_SIGNED(SI, X4, Y4)
	VPABSB Y4, Y5
	SCALES
	SIGNED_TOKENS4
	ADDQ $18, SI
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  iq4nlLanesblock4
	HSUM4
	VZEROUPPER
	STORE4
	RET

// func q4_1Lanes1(w, a *byte, nb int) float32
TEXT ·q4_1Lanes1(SB), NOSPLIT, $0-28
	LANES1_ARGS
	VXORPS X10, X10, X10

q4_1Lanesblock1:
	Q4_1_UNSIGNED(SI, X5, Y5)
	SCALES
	MIN_SCALE
	UNSIGNED_TOKEN(R10, Y0, X10)
	ADDQ $20, SI
	ADDQ $36, R10
	DECQ CX
	JNZ  q4_1Lanesblock1
	HSUM8(Y0, X0, X7)
	VADDSS X10, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func q4_1Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q4_1Lanes4(SB), NOSPLIT, $0-48
	LANES4_ARGS
	VXORPS X10, X10, X10
	VXORPS X11, X11, X11
	VXORPS X12, X12, X12
	VXORPS X13, X13, X13

q4_1Lanesblock4:
	Q4_1_UNSIGNED(SI, X5, Y5)
	SCALES
	MIN_SCALE
	UNSIGNED_TOKENS4
	ADDQ $20, SI
	ADDQ $36, R10
	ADDQ $36, R11
	ADDQ $36, R12
	ADDQ $36, R9
	DECQ CX
	JNZ  q4_1Lanesblock4
	HSUM4
	VADDSS X10, X0, X0
	VADDSS X11, X1, X1
	VADDSS X12, X2, X2
	VADDSS X13, X3, X3
	VZEROUPPER
	STORE4
	RET

// func q5_1Lanes1(w, a *byte, nb int) float32
TEXT ·q5_1Lanes1(SB), NOSPLIT, $0-28
	LANES1_ARGS
	VXORPS X10, X10, X10

q5_1Lanesblock1:
	Q5_1_UNSIGNED(SI, X5, Y5)
	SCALES
	MIN_SCALE
	UNSIGNED_TOKEN(R10, Y0, X10)
	ADDQ $24, SI
	ADDQ $36, R10
	DECQ CX
	JNZ  q5_1Lanesblock1
	HSUM8(Y0, X0, X7)
	VADDSS X10, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func q5_1Lanes4(w, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q5_1Lanes4(SB), NOSPLIT, $0-48
	LANES4_ARGS
	VXORPS X10, X10, X10
	VXORPS X11, X11, X11
	VXORPS X12, X12, X12
	VXORPS X13, X13, X13

q5_1Lanesblock4:
	Q5_1_UNSIGNED(SI, X5, Y5)
	SCALES
	MIN_SCALE
	UNSIGNED_TOKENS4
	ADDQ $24, SI
	ADDQ $36, R10
	ADDQ $36, R11
	ADDQ $36, R12
	ADDQ $36, R9
	DECQ CX
	JNZ  q5_1Lanesblock4
	HSUM4
	VADDSS X10, X0, X0
	VADDSS X11, X1, X1
	VADDSS X12, X2, X2
	VADDSS X13, X3, X3
	VZEROUPPER
	STORE4
	RET

// The lane order with AVX-512 VNNI for batches: 4 rows × 4 tokens. Two
// rows share a Z register, row 2h in the low 256 bits and 2h+1 in the high
// ones (Z16: rows 0, 1; Z17: rows 2, 3), so one VPDPBUSD computes the 8
// lanes of two outputs and one FMA adds them to their accumulators (token
// 0's rows 0, 1 in Z0 and rows 2, 3 in Z1; token 1 Z2, Z3; token 2 Z11,
// Z12; token 3 Z13, Z14). VPDPBUSD multiplies unsigned by signed bytes:
// the activations are made unsigned, a+128, and each lane starts from
// −128·Σw of its 4 weights (Z18, Z19), computed once per block for all
// tokens. Z20, Z21 hold the rows' dw, Z28 bytes of 128, Z29 zero.

DATA bias128<>+0(SB)/4, $0x80808080
GLOBL bias128<>(SB), RODATA|NOPTR, $4

// VNNI_ROWS takes the 4 rows' signed levels in Y4, Y5, Y6, Y8 and their
// blocks at SI, DI, BX, DX, and sets up Z16..Z21.
#define VNNI_ROWS \
	VINSERTI64X4 $1, Y5, Z4, Z16      \
	VINSERTI64X4 $1, Y8, Z6, Z17      \
	VPXORD       Z18, Z18, Z18        \
	VPXORD       Z19, Z19, Z19        \
	VPDPBUSD     Z16, Z28, Z18        \
	VPDPBUSD     Z17, Z28, Z19        \
	VPSUBD       Z18, Z29, Z18        \
	VPSUBD       Z19, Z29, Z19        \
	VNNI_SCALES

// VNNI_SCALES sets Z20 and Z21 to the dw of the 4 rows' blocks at SI, DI,
// BX, DX: rows 0, 1 and 2, 3, each in 8 lanes.
#define VNNI_SCALES \
	VPBROADCASTW (SI), X9             \
	VPBROADCASTW (DI), X10            \
	VINSERTI128  $1, X10, Y9, Y9      \
	VCVTPH2PS    Y9, Z20              \
	VPBROADCASTW (BX), X9             \
	VPBROADCASTW (DX), X10            \
	VINSERTI128  $1, X10, Y9, Y9      \
	VCVTPH2PS    Y9, Z21

// VNNI_TOKEN adds the 4 rows' products with the Q8_0 block at A to acc0
// (rows 0, 1) and acc1 (rows 2, 3).
#define VNNI_TOKEN(A, acc0, acc1) \
	VBROADCASTI64X4 2(A), Z22      \
	VPXORD          Z28, Z22, Z22  \
	VPBROADCASTW    (A), Y9        \
	VCVTPH2PS       Y9, Z23        \
	VMULPS          Z20, Z23, Z24  \
	VMULPS          Z21, Z23, Z25  \
	VMOVDQA32       Z18, Z26       \
	VPDPBUSD        Z16, Z22, Z26  \
	VMOVDQA32       Z19, Z27       \
	VPDPBUSD        Z17, Z22, Z27  \
	VCVTDQ2PS       Z26, Z26       \
	VCVTDQ2PS       Z27, Z27       \
	VFMADD231PS     Z26, Z24, acc0 \
	VFMADD231PS     Z27, Z25, acc1

// VNNI_STORE writes the two outputs of Z (Y and X its lower parts) as
// hsum8 of each half to lo(R13) and hi(R13).
#define VNNI_STORE(Z, Y, X, lo, hi) \
	VEXTRACTF64X4 $1, Z, Y10 \
	HSUM8(Y, X, X15)         \
	HSUM8(Y10, X10, X15)     \
	VMOVSS        X, lo(R13) \
	VMOVSS        X10, hi(R13)

// LANES4X4_ARGS loads the arguments: SI, DI, BX, DX the 4 weight rows,
// R10, R11, R12, R9 the 4 tokens' activations, CX the blocks, R13 y and
// R14 its stride in bytes; and zeroes the accumulators.
#define LANES4X4_ARGS \
	MOVQ         w+0(FP), SI          \
	MOVQ         wStride+8(FP), R8    \
	LEAQ         (SI)(R8*1), DI       \
	LEAQ         (SI)(R8*2), BX       \
	LEAQ         (DI)(R8*2), DX       \
	MOVQ         a+16(FP), R10        \
	MOVQ         aStride+24(FP), AX   \
	LEAQ         (R10)(AX*1), R11     \
	LEAQ         (R10)(AX*2), R12     \
	LEAQ         (R11)(AX*2), R9      \
	MOVQ         nb+32(FP), CX        \
	MOVQ         y+40(FP), R13        \
	MOVQ         yStride+48(FP), R14  \
	SHLQ         $2, R14              \
	VPBROADCASTD bias128<>(SB), Z28   \
	VPXORD       Z29, Z29, Z29        \
	VPXORD       Z0, Z0, Z0           \
	VPXORD       Z1, Z1, Z1           \
	VPXORD       Z2, Z2, Z2           \
	VPXORD       Z3, Z3, Z3           \
	VPXORD       Z11, Z11, Z11           \
	VPXORD       Z12, Z12, Z12           \
	VPXORD       Z13, Z13, Z13           \
	VPXORD       Z14, Z14, Z14

#define VNNI_TOKENS4 \
	VNNI_TOKEN(R10, Z0, Z1) \
	VNNI_TOKEN(R11, Z2, Z3) \
	VNNI_TOKEN(R12, Z11, Z12) \
	VNNI_TOKEN(R9, Z13, Z14)

#define VNNI_STORE4 \
	VNNI_STORE(Z0, Y0, X0, 0, 4)  \
	VNNI_STORE(Z1, Y1, X1, 8, 12) \
	ADDQ R14, R13                  \
	VNNI_STORE(Z2, Y2, X2, 0, 4)  \
	VNNI_STORE(Z3, Y3, X3, 8, 12) \
	ADDQ R14, R13                  \
	VNNI_STORE(Z11, Y11, X11, 0, 4)  \
	VNNI_STORE(Z12, Y12, X12, 8, 12) \
	ADDQ R14, R13                  \
	VNNI_STORE(Z13, Y13, X13, 0, 4)  \
	VNNI_STORE(Z14, Y14, X14, 8, 12)

// The 4×4 kernels of the types with signed levels.

// func q4_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q4_0Lanes4x4VNNI(SB), NOSPLIT, $0-56
	LANES4X4_ARGS

q4_0Lanes4x4VNNIblock:
	Q4_0_SIGNED(SI, X4, Y4)
	Q4_0_SIGNED(DI, X5, Y5)
	Q4_0_SIGNED(BX, X6, Y6)
	Q4_0_SIGNED(DX, X8, Y8)
	VNNI_ROWS
	VNNI_TOKENS4
	ADDQ $18, SI
	ADDQ $18, DI
	ADDQ $18, BX
	ADDQ $18, DX
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  q4_0Lanes4x4VNNIblock
	VNNI_STORE4
	VZEROUPPER
	RET

// func q5_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q5_0Lanes4x4VNNI(SB), NOSPLIT, $0-56
	LANES4X4_ARGS

q5_0Lanes4x4VNNIblock:
	Q5_0_SIGNED(SI, X4, Y4)
	Q5_0_SIGNED(DI, X5, Y5)
	Q5_0_SIGNED(BX, X6, Y6)
	Q5_0_SIGNED(DX, X8, Y8)
	VNNI_ROWS
	VNNI_TOKENS4
	ADDQ $22, SI
	ADDQ $22, DI
	ADDQ $22, BX
	ADDQ $22, DX
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  q5_0Lanes4x4VNNIblock
	VNNI_STORE4
	VZEROUPPER
	RET

// func q8_0Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q8_0Lanes4x4VNNI(SB), NOSPLIT, $0-56
	LANES4X4_ARGS

q8_0Lanes4x4VNNIblock:
	Q8_0_SIGNED(SI, X4, Y4)
	Q8_0_SIGNED(DI, X5, Y5)
	Q8_0_SIGNED(BX, X6, Y6)
	Q8_0_SIGNED(DX, X8, Y8)
	VNNI_ROWS
	VNNI_TOKENS4
	ADDQ $34, SI
	ADDQ $34, DI
	ADDQ $34, BX
	ADDQ $34, DX
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  q8_0Lanes4x4VNNIblock
	VNNI_STORE4
	VZEROUPPER
	RET

// func iq4nlLanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·iq4nlLanes4x4VNNI(SB), NOSPLIT, $0-56
	LANES4X4_ARGS

iq4nlLanes4x4VNNIblock:
	IQ4_NL_SIGNED(SI, X4, Y4)
	IQ4_NL_SIGNED(DI, X5, Y5)
	IQ4_NL_SIGNED(BX, X6, Y6)
	IQ4_NL_SIGNED(DX, X8, Y8)
	VNNI_ROWS
	VNNI_TOKENS4
	ADDQ $18, SI
	ADDQ $18, DI
	ADDQ $18, BX
	ADDQ $18, DX
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $34, R12
	ADDQ $34, R9
	DECQ CX
	JNZ  iq4nlLanes4x4VNNIblock
	VNNI_STORE4
	VZEROUPPER
	RET

// The 4×4 kernels of Q4_1 and Q5_1: the unsigned levels go straight into
// VPDPBUSD, and each token's Σ m·s of the 4 rows (exact products, added
// block by block) is a vector in the low 128 bits of Z18, Z19, Z30, Z31
// (Z28: the rows' m), added to the outputs after hsum8.

// VNNI_MINS sets Z28 to the m of the 4 rows' blocks at SI, DI, BX, DX.
#define VNNI_MINS \
	VPINSRW   $0, 2(SI), X9, X9 \
	VPINSRW   $1, 2(DI), X9, X9 \
	VPINSRW   $2, 2(BX), X9, X9 \
	VPINSRW   $3, 2(DX), X9, X9 \
	VCVTPH2PS X9, X9            \
	VMOVAPS   Z9, Z28

// VNNI_UTOKEN adds the 4 rows' products with the Q8_1 block at A to acc0
// (rows 0, 1) and acc1 (rows 2, 3), and their m·s to summs.
#define VNNI_UTOKEN(A, acc0, acc1, summs) \
	VBROADCASTI64X4 4(A), Z22      \
	VPBROADCASTW    (A), Y9        \
	VCVTPH2PS       Y9, Z23        \
	VMULPS          Z20, Z23, Z24  \
	VMULPS          Z21, Z23, Z25  \
	VPXORD          Z26, Z26, Z26  \
	VPDPBUSD        Z22, Z16, Z26  \
	VPXORD          Z27, Z27, Z27  \
	VPDPBUSD        Z22, Z17, Z27  \
	VCVTDQ2PS       Z26, Z26       \
	VCVTDQ2PS       Z27, Z27       \
	VFMADD231PS     Z26, Z24, acc0 \
	VFMADD231PS     Z27, Z25, acc1 \
	VPBROADCASTW    2(A), Y9       \
	VCVTPH2PS       Y9, Z23        \
	VMULPS          Z28, Z23, Z23  \
	VADDPS          Z23, summs, summs

// VNNI_USTORE writes one token's 4 outputs: VNNI_STORE's sums plus summs.
#define VNNI_USTORE(Z0, Y0, X0, Z1, Y1, X1, summs) \
	VNNI_STORE(Z0, Y0, X0, 0, 4)  \
	VNNI_STORE(Z1, Y1, X1, 8, 12) \
	VEXTRACTF32X4 $0, summs, X9   \
	VADDPS        (R13), X9, X9   \
	VMOVUPS       X9, (R13)

// func q4_1Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q4_1Lanes4x4VNNI(SB), NOSPLIT, $0-56
	LANES4X4_ARGS
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31

q4_1Lanes4x4VNNIblock:
	Q4_1_UNSIGNED(SI, X4, Y4)
	Q4_1_UNSIGNED(DI, X5, Y5)
	Q4_1_UNSIGNED(BX, X6, Y6)
	Q4_1_UNSIGNED(DX, X8, Y8)
	VINSERTI64X4 $1, Y5, Z4, Z16
	VINSERTI64X4 $1, Y8, Z6, Z17
	VNNI_SCALES
	VNNI_MINS
	VNNI_UTOKEN(R10, Z0, Z1, Z18)
	VNNI_UTOKEN(R11, Z2, Z3, Z19)
	VNNI_UTOKEN(R12, Z11, Z12, Z30)
	VNNI_UTOKEN(R9, Z13, Z14, Z31)
	ADDQ $20, SI
	ADDQ $20, DI
	ADDQ $20, BX
	ADDQ $20, DX
	ADDQ $36, R10
	ADDQ $36, R11
	ADDQ $36, R12
	ADDQ $36, R9
	DECQ CX
	JNZ  q4_1Lanes4x4VNNIblock
	VNNI_USTORE(Z0, Y0, X0, Z1, Y1, X1, Z18)
	ADDQ R14, R13
	VNNI_USTORE(Z2, Y2, X2, Z3, Y3, X3, Z19)
	ADDQ R14, R13
	VNNI_USTORE(Z11, Y11, X11, Z12, Y12, X12, Z30)
	ADDQ R14, R13
	VNNI_USTORE(Z13, Y13, X13, Z14, Y14, X14, Z31)
	VZEROUPPER
	RET

// func q5_1Lanes4x4VNNI(w *byte, wStride int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q5_1Lanes4x4VNNI(SB), NOSPLIT, $0-56
	LANES4X4_ARGS
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31

q5_1Lanes4x4VNNIblock:
	Q5_1_UNSIGNED(SI, X4, Y4)
	Q5_1_UNSIGNED(DI, X5, Y5)
	Q5_1_UNSIGNED(BX, X6, Y6)
	Q5_1_UNSIGNED(DX, X8, Y8)
	VINSERTI64X4 $1, Y5, Z4, Z16
	VINSERTI64X4 $1, Y8, Z6, Z17
	VNNI_SCALES
	VNNI_MINS
	VNNI_UTOKEN(R10, Z0, Z1, Z18)
	VNNI_UTOKEN(R11, Z2, Z3, Z19)
	VNNI_UTOKEN(R12, Z11, Z12, Z30)
	VNNI_UTOKEN(R9, Z13, Z14, Z31)
	ADDQ $24, SI
	ADDQ $24, DI
	ADDQ $24, BX
	ADDQ $24, DX
	ADDQ $36, R10
	ADDQ $36, R11
	ADDQ $36, R12
	ADDQ $36, R9
	DECQ CX
	JNZ  q5_1Lanes4x4VNNIblock
	VNNI_USTORE(Z0, Y0, X0, Z1, Y1, X1, Z18)
	ADDQ R14, R13
	VNNI_USTORE(Z2, Y2, X2, Z3, Y3, X3, Z19)
	ADDQ R14, R13
	VNNI_USTORE(Z11, Y11, X11, Z12, Y12, X12, Z30)
	ADDQ R14, R13
	VNNI_USTORE(Z13, Y13, X13, Z14, Y14, X14, Z31)
	VZEROUPPER
	RET

// The repacked Q4_0 order with AVX-512 VNNI, 16 rows at a time. Both
// kernels take the rows' blocks at SI, DI, BX, DX (rows 0, 4, 8, 12) plus
// 0, 1, 2, 3 times the row stride (R8, 2·R8, R9 = 3·R8).

// ROWS16 loads the 16 rows' levels of the current block: the 128-bit lane
// p of Z(g) (g = 0..3) holds the 16 bytes of row g+4p.
#define ROWS16 \
	VMOVDQU      2(SI), X0                  \
	VINSERTI32X4 $1, 2(DI), Z0, Z0          \
	VINSERTI32X4 $2, 2(BX), Z0, Z0          \
	VINSERTI32X4 $3, 2(DX), Z0, Z0          \
	VMOVDQU      2(SI)(R8*1), X1            \
	VINSERTI32X4 $1, 2(DI)(R8*1), Z1, Z1    \
	VINSERTI32X4 $2, 2(BX)(R8*1), Z1, Z1    \
	VINSERTI32X4 $3, 2(DX)(R8*1), Z1, Z1    \
	VMOVDQU      2(SI)(R8*2), X2            \
	VINSERTI32X4 $1, 2(DI)(R8*2), Z2, Z2    \
	VINSERTI32X4 $2, 2(BX)(R8*2), Z2, Z2    \
	VINSERTI32X4 $3, 2(DX)(R8*2), Z2, Z2    \
	VMOVDQU      2(SI)(R9*1), X3            \
	VINSERTI32X4 $1, 2(DI)(R9*1), Z3, Z3    \
	VINSERTI32X4 $2, 2(BX)(R9*1), Z3, Z3    \
	VINSERTI32X4 $3, 2(DX)(R9*1), Z3, Z3

// NIBBLES16 splits Z0..Z3 into their low nibbles (Z0..Z3) and high ones
// (Z4..Z7), each a byte 0..15; Z30 holds 0x0f bytes.
#define NIBBLES16 \
	VPSRLD $4, Z0, Z4   \
	VPSRLD $4, Z1, Z5   \
	VPSRLD $4, Z2, Z6   \
	VPSRLD $4, Z3, Z7   \
	VPANDD Z30, Z0, Z0  \
	VPANDD Z30, Z1, Z1  \
	VPANDD Z30, Z2, Z2  \
	VPANDD Z30, Z3, Z3  \
	VPANDD Z30, Z4, Z4  \
	VPANDD Z30, Z5, Z5  \
	VPANDD Z30, Z6, Z6  \
	VPANDD Z30, Z7, Z7

// SCALES16 sets Z to the 16 rows' dw of the current block, row j in lane
// j. Uses X12, X13.
#define SCALES16(Z) \
	VPINSRW     $0, (SI), X12, X12         \
	VPINSRW     $1, (SI)(R8*1), X12, X12   \
	VPINSRW     $2, (SI)(R8*2), X12, X12   \
	VPINSRW     $3, (SI)(R9*1), X12, X12   \
	VPINSRW     $4, (DI), X12, X12         \
	VPINSRW     $5, (DI)(R8*1), X12, X12   \
	VPINSRW     $6, (DI)(R8*2), X12, X12   \
	VPINSRW     $7, (DI)(R9*1), X12, X12   \
	VPINSRW     $0, (BX), X13, X13         \
	VPINSRW     $1, (BX)(R8*1), X13, X13   \
	VPINSRW     $2, (BX)(R8*2), X13, X13   \
	VPINSRW     $3, (BX)(R9*1), X13, X13   \
	VPINSRW     $4, (DX), X13, X13         \
	VPINSRW     $5, (DX)(R8*1), X13, X13   \
	VPINSRW     $6, (DX)(R8*2), X13, X13   \
	VPINSRW     $7, (DX)(R9*1), X13, X13   \
	VINSERTI128 $1, X13, Y12, Y12          \
	VCVTPH2PS   Y12, Z

// ROWS16_ARGS loads w and wStride into SI, DI, BX, DX, R8 and R9.
#define ROWS16_ARGS \
	MOVQ w+0(FP), SI       \
	MOVQ wStride+8(FP), R8 \
	LEAQ (R8)(R8*2), R9    \
	LEAQ (SI)(R8*4), DI    \
	LEAQ (DI)(R8*4), BX    \
	LEAQ (BX)(R8*4), DX

#define NEXT_ROWS16 \
	ADDQ $18, SI \
	ADDQ $18, DI \
	ADDQ $18, BX \
	ADDQ $18, DX

// func q4_0x16VNNI(w *byte, wStride int, sums *q8Sum, a *byte, aStride, tokens, nb int, acc *float32)
//
// Batches: per block, a 4×4 dword transpose of ROWS16 puts dword k of the
// 16 rows' levels in lane j of Z0..Z3 (elements 4k..4k+3 in their low
// nibbles, 16+4k.. in their high ones, split into Z4..Z7), and per token
// VPDPBUSD adds each to the activations' matching 4 bytes broadcast, in
// four chains (their latency would bind otherwise), the first starting
// from the token's −8·Σa (sums). The 16 sums are exact; one FMA by dw·da
// adds them to the token's 16 accumulators at acc. The frame holds the
// count of tokens left.
TEXT ·q4_0x16VNNI(SB), NOSPLIT, $8-64
	ROWS16_ARGS
	MOVQ sums+16(FP), R12
	MOVQ a+24(FP), R10
	MOVQ aStride+32(FP), R11
	MOVQ nb+48(FP), CX
	MOVQ acc+56(FP), R13
	VPBROADCASTD nibbles<>(SB), Z30

q4x16block:
	ROWS16
	VPUNPCKLDQ  Z1, Z0, Z4
	VPUNPCKHDQ  Z1, Z0, Z5
	VPUNPCKLDQ  Z3, Z2, Z6
	VPUNPCKHDQ  Z3, Z2, Z7
	VPUNPCKLQDQ Z6, Z4, Z0
	VPUNPCKHQDQ Z6, Z4, Z1
	VPUNPCKLQDQ Z7, Z5, Z2
	VPUNPCKHQDQ Z7, Z5, Z3
	NIBBLES16
	SCALES16(Z8)
	MOVQ tokens+40(FP), AX
	MOVQ AX, 0(SP)
	MOVQ R10, AX
	MOVQ R13, R14

q4x16token:
	VPBROADCASTD  (R12), Z9
	VPXORD        Z11, Z11, Z11
	VPXORD        Z12, Z12, Z12
	VPXORD        Z13, Z13, Z13
	VPDPBUSD.BCST 2(AX), Z0, Z9
	VPDPBUSD.BCST 18(AX), Z4, Z11
	VPDPBUSD.BCST 6(AX), Z1, Z12
	VPDPBUSD.BCST 22(AX), Z5, Z13
	VPDPBUSD.BCST 10(AX), Z2, Z9
	VPDPBUSD.BCST 26(AX), Z6, Z11
	VPDPBUSD.BCST 14(AX), Z3, Z12
	VPDPBUSD.BCST 30(AX), Z7, Z13
	VPADDD        Z11, Z9, Z9
	VPADDD        Z13, Z12, Z12
	VPADDD        Z12, Z9, Z9
	VCVTDQ2PS     Z9, Z9
	VMULPS.BCST   4(R12), Z8, Z10
	VFMADD213PS   (R14), Z10, Z9
	VMOVUPS       Z9, (R14)
	ADDQ $8, R12
	ADDQ R11, AX
	ADDQ $64, R14
	DECQ 0(SP)
	JNZ  q4x16token

	NEXT_ROWS16
	ADDQ $34, R10
	DECQ CX
	JNZ  q4x16block
	VZEROUPPER
	RET

// func q4_0x16DotVNNI(w *byte, wStride int, a *byte, nb int, y *float32)
//
// One token (decoding): VPDPBUSD multiplies the ROWS16 lanes by the
// activations' elements 0..15 (low nibbles) and 16..31 (high) broadcast to
// every lane, starting from −8·Σa (Z26), and a transpose-and-add of the 4
// results puts row j's exact sum in lane j; one FMA by dw·da adds them to
// the accumulators (Z27), which go to y at the end.
//
// The tile reads 16 rows 18 bytes at a time, streams the hardware
// prefetchers follow poorly: from memory that ran at ~60% of the speed in
// cache. So each block also prefetches into L2 the next 288 bytes (16
// blocks' worth) of the next tile, the 16·wStride bytes after this one,
// which it thus fetches in one sequential pass (R11) while this one runs.
TEXT ·q4_0x16DotVNNI(SB), NOSPLIT, $0-40
	ROWS16_ARGS
	MOVQ a+16(FP), R10
	MOVQ nb+24(FP), CX
	MOVQ y+32(FP), R13
	VPBROADCASTD nibbles<>(SB), Z30
	VPBROADCASTD eights<>(SB), Z29
	VPXORD       Z28, Z28, Z28
	VPXORD       Z27, Z27, Z27
	MOVQ         R8, R11
	SHLQ         $4, R11
	ADDQ         SI, R11

q4x16dot:
	PREFETCHT1 (R11)
	PREFETCHT1 64(R11)
	PREFETCHT1 128(R11)
	PREFETCHT1 192(R11)
	PREFETCHT1 256(R11)
	ADDQ       $288, R11
	VBROADCASTI32X4 2(R10), Z24
	VBROADCASTI32X4 18(R10), Z25
	VPXORD          Z26, Z26, Z26
	VPDPBUSD        Z24, Z29, Z26
	VPDPBUSD        Z25, Z29, Z26
	VPSUBD          Z26, Z28, Z26
	ROWS16
	NIBBLES16
	VMOVDQA32       Z26, Z8
	VMOVDQA32       Z26, Z9
	VMOVDQA32       Z26, Z10
	VMOVDQA32       Z26, Z11
	VPDPBUSD        Z24, Z0, Z8
	VPDPBUSD        Z24, Z1, Z9
	VPDPBUSD        Z24, Z2, Z10
	VPDPBUSD        Z24, Z3, Z11
	VPDPBUSD        Z25, Z4, Z8
	VPDPBUSD        Z25, Z5, Z9
	VPDPBUSD        Z25, Z6, Z10
	VPDPBUSD        Z25, Z7, Z11
	VPUNPCKLDQ      Z9, Z8, Z12
	VPUNPCKHDQ      Z9, Z8, Z13
	VPADDD          Z13, Z12, Z12
	VPUNPCKLDQ      Z11, Z10, Z13
	VPUNPCKHDQ      Z11, Z10, Z14
	VPADDD          Z14, Z13, Z13
	VPUNPCKLQDQ     Z13, Z12, Z14
	VPUNPCKHQDQ     Z13, Z12, Z15
	VPADDD          Z15, Z14, Z14
	VCVTDQ2PS       Z14, Z14
	SCALES16(Z16)
	VPBROADCASTW    (R10), Y13
	VCVTPH2PS       Y13, Z17
	VMULPS          Z17, Z16, Z16
	VFMADD231PS     Z14, Z16, Z27
	NEXT_ROWS16
	ADDQ $34, R10
	DECQ CX
	JNZ  q4x16dot
	VMOVUPS Z27, (R13)
	VZEROUPPER
	RET
