//go:build !purego

#include "textflag.h"

// The K-quant × Q8_K products in the order of llama.cpp's __AVX2__
// ggml_vec_dot_qN_K_q8_K (x86_kquants.go has the Go version of each). A
// kernel multiplies rows weight rows with T activation rows (T = 1…4, and
// 8 with AVX-512; one kernel per T): for each weight row it walks the
// super-blocks once, unpacks the levels and scales of each 32-element chunk
// into registers and multiplies them with the same chunk of all T tokens,
// so one unpacking serves T tokens. Each token keeps its own lanes, exactly
// as the one-token vec_dot: integer lane t of a super-block sums the
// elements e with e mod 32 in 4t..4t+3 (VPMADDUBSW pairs, VPMADDWD with the
// sub-block scale), and is added to float lane t with one FMA by d = da·dw;
// the lanes are added up as hsum8 at the end of the row.
//
// func kernel(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)
// sets y[i·yStride + r] for r < rows, i < T to the product of the weight row
// at w + r·wStride with the activation row at a + i·aStride, nb super-blocks
// each; rows >= 1.
//
// The tile is one weight row × T tokens: the levels of a chunk (4 to 9
// instructions to unpack) serve T tokens at 3 to 5 instructions each, and
// the T activation rows stay in L1 while the kernel walks the rows (Go's
// kMul runs the tiles over a block of rows that stays in L2). Each token ×
// row of a tile needs two registers of lanes: 4 tokens fill the 16 AVX2
// registers, 8 tokens use 8 of the 16 more that AVX-512 has (batches of
// Q3_K and Q6_K run 15-20% faster than with 4, Q4_K 5%).
//
// Registers of every kernel:
//   SI  weight super-block        CX  super-blocks left    DX  weight row
//   R10 &y[r] (token 0)           AX  scratch              (rows left: ROWS_LEFT)
//   DI R8 R9 R12 R11 R13 R14 BX   activation super-blocks of tokens 0-7
//   Y8-Y11, Y16-Y19   integer lanes of tokens 0-3, 4-7 in the current super-block
//   Y12-Y15, Y20-Y23  float lanes of tokens 0-3, 4-7
//   Y0  the levels' offset (Q3_K, Q6_K)    Y1  scales     Y2  mins
//   Y3  levels of the current chunk   Y4  scratch   Y5  scales of the chunk
//   Y6 Y7  scratch of the token steps  X7  dw (and dmin_w) of the super-block

// EACHn(OP, X, Y) runs OP(X, Y, A, SUMI, ACC, T) for the tokens T < n of
// an n-token kernel, with A the token's activation super-block, SUMI its
// integer lanes and ACC its float lanes. Tokens 4-7 have their lanes in
// Y16-Y23: the instructions that touch them are EVEX-encoded (AVX512F and
// AVX512VL), and the 8-token kernels run only where those exist.
#define EACH1(OP, X, Y) OP(X, Y, DI, Y8, Y12, 0)
#define EACH2(OP, X, Y) EACH1(OP, X, Y); OP(X, Y, R8, Y9, Y13, 1)
#define EACH3(OP, X, Y) EACH2(OP, X, Y); OP(X, Y, R9, Y10, Y14, 2)
#define EACH4(OP, X, Y) EACH3(OP, X, Y); OP(X, Y, R12, Y11, Y15, 3)
#define EACH8(OP, X, Y) \
	EACH4(OP, X, Y); \
	OP(X, Y, R11, Y16, Y20, 4); \
	OP(X, Y, R13, Y17, Y21, 5); \
	OP(X, Y, R14, Y18, Y22, 6); \
	OP(X, Y, BX, Y19, Y23, 7)

// Q8_K super-block: d (float32), 256 levels, 16 sums of 16 levels (int16).
#define Q8K_BYTES 292
#define Q8K_QS 4
#define Q8K_BSUMS 260

// ROWS_BEGIN starts the loop over weight rows (their count at ROWS_LEFT on
// the stack): the pointers to the first super-blocks of the row and of the
// tokens, CX super-blocks.
#define ROWS_LEFT 0(SP)
#define ROWS_BEGIN \
	MOVQ w+0(FP), DX \
	MOVQ y+48(FP), R10 \
	MOVQ rows+16(FP), AX \
	MOVQ AX, ROWS_LEFT \
row: \
	MOVQ DX, SI \
	MOVQ a+24(FP), DI \
	MOVQ aStride+32(FP), AX \
	LEAQ (DI)(AX*1), R8 \
	LEAQ (DI)(AX*2), R9 \
	LEAQ (R8)(AX*2), R12 \
	LEAQ (DI)(AX*4), R11 \
	LEAQ (R8)(AX*4), R13 \
	LEAQ (R9)(AX*4), R14 \
	LEAQ (R12)(AX*4), BX \
	MOVQ nb+40(FP), CX

// BLOCKS(BYTES, BODY, EACH) runs BODY(EACH) for each of the CX super-blocks
// of BYTES weight bytes.
#define BLOCKS(BYTES, BODY, EACH) \
	TESTQ CX, CX \
	JZ blocksDone \
block: \
	BODY(EACH) \
	ADDQ $BYTES, SI \
	EACH(NEXT_BLOCK, 0, 0) \
	DECQ CX \
	JNZ block \
blocksDone:

// ROWS_END moves to the next weight row and output.
#define ROWS_END \
	ADDQ $4, R10 \
	ADDQ wStride+8(FP), DX \
	DECQ ROWS_LEFT \
	JNZ row \
	VZEROUPPER \
	RET

// KERNEL(BYTES, ZERO, BLOCK, STORE, EACH) is a whole kernel: per row,
// EACH(ZERO) clears the tokens' sums, BLOCK(EACH) adds one super-block of
// BYTES weight bytes, EACH(STORE) stores the results.
#define KERNEL(BYTES, ZERO, BLOCK, STORE, EACH) \
	ROWS_BEGIN \
	EACH(ZERO, 0, 0) \
	BLOCKS(BYTES, BLOCK, EACH) \
	EACH(STORE, 0, 0) \
	ROWS_END

// HSUM8 sets X3 to hsum8 of the float lanes (Y5, X4 scratch): the upper
// 128 bits onto the lower, then (v0+v2)+(v1+v3) as _mm_movehl_ps and
// _mm_movehdup_ps. (The copy to Y5 lets VEX instructions do the rest for
// every token.)
#define HSUM8(ACC) \
	VMOVUPS ACC, Y5 \
	VEXTRACTF128 $1, Y5, X3 \
	VADDPS X5, X3, X3 \
	HSUM4(X3, X4)

// HSUM4 sets X to hsum4 of its 4 lanes (TMP scratch).
#define HSUM4(X, TMP) \
	VMOVHLPS X, X, TMP \
	VADDPS TMP, X, X \
	VMOVSHDUP X, TMP \
	VADDSS TMP, X, X

// STORE_X3 stores X3 to y[T·yStride + r].
#define STORE_X3(T) \
	MOVQ yStride+56(FP), AX \
	IMUL3Q $(4*(T)), AX, AX \
	VMOVSS X3, (R10)(AX*1)

// Unpacking. Every chunk of 32 elements has its levels in 32 bytes, one
// per element, put together from bit fields of one or two 32-byte runs of
// the weight block: BITS loads a run, shifts its 16-bit words so that the
// field lands where the level wants it, and masks it byte by byte (which
// also drops what the shift moved in from the neighbouring byte).

#define NONE(R)
#define SHL1(R) VPSLLW $1, R, R
#define SHL2(R) VPSLLW $2, R, R
#define SHL3(R) VPSLLW $3, R, R
#define SHL4(R) VPSLLW $4, R, R
#define SHR1(R) VPSRLW $1, R, R
#define SHR2(R) VPSRLW $2, R, R
#define SHR3(R) VPSRLW $3, R, R
#define SHR4(R) VPSRLW $4, R, R
#define SHR5(R) VPSRLW $5, R, R
#define SHR6(R) VPSRLW $6, R, R

// BITS sets R to the 32 bytes at OFF(SI), shifted by SHIFT, and MASK.
#define BITS(R, OFF, SHIFT, MASK) \
	VMOVDQU (OFF)(SI), R \
	SHIFT(R) \
	VPAND MASK(SB), R, R

// LEVELS sets Y3 to the levels made of a low and a high bit field (Y4
// scratch).
#define LEVELS(LO, LOSHIFT, LOMASK, HI, HISHIFT, HIMASK) \
	BITS(Y3, LO, LOSHIFT, LOMASK) \
	BITS(Y4, HI, HISHIFT, HIMASK) \
	VPOR Y4, Y3, Y3

// SCALE32 sets Y5 to int16 J of both 128-bit lanes of Y1, the scale of
// sub-block J (sub-blocks of 32: Q4_K, Q5_K).
#define SCALE32(J) VPSHUFB k4ScaleShuffle<>+(32*(J))(SB), Y1, Y5

// SCALES16 sets Y5 to the int8 scales 2C and 2C+1 of X1 as int16, one per
// 128-bit lane: the two sub-blocks of 16 of chunk C (Q2_K, Q3_K, Q6_K).
#define SCALES16(C) \
	VPSHUFB k6ScaleShuffle<>+(16*(C))(SB), X1, X5 \
	VPMOVSXBW X5, Y5

// HALVES_X7 sets X7 to the fp16 value(s) at OFF(SI) (MOV loads 2 or 4 bytes):
// dw, or dw and dmin_w.
#define HALVES_X7(MOV, OFF) \
	MOV OFF(SI), AX \
	VMOVD AX, X7 \
	VCVTPH2PS X7, X7

// DMIN sets X6 to da·dmin_w in all 4 lanes, dmin_w in lane 1 of X7. The Go
// code's dmin is its negation: the kernels subtract with VFNMADD, which
// gives the same bits as adding with -dmin.
#define DMIN(A) \
	VBROADCASTSS (A), X6 \
	VMULPS X7, X6, X6 \
	VPERMILPS $0x55, X6, X6

// Token steps (OP of EACHn).

#define NEXT_BLOCK(_, __, A, SUMI, ACC, T) ADDQ $Q8K_BYTES, A
#define ZERO_SUMI(_, __, A, SUMI, ACC, T) VPSUBD SUMI, SUMI, SUMI
#define ZERO_ACC(_, __, A, SUMI, ACC, T) VPSUBD ACC, ACC, ACC

// MADD adds the levels Y3 (unsigned) times the activations at OFF, times
// the int16 scales Y5, to the integer lanes: VPMADDUBSW makes the pairs,
// VPMADDWD the scaled sums of 4.
#define MADD(OFF, __, A, SUMI, ACC, T) \
	VPMADDUBSW (OFF)(A), Y3, Y6 \
	VPMADDWD Y5, Y6, Y6 \
	VPADDD Y6, SUMI, SUMI

// MADD_OFFSET is MADD for the levels Y3 minus the bytes of Y0, which it
// subtracts as llama.cpp does: the pairs of Y0 times the activations.
#define MADD_OFFSET(OFF, __, A, SUMI, ACC, T) \
	VPMADDUBSW (OFF)(A), Y3, Y6 \
	VPMADDUBSW (OFF)(A), Y0, Y7 \
	VPSUBW Y7, Y6, Y6 \
	VPMADDWD Y5, Y6, Y6 \
	VPADDD Y6, SUMI, SUMI

// FMA_D adds the integer lanes to the float lanes with one FMA by d = da·dw,
// dw in X7 (the Go code's fmaLanes).
#define FMA_D(_, __, A, SUMI, ACC, T) \
	VMULSS (A), X7, X6 \
	VBROADCASTSS X6, Y6 \
	VCVTDQ2PS SUMI, SUMI \
	VFMADD231PS SUMI, Y6, ACC

// STORE_HSUM8 stores hsum8 of the float lanes.
#define STORE_HSUM8(_, __, A, SUMI, ACC, T) \
	HSUM8(ACC) \
	STORE_X3(T)

// Q2_K: 84 bytes: 16 bytes of 4-bit scales (low nibble) and mins (high),
// 64 bytes of 2-bit levels (element 128h+32k+l is bits 2k, 2k+1 of
// qs[32h+l]), d and dmin (fp16). Per super-block the mins come first, with
// their own FMA into the float lanes: lane t -= da·dmin_w·(m[2t]·bsum[2t] +
// m[2t+1]·bsum[2t+1]) (VPMADDWD of the mins in Y2 with the bsums).

#define Q2K_CHUNK(C, QS, SHIFT, EACH) \
	BITS(Y3, QS, SHIFT, bytes03<>) \
	SCALES16(C) \
	EACH(MADD, Q8K_QS+32*(C), 0)

#define Q2K_MINS(_, __, A, SUMI, ACC, T) \
	DMIN(A) \
	VBROADCASTSS X6, Y6 \
	VPMADDWD Q8K_BSUMS(A), Y2, Y3 \
	VCVTDQ2PS Y3, Y3 \
	VFNMADD231PS Y3, Y6, ACC

#define Q2K_BLOCK(EACH) \
	VMOVDQU (SI), X1 \
	VPSRLW $4, X1, X2 \
	VPAND bytes0f<>(SB), X2, X2 \
	VPMOVZXBW X2, Y2 \
	VPAND bytes0f<>(SB), X1, X1 \
	EACH(ZERO_SUMI, 0, 0) \
	Q2K_CHUNK(0, 16, NONE, EACH) \
	Q2K_CHUNK(1, 16, SHR2, EACH) \
	Q2K_CHUNK(2, 16, SHR4, EACH) \
	Q2K_CHUNK(3, 16, SHR6, EACH) \
	Q2K_CHUNK(4, 48, NONE, EACH) \
	Q2K_CHUNK(5, 48, SHR2, EACH) \
	Q2K_CHUNK(6, 48, SHR4, EACH) \
	Q2K_CHUNK(7, 48, SHR6, EACH) \
	HALVES_X7(MOVL, 80) \
	EACH(Q2K_MINS, 0, 0) \
	EACH(FMA_D, 0, 0)

TEXT ·q2KMul1(SB), NOSPLIT, $8-64
	KERNEL(84, ZERO_ACC, Q2K_BLOCK, STORE_HSUM8, EACH1)

TEXT ·q2KMul2(SB), NOSPLIT, $8-64
	KERNEL(84, ZERO_ACC, Q2K_BLOCK, STORE_HSUM8, EACH2)

TEXT ·q2KMul3(SB), NOSPLIT, $8-64
	KERNEL(84, ZERO_ACC, Q2K_BLOCK, STORE_HSUM8, EACH3)

TEXT ·q2KMul4(SB), NOSPLIT, $8-64
	KERNEL(84, ZERO_ACC, Q2K_BLOCK, STORE_HSUM8, EACH4)

TEXT ·q2KMul8(SB), NOSPLIT, $8-64
	KERNEL(84, ZERO_ACC, Q2K_BLOCK, STORE_HSUM8, EACH8)

// Q3_K: 110 bytes: hmask (32 bytes), qs (64 bytes of 2-bit fields), 12
// bytes of 6-bit scales, d (fp16). Element 128h+32s+l has bits 2s, 2s+1 of
// qs[32h+l] and bit 4h+s of hmask[l] as its third bit: a level 0..7 minus 4
// (Y0 = 4s). Scale j (sub-blocks of 16) has its low 4 bits in nibble j/8 of
// byte j%8 and its top 2 bits in bits 2(j/4) of byte 8+j%4, minus 32.

#define Q3K_CHUNK(C, QS, QSSHIFT, HMSHIFT, EACH) \
	LEVELS(QS, QSSHIFT, bytes03<>, 0, HMSHIFT, bytes04<>) \
	SCALES16(C) \
	EACH(MADD_OFFSET, Q8K_QS+32*(C), 0)

// Q3K_SCALES sets X1 to the 16 scales (int8): the low nibbles of bytes
// 0-7, then their high nibbles (VPSRLVQ by 0 and 4), each or the 2 bits of
// bytes 8-11 shifted right by 0, 2, 4, 6 for dwords 0-3 (VPSRLVD).
#define Q3K_SCALES \
	VPBROADCASTQ 96(SI), X1 \
	VPSRLVQ q3KLowShift<>(SB), X1, X1 \
	VPAND bytes0f<>(SB), X1, X1 \
	VPBROADCASTD 104(SI), X4 \
	VPSRLVD q3KHighShift<>(SB), X4, X4 \
	VPAND bytes03<>(SB), X4, X4 \
	VPSLLD $4, X4, X4 \
	VPOR X4, X1, X1 \
	VPSUBB bytes20<>(SB), X1, X1

#define Q3K_BLOCK(EACH) \
	Q3K_SCALES \
	EACH(ZERO_SUMI, 0, 0) \
	Q3K_CHUNK(0, 32, NONE, SHL2, EACH) \
	Q3K_CHUNK(1, 32, SHR2, SHL1, EACH) \
	Q3K_CHUNK(2, 32, SHR4, NONE, EACH) \
	Q3K_CHUNK(3, 32, SHR6, SHR1, EACH) \
	Q3K_CHUNK(4, 64, NONE, SHR2, EACH) \
	Q3K_CHUNK(5, 64, SHR2, SHR3, EACH) \
	Q3K_CHUNK(6, 64, SHR4, SHR4, EACH) \
	Q3K_CHUNK(7, 64, SHR6, SHR5, EACH) \
	HALVES_X7(MOVWLZX, 108) \
	EACH(FMA_D, 0, 0)

#define Q3K_KERNEL(EACH) \
	VMOVDQU bytes04<>(SB), Y0 \
	KERNEL(110, ZERO_ACC, Q3K_BLOCK, STORE_HSUM8, EACH)

TEXT ·q3KMul1(SB), NOSPLIT, $8-64
	Q3K_KERNEL(EACH1)

TEXT ·q3KMul2(SB), NOSPLIT, $8-64
	Q3K_KERNEL(EACH2)

TEXT ·q3KMul3(SB), NOSPLIT, $8-64
	Q3K_KERNEL(EACH3)

TEXT ·q3KMul4(SB), NOSPLIT, $8-64
	Q3K_KERNEL(EACH4)

TEXT ·q3KMul8(SB), NOSPLIT, $8-64
	Q3K_KERNEL(EACH8)

// Q4_K and Q5_K: d, dmin (fp16), 12 bytes of 6-bit scales and mins, then
// the levels. Sub-block j (32 elements) of Q4_K has its levels in the low
// (even j) or high (odd j) nibbles of qs[32(j/2):]; Q5_K adds bit j of
// qh[l] as the fifth bit.

// K4_SCALES sets Y1 to the 8 scales as int16 in both 128-bit lanes and X2
// to the 8 mins as int16. The 12 bytes are the dwords u0, u1, u2; as
// llama.cpp's utmp (kmask1-3), scales 0-3 are u0 & 0x3f.., 4-7 are
// u2 & 0x0f.. | (u0 >> 6 & 0x03..) << 4, mins 0-3 u1 & 0x3f.. and 4-7
// u2 >> 4 & 0x0f.. | (u1 >> 6 & 0x03..) << 4: the low parts from the
// dwords u0, u2, u1, u2 >> 4, the high parts from u0 and u1 >> 2.
#define K4_SCALES \
	VMOVDQU 4(SI), X3 \
	VPSHUFD $0x98, X3, X1 \
	VPSRLVD k4ScaleShift<>(SB), X1, X1 \
	VPAND k4ScaleLowMask<>(SB), X1, X1 \
	VPSHUFD $0x50, X3, X3 \
	VPSRLD $2, X3, X3 \
	VPAND k4ScaleHighMask<>(SB), X3, X3 \
	VPOR X3, X1, X1 \
	VPMOVZXBW X1, Y1 \
	VEXTRACTI128 $1, Y1, X2 \
	VPERMQ $0x44, Y1, Y1

// K4_MINS sets X3 to the 4 int32 lanes m[2u]·(bsum[4u]+bsum[4u+1]) +
// m[2u+1]·(bsum[4u+2]+bsum[4u+3]) of the token at A (llama.cpp's
// _mm_hadd_epi16 of the bsums, _mm_madd_epi16 with the mins in MINS).
#define K4_MINS(A, MINS) \
	VMOVDQU Q8K_BSUMS(A), X3 \
	VPHADDW (Q8K_BSUMS+16)(A), X3, X3 \
	VPMADDWD MINS, X3, X3

#define Q4K_CHUNK(J, QS, SHIFT, EACH) \
	BITS(Y3, QS, SHIFT, bytes0f<>) \
	SCALE32(J) \
	EACH(MADD, Q8K_QS+32*(J), 0)

// Q4_K's mins go to 4 lanes of their own per token, accm (on the stack,
// 16 bytes per token): accm -= da·dmin_w·(the lanes of K4_MINS); the row's
// result is hsum8(acc) + hsum4(accm).
#define Q4K_MINS(_, __, A, SUMI, ACC, T) \
	DMIN(A) \
	K4_MINS(A, X2) \
	VCVTDQ2PS X3, X3 \
	VMOVUPS (8+16*(T))(SP), X4 \
	VFNMADD231PS X3, X6, X4 \
	VMOVUPS X4, (8+16*(T))(SP)

#define Q4K_ZERO(_, __, A, SUMI, ACC, T) \
	VPSUBD ACC, ACC, ACC \
	VPXOR X4, X4, X4 \
	VMOVUPS X4, (8+16*(T))(SP)

#define Q4K_STORE(_, __, A, SUMI, ACC, T) \
	HSUM8(ACC) \
	VMOVUPS (8+16*(T))(SP), X4 \
	HSUM4(X4, X5) \
	VADDSS X4, X3, X3 \
	STORE_X3(T)

#define Q4K_BLOCK(EACH) \
	K4_SCALES \
	EACH(ZERO_SUMI, 0, 0) \
	Q4K_CHUNK(0, 16, NONE, EACH) \
	Q4K_CHUNK(1, 16, SHR4, EACH) \
	Q4K_CHUNK(2, 48, NONE, EACH) \
	Q4K_CHUNK(3, 48, SHR4, EACH) \
	Q4K_CHUNK(4, 80, NONE, EACH) \
	Q4K_CHUNK(5, 80, SHR4, EACH) \
	Q4K_CHUNK(6, 112, NONE, EACH) \
	Q4K_CHUNK(7, 112, SHR4, EACH) \
	HALVES_X7(MOVL, 0) \
	EACH(FMA_D, 0, 0) \
	EACH(Q4K_MINS, 0, 0)

TEXT ·q4KMul1(SB), NOSPLIT, $136-64
	KERNEL(144, Q4K_ZERO, Q4K_BLOCK, Q4K_STORE, EACH1)

TEXT ·q4KMul2(SB), NOSPLIT, $136-64
	KERNEL(144, Q4K_ZERO, Q4K_BLOCK, Q4K_STORE, EACH2)

TEXT ·q4KMul3(SB), NOSPLIT, $136-64
	KERNEL(144, Q4K_ZERO, Q4K_BLOCK, Q4K_STORE, EACH3)

TEXT ·q4KMul4(SB), NOSPLIT, $136-64
	KERNEL(144, Q4K_ZERO, Q4K_BLOCK, Q4K_STORE, EACH4)

TEXT ·q4KMul8(SB), NOSPLIT, $136-64
	KERNEL(144, Q4K_ZERO, Q4K_BLOCK, Q4K_STORE, EACH8)

#define Q5K_CHUNK(J, QS, QSSHIFT, QHSHIFT, EACH) \
	LEVELS(QS, QSSHIFT, bytes0f<>, 16, QHSHIFT, bytes10<>) \
	SCALE32(J) \
	EACH(MADD, Q8K_QS+32*(J), 0)

// Q5_K's mins are summed as integers per super-block and added to one
// float32 per token, summs (on the stack, 4 bytes per token): summs -=
// da·dmin_w·isum, an FMA as GCC makes of it; the row's result is
// hsum8(acc) + summs.
#define Q5K_MINS(_, __, A, SUMI, ACC, T) \
	DMIN(A) \
	K4_MINS(A, X2) \
	VPSHUFD $0x4e, X3, X4 \
	VPADDD X4, X3, X3 \
	VPSHUFD $0xb1, X3, X4 \
	VPADDD X4, X3, X3 \
	VCVTDQ2PS X3, X3 \
	VMOVSS (8+4*(T))(SP), X4 \
	VFNMADD231SS X3, X6, X4 \
	VMOVSS X4, (8+4*(T))(SP)

#define Q5K_ZERO(_, __, A, SUMI, ACC, T) \
	VPSUBD ACC, ACC, ACC \
	VPXOR X4, X4, X4 \
	VMOVSS X4, (8+4*(T))(SP)

#define Q5K_STORE(_, __, A, SUMI, ACC, T) \
	HSUM8(ACC) \
	VADDSS (8+4*(T))(SP), X3, X3 \
	STORE_X3(T)

#define Q5K_BLOCK(EACH) \
	K4_SCALES \
	EACH(ZERO_SUMI, 0, 0) \
	Q5K_CHUNK(0, 48, NONE, SHL4, EACH) \
	Q5K_CHUNK(1, 48, SHR4, SHL3, EACH) \
	Q5K_CHUNK(2, 80, NONE, SHL2, EACH) \
	Q5K_CHUNK(3, 80, SHR4, SHL1, EACH) \
	Q5K_CHUNK(4, 112, NONE, NONE, EACH) \
	Q5K_CHUNK(5, 112, SHR4, SHR1, EACH) \
	Q5K_CHUNK(6, 144, NONE, SHR2, EACH) \
	Q5K_CHUNK(7, 144, SHR4, SHR3, EACH) \
	HALVES_X7(MOVL, 0) \
	EACH(FMA_D, 0, 0) \
	EACH(Q5K_MINS, 0, 0)

TEXT ·q5KMul1(SB), NOSPLIT, $40-64
	KERNEL(176, Q5K_ZERO, Q5K_BLOCK, Q5K_STORE, EACH1)

TEXT ·q5KMul2(SB), NOSPLIT, $40-64
	KERNEL(176, Q5K_ZERO, Q5K_BLOCK, Q5K_STORE, EACH2)

TEXT ·q5KMul3(SB), NOSPLIT, $40-64
	KERNEL(176, Q5K_ZERO, Q5K_BLOCK, Q5K_STORE, EACH3)

TEXT ·q5KMul4(SB), NOSPLIT, $40-64
	KERNEL(176, Q5K_ZERO, Q5K_BLOCK, Q5K_STORE, EACH4)

TEXT ·q5KMul8(SB), NOSPLIT, $40-64
	KERNEL(176, Q5K_ZERO, Q5K_BLOCK, Q5K_STORE, EACH8)

// Q6_K: 210 bytes: ql (128 bytes of low nibbles), qh (64 bytes of 2-bit
// fields), 16 int8 scales, d (fp16). Half h (128 elements), l < 32: the low
// nibbles of ql[64h+l] and ql[64h+32+l] are elements 128h+l and +32, their
// high nibbles +64 and +96; bit pairs 0, 2, 4, 6 of qh[32h+l] are the top
// bits of the four: levels 0..63 minus 32 (Y0 = 32s).

#define Q6K_CHUNK(C, QL, QLSHIFT, QH, QHSHIFT, EACH) \
	LEVELS(QL, QLSHIFT, bytes0f<>, QH, QHSHIFT, bytes30<>) \
	SCALES16(C) \
	EACH(MADD_OFFSET, Q8K_QS+32*(C), 0)

#define Q6K_BLOCK(EACH) \
	VMOVDQU 192(SI), X1 \
	EACH(ZERO_SUMI, 0, 0) \
	Q6K_CHUNK(0, 0, NONE, 128, SHL4, EACH) \
	Q6K_CHUNK(1, 32, NONE, 128, SHL2, EACH) \
	Q6K_CHUNK(2, 0, SHR4, 128, NONE, EACH) \
	Q6K_CHUNK(3, 32, SHR4, 128, SHR2, EACH) \
	Q6K_CHUNK(4, 64, NONE, 160, SHL4, EACH) \
	Q6K_CHUNK(5, 96, NONE, 160, SHL2, EACH) \
	Q6K_CHUNK(6, 64, SHR4, 160, NONE, EACH) \
	Q6K_CHUNK(7, 96, SHR4, 160, SHR2, EACH) \
	HALVES_X7(MOVWLZX, 208) \
	EACH(FMA_D, 0, 0)

#define Q6K_KERNEL(EACH) \
	VMOVDQU bytes20<>(SB), Y0 \
	KERNEL(210, ZERO_ACC, Q6K_BLOCK, STORE_HSUM8, EACH)

TEXT ·q6KMul1(SB), NOSPLIT, $8-64
	Q6K_KERNEL(EACH1)

TEXT ·q6KMul2(SB), NOSPLIT, $8-64
	Q6K_KERNEL(EACH2)

TEXT ·q6KMul3(SB), NOSPLIT, $8-64
	Q6K_KERNEL(EACH3)

TEXT ·q6KMul4(SB), NOSPLIT, $8-64
	Q6K_KERNEL(EACH4)

TEXT ·q6KMul8(SB), NOSPLIT, $8-64
	Q6K_KERNEL(EACH8)

// Constants.

#define BYTES32(name, q) \
	DATA name+0(SB)/8, $q \
	DATA name+8(SB)/8, $q \
	DATA name+16(SB)/8, $q \
	DATA name+24(SB)/8, $q \
	GLOBL name(SB), RODATA|NOPTR, $32

BYTES32(bytes03<>, 0x0303030303030303)
BYTES32(bytes04<>, 0x0404040404040404)
BYTES32(bytes0f<>, 0x0f0f0f0f0f0f0f0f)
BYTES32(bytes10<>, 0x1010101010101010)
BYTES32(bytes20<>, 0x2020202020202020)
BYTES32(bytes30<>, 0x3030303030303030)

DATA k4ScaleShift<>+0(SB)/8, $0
DATA k4ScaleShift<>+8(SB)/8, $0x0000000400000000
GLOBL k4ScaleShift<>(SB), RODATA|NOPTR, $16

DATA k4ScaleLowMask<>+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA k4ScaleLowMask<>+8(SB)/8, $0x0f0f0f0f3f3f3f3f
GLOBL k4ScaleLowMask<>(SB), RODATA|NOPTR, $16

DATA k4ScaleHighMask<>+0(SB)/8, $0x3030303000000000
DATA k4ScaleHighMask<>+8(SB)/8, $0x3030303000000000
GLOBL k4ScaleHighMask<>(SB), RODATA|NOPTR, $16

DATA q3KLowShift<>+0(SB)/8, $0
DATA q3KLowShift<>+8(SB)/8, $4
GLOBL q3KLowShift<>(SB), RODATA|NOPTR, $16

DATA q3KHighShift<>+0(SB)/8, $0x0000000200000000
DATA q3KHighShift<>+8(SB)/8, $0x0000000600000004
GLOBL q3KHighShift<>(SB), RODATA|NOPTR, $16

// k4ScaleShuffle: entry j (32 bytes) makes VPSHUFB broadcast int16 j of
// each 128-bit lane.
#define K4_SHUFFLE(j, q) \
	DATA k4ScaleShuffle<>+(32*j)(SB)/8, $q \
	DATA k4ScaleShuffle<>+(32*j+8)(SB)/8, $q \
	DATA k4ScaleShuffle<>+(32*j+16)(SB)/8, $q \
	DATA k4ScaleShuffle<>+(32*j+24)(SB)/8, $q

K4_SHUFFLE(0, 0x0100010001000100)
K4_SHUFFLE(1, 0x0302030203020302)
K4_SHUFFLE(2, 0x0504050405040504)
K4_SHUFFLE(3, 0x0706070607060706)
K4_SHUFFLE(4, 0x0908090809080908)
K4_SHUFFLE(5, 0x0b0a0b0a0b0a0b0a)
K4_SHUFFLE(6, 0x0d0c0d0c0d0c0d0c)
K4_SHUFFLE(7, 0x0f0e0f0e0f0e0f0e)
GLOBL k4ScaleShuffle<>(SB), RODATA|NOPTR, $256

// k6ScaleShuffle: entry c (16 bytes) is 8 times byte 2c, then 8 times byte
// 2c+1.
#define K6_SHUFFLE(c, lo, hi) \
	DATA k6ScaleShuffle<>+(16*c)(SB)/8, $lo \
	DATA k6ScaleShuffle<>+(16*c+8)(SB)/8, $hi

K6_SHUFFLE(0, 0x0000000000000000, 0x0101010101010101)
K6_SHUFFLE(1, 0x0202020202020202, 0x0303030303030303)
K6_SHUFFLE(2, 0x0404040404040404, 0x0505050505050505)
K6_SHUFFLE(3, 0x0606060606060606, 0x0707070707070707)
K6_SHUFFLE(4, 0x0808080808080808, 0x0909090909090909)
K6_SHUFFLE(5, 0x0a0a0a0a0a0a0a0a, 0x0b0b0b0b0b0b0b0b)
K6_SHUFFLE(6, 0x0c0c0c0c0c0c0c0c, 0x0d0d0d0d0d0d0d0d)
K6_SHUFFLE(7, 0x0e0e0e0e0e0e0e0e, 0x0f0f0f0f0f0f0f0f)
GLOBL k6ScaleShuffle<>(SB), RODATA|NOPTR, $128

// One-token kernels for Q4_K and Q6_K with AVX-512 F, BW, VL and VNNI
// (decoding, where the one-token AVX2 kernels above run out of
// instructions before the memory runs out of bytes: ~16 GB/s). They keep the lanes of the AVX2
// kernels but unpack two chunks of 32 elements at once into the two
// 256-bit halves of a ZMM register, and VPDPWSSD does VPMADDWD and VPADDD
// in one: the halves' integer lanes are added at the end of the
// super-block, which changes no bit (integer sums are exact). Each
// super-block also prefetches the weights DECODE_AHEAD bytes ahead (the
// rows follow each other in memory), which the hardware prefetchers alone
// fetch too late.
//
// Registers: SI weight super-block, DI activation super-block, CX
// super-blocks left, DX weight row, R10 &y[r], BX rows left; Z8 the super-block's integer
// lanes (two halves, and Z11 for the second half of the chunks), Y12 the
// float lanes; Z15 the Q4_K scales; Z0 and Z20-Z29 constants.

#define DECODE_AHEAD 2048

// PAIR_MADD(OFF, MADDWD, SUM) sets (VPMADDWD) or adds to (VPDPWSSD) SUM
// the levels Z3 times the 64 activations at OFF(DI), times the int16
// scales Z5. The pairs of a super-block go to two sums, Z8 and Z11, so that
// each chain of its integer parts is short.
#define PAIR_MADD(OFF, MADDWD, SUM) \
	VPMADDUBSW OFF(DI), Z3, Z6 \
	MADDWD Z5, Z6, SUM

// PAIR_MADD_OFFSET is PAIR_MADD for the levels Z3 minus the bytes of Z0.
#define PAIR_MADD_OFFSET(OFF, MADDWD, SUM) \
	VPMADDUBSW OFF(DI), Z3, Z6 \
	VPMADDUBSW OFF(DI), Z0, Z7 \
	VPSUBW Z7, Z6, Z6 \
	MADDWD Z5, Z6, SUM

// DECODE_FMA_D adds Z8, Z11 and the two halves of the sum, and then them
// to the float lanes Y12 as FMA_D.
#define DECODE_FMA_D \
	VPADDD Z11, Z8, Z8 \
	VEXTRACTI64X4 $1, Z8, Y9 \
	VPADDD Y9, Y8, Y8 \
	FMA_D(0, 0, DI, Y8, Y12, 0)

// PREFETCH3 and PREFETCH4 prefetch the 3 or 4 cache lines a super-block of
// up to 192 or 256 bytes can touch, DECODE_AHEAD bytes ahead.
#define PREFETCH3 \
	PREFETCHT0 DECODE_AHEAD(SI) \
	PREFETCHT0 (DECODE_AHEAD+64)(SI) \
	PREFETCHT0 (DECODE_AHEAD+128)(SI)
#define PREFETCH4 \
	PREFETCH3 \
	PREFETCHT0 (DECODE_AHEAD+192)(SI)

// DECODE_ROWS(BYTES, PREFETCH, ZERO, BLOCK, STORE) is a one-token kernel:
// per row, ZERO clears the sums, BLOCK adds one super-block of BYTES weight
// bytes (after PREFETCH), STORE stores the result.
#define DECODE_ROWS(BYTES, PREFETCH, ZERO, BLOCK, STORE) \
	MOVQ w+0(FP), DX \
	MOVQ y+48(FP), R10 \
	MOVQ rows+16(FP), BX \
row: \
	MOVQ DX, SI \
	MOVQ a+24(FP), DI \
	MOVQ nb+40(FP), CX \
	ZERO \
	TESTQ CX, CX \
	JZ blocksDone \
block: \
	PREFETCH \
	BLOCK \
	ADDQ $BYTES, SI \
	ADDQ $Q8K_BYTES, DI \
	DECQ CX \
	JNZ block \
blocksDone: \
	STORE \
	ADDQ $4, R10 \
	ADDQ wStride+8(FP), DX \
	DECQ BX \
	JNZ row \
	VZEROUPPER \
	RET

// Q4_K: pair p is the 32 bytes of qs at 16+32p, low nibbles (sub-block 2p)
// in the low half, high nibbles (2p+1) in the high half (VPSRLVW by 0 and
// 4, Z27). Z15 has the scales (the high lane of Y1) in all four 128-bit
// lanes, from which VPSHUFB with Z20-Z23 puts scale 2p in the low half of
// Z5, 2p+1 in the high one. The mins go to X13 as Q4K_MINS.
#define Q4KD_PAIR(P, SCALES, MADDWD, SUM) \
	VBROADCASTI64X4 (16+32*(P))(SI), Z3 \
	VPSRLVW Z27, Z3, Z3 \
	VPANDD Z26, Z3, Z3 \
	VPSHUFB SCALES, Z15, Z5 \
	PAIR_MADD(Q8K_QS+64*(P), MADDWD, SUM)

// K4D_SCALES sets Y1 to the 8 mins (low lane, for K4_MINS) and the 8
// scales (high lane) as int16, as K4_SCALES: VPSHUFB puts the byte
// of the low bits of each in the low byte of its word and the byte of the
// top bits in the high byte, from which the shifts and masks take them.
#define K4D_SCALES \
	VBROADCASTI128 4(SI), Y3 \
	VPSHUFB k4DecodeScalesShuffle<>(SB), Y3, Y3 \
	VPSRLVW k4DecodeScalesShift<>(SB), Y3, Y1 \
	VPAND k4DecodeScalesLowMask<>(SB), Y1, Y1 \
	VPSRLW $10, Y3, Y3 \
	VPTERNLOGD $0xf8, k4DecodeScalesHighMask<>(SB), Y3, Y1

#define Q4KD_BLOCK \
	K4D_SCALES \
	VSHUFI32X4 $0x55, Z1, Z1, Z15 \
	Q4KD_PAIR(0, Z20, VPMADDWD, Z8) \
	Q4KD_PAIR(1, Z21, VPDPWSSD, Z8) \
	Q4KD_PAIR(2, Z22, VPMADDWD, Z11) \
	Q4KD_PAIR(3, Z23, VPDPWSSD, Z11) \
	HALVES_X7(MOVL, 0) \
	DECODE_FMA_D \
	DMIN(DI) \
	K4_MINS(DI, X1) \
	VCVTDQ2PS X3, X3 \
	VFNMADD231PS X3, X6, X13

#define Q4KD_ZERO \
	VPXOR Y12, Y12, Y12 \
	VPXOR X13, X13, X13

#define Q4KD_STORE \
	HSUM8(Y12) \
	HSUM4(X13, X4) \
	VADDSS X13, X3, X3 \
	VMOVSS X3, (R10)

// func q4KDecode(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q4KDecode(SB), NOSPLIT, $0-64
	VMOVDQU64 q4KDecodeScales<>+0(SB), Z20
	VMOVDQU64 q4KDecodeScales<>+64(SB), Z21
	VMOVDQU64 q4KDecodeScales<>+128(SB), Z22
	VMOVDQU64 q4KDecodeScales<>+192(SB), Z23
	VPBROADCASTD bytes0f<>(SB), Z26
	VMOVDQU64 q4KDecodeShift<>(SB), Z27
	DECODE_ROWS(144, PREFETCH3, Q4KD_ZERO, Q4KD_BLOCK, Q4KD_STORE)

// Q6_K: half h has its low nibbles in the 64 bytes of ql at 64h (Z2: the
// low nibbles are chunks 4h, 4h+1, the high ones 4h+2, 4h+3) and its top
// bits in the 32 bytes of qh at 128+32h (Z10), moved to bits 4-5 by
// VPSLLVW by 4 and 2 (Z24) or VPSRLVW by 0 and 2 (Z25); VPTERNLOGD ors
// them in under the mask 0x30 (Z29). VPERMW with Z20-Z23 puts the scales of
// the four sub-blocks of 16 of a pair in its four 128-bit lanes.
#define Q6KD_PAIR(H, P, QL, SHIFTQH, QHSHIFTS, SCALES, MADDWD, SUM) \
	QL \
	SHIFTQH QHSHIFTS, Z10, Z4 \
	VPTERNLOGD $0xf8, Z29, Z4, Z3 \
	VPERMW Z1, SCALES, Z5 \
	PAIR_MADD_OFFSET(Q8K_QS+128*(H)+64*(P), MADDWD, SUM)

// Q6KD_LOW and Q6KD_HIGH set Z3 to the low and high nibbles of Z2.
#define Q6KD_LOW VPANDD Z28, Z2, Z3
#define Q6KD_HIGH \
	VPSRLW $4, Z2, Z3 \
	VPANDD Z28, Z3, Z3

#define Q6KD_HALF(H, SCALES0, SCALES1, SUM) \
	VMOVDQU64 (64*(H))(SI), Z2 \
	VBROADCASTI64X4 (128+32*(H))(SI), Z10 \
	Q6KD_PAIR(H, 0, Q6KD_LOW, VPSLLVW, Z24, SCALES0, VPMADDWD, SUM) \
	Q6KD_PAIR(H, 1, Q6KD_HIGH, VPSRLVW, Z25, SCALES1, VPDPWSSD, SUM)

#define Q6KD_BLOCK \
	VPMOVSXBW 192(SI), Y1 \
	Q6KD_HALF(0, Z20, Z21, Z8) \
	Q6KD_HALF(1, Z22, Z23, Z11) \
	HALVES_X7(MOVWLZX, 208) \
	DECODE_FMA_D

#define Q6KD_ZERO VPXOR Y12, Y12, Y12

#define Q6KD_STORE \
	HSUM8(Y12) \
	VMOVSS X3, (R10)

// func q6KDecode(w *byte, wStride, rows int, a *byte, aStride, nb int, y *float32, yStride int)
TEXT ·q6KDecode(SB), NOSPLIT, $0-64
	VMOVDQU64 q6KDecodeScales<>+0(SB), Z20
	VMOVDQU64 q6KDecodeScales<>+64(SB), Z21
	VMOVDQU64 q6KDecodeScales<>+128(SB), Z22
	VMOVDQU64 q6KDecodeScales<>+192(SB), Z23
	VMOVDQU64 q6KDecodeLeft<>(SB), Z24
	VMOVDQU64 q6KDecodeRight<>(SB), Z25
	VPBROADCASTD bytes0f<>(SB), Z28
	VPBROADCASTD bytes30<>(SB), Z29
	VPBROADCASTD bytes20<>(SB), Z0
	DECODE_ROWS(210, PREFETCH4, Q6KD_ZERO, Q6KD_BLOCK, Q6KD_STORE)

// WORDS4(name, off, w0, w1, w2, w3) sets the 64 bytes at name+off to the
// int16 w0, w1, w2, w3, 8 times each (one per 128-bit lane).
#define WORDS4(name, off, w0, w1, w2, w3) \
	DATA name+(off)(SB)/8, $(0x0001000100010001*(w0)) \
	DATA name+(off+8)(SB)/8, $(0x0001000100010001*(w0)) \
	DATA name+(off+16)(SB)/8, $(0x0001000100010001*(w1)) \
	DATA name+(off+24)(SB)/8, $(0x0001000100010001*(w1)) \
	DATA name+(off+32)(SB)/8, $(0x0001000100010001*(w2)) \
	DATA name+(off+40)(SB)/8, $(0x0001000100010001*(w2)) \
	DATA name+(off+48)(SB)/8, $(0x0001000100010001*(w3)) \
	DATA name+(off+56)(SB)/8, $(0x0001000100010001*(w3))

WORDS4(q4KDecodeShift<>, 0, 0, 0, 4, 4)
GLOBL q4KDecodeShift<>(SB), RODATA|NOPTR, $64

// q4KDecodeScales: entry p (64 bytes) makes VPSHUFB broadcast int16 2p of
// each 128-bit lane to the low half of a ZMM register, 2p+1 to the high one.
DATA q4KDecodeScales<>+0(SB)/8, $0x0100010001000100
DATA q4KDecodeScales<>+8(SB)/8, $0x0100010001000100
DATA q4KDecodeScales<>+16(SB)/8, $0x0100010001000100
DATA q4KDecodeScales<>+24(SB)/8, $0x0100010001000100
DATA q4KDecodeScales<>+32(SB)/8, $0x0302030203020302
DATA q4KDecodeScales<>+40(SB)/8, $0x0302030203020302
DATA q4KDecodeScales<>+48(SB)/8, $0x0302030203020302
DATA q4KDecodeScales<>+56(SB)/8, $0x0302030203020302
DATA q4KDecodeScales<>+64(SB)/8, $0x0504050405040504
DATA q4KDecodeScales<>+72(SB)/8, $0x0504050405040504
DATA q4KDecodeScales<>+80(SB)/8, $0x0504050405040504
DATA q4KDecodeScales<>+88(SB)/8, $0x0504050405040504
DATA q4KDecodeScales<>+96(SB)/8, $0x0706070607060706
DATA q4KDecodeScales<>+104(SB)/8, $0x0706070607060706
DATA q4KDecodeScales<>+112(SB)/8, $0x0706070607060706
DATA q4KDecodeScales<>+120(SB)/8, $0x0706070607060706
DATA q4KDecodeScales<>+128(SB)/8, $0x0908090809080908
DATA q4KDecodeScales<>+136(SB)/8, $0x0908090809080908
DATA q4KDecodeScales<>+144(SB)/8, $0x0908090809080908
DATA q4KDecodeScales<>+152(SB)/8, $0x0908090809080908
DATA q4KDecodeScales<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4KDecodeScales<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4KDecodeScales<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4KDecodeScales<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA q4KDecodeScales<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4KDecodeScales<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4KDecodeScales<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4KDecodeScales<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA q4KDecodeScales<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4KDecodeScales<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4KDecodeScales<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA q4KDecodeScales<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL q4KDecodeScales<>(SB), RODATA|NOPTR, $256

WORDS4(q6KDecodeLeft<>, 0, 4, 4, 2, 2)
GLOBL q6KDecodeLeft<>(SB), RODATA|NOPTR, $64

WORDS4(q6KDecodeRight<>, 0, 0, 0, 2, 2)
GLOBL q6KDecodeRight<>(SB), RODATA|NOPTR, $64

// Pair p of half h: chunks 4h+2p, 4h+2p+1, the scales 8h+4p … 8h+4p+3.
WORDS4(q6KDecodeScales<>, 0, 0, 1, 2, 3)
WORDS4(q6KDecodeScales<>, 64, 4, 5, 6, 7)
WORDS4(q6KDecodeScales<>, 128, 8, 9, 10, 11)
WORDS4(q6KDecodeScales<>, 192, 12, 13, 14, 15)
GLOBL q6KDecodeScales<>(SB), RODATA|NOPTR, $256

// k4DecodeScales* make K4D_SCALES: per word of mins 0-7 (low lane) and
// scales 0-7 (high lane), the byte with the low bits and the one with the top
// two (or 0x80: none), the shift and mask of the low bits, the mask 0x30 of
// the top bits.
DATA k4DecodeScalesShuffle<>+0(SB)/8, $0x8007800680058004
DATA k4DecodeScalesShuffle<>+8(SB)/8, $0x070b060a05090408
DATA k4DecodeScalesShuffle<>+16(SB)/8, $0x8003800280018000
DATA k4DecodeScalesShuffle<>+24(SB)/8, $0x030b020a01090008
GLOBL k4DecodeScalesShuffle<>(SB), RODATA|NOPTR, $32
DATA k4DecodeScalesShift<>+0(SB)/8, $0x0000000000000000
DATA k4DecodeScalesShift<>+8(SB)/8, $0x0004000400040004
DATA k4DecodeScalesShift<>+16(SB)/8, $0x0000000000000000
DATA k4DecodeScalesShift<>+24(SB)/8, $0x0000000000000000
GLOBL k4DecodeScalesShift<>(SB), RODATA|NOPTR, $32
DATA k4DecodeScalesLowMask<>+0(SB)/8, $0x003f003f003f003f
DATA k4DecodeScalesLowMask<>+8(SB)/8, $0x000f000f000f000f
DATA k4DecodeScalesLowMask<>+16(SB)/8, $0x003f003f003f003f
DATA k4DecodeScalesLowMask<>+24(SB)/8, $0x000f000f000f000f
GLOBL k4DecodeScalesLowMask<>(SB), RODATA|NOPTR, $32
DATA k4DecodeScalesHighMask<>+0(SB)/8, $0x0000000000000000
DATA k4DecodeScalesHighMask<>+8(SB)/8, $0x0030003000300030
DATA k4DecodeScalesHighMask<>+16(SB)/8, $0x0000000000000000
DATA k4DecodeScalesHighMask<>+24(SB)/8, $0x0030003000300030
GLOBL k4DecodeScalesHighMask<>(SB), RODATA|NOPTR, $32
