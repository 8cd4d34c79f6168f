//go:build !purego

#include "textflag.h"

// The float weight types' products of x86_float.go in AVX2 with FMA and
// F16C. llama.cpp's 16-lane AVX-512 accumulators are two YMM registers
// here, lanes 0-7 and 8-15: lanes are independent, so the sums are the
// same as long as each element goes to its lane and the lanes are added
// in reduce16's tree.

DATA hiHalf<>+0(SB)/4, $0xffff0000
GLOBL hiHalf<>(SB), RODATA|NOPTR, $4

// REDUCE16(lo, hi, t) leaves reduce16 of the 16 lanes lo (0-7) and hi
// (8-15) in the lowest lane of lo: t = hi+lo, then its upper 128 bits onto
// the lower, then (u0+u2) + (u1+u3). t is a scratch register (X form).
#define REDUCE16(lo, hi, xlo, xt) \
	VADDPS       hi, lo, lo \
	VEXTRACTF128 $1, lo, xt \
	VADDPS       xt, xlo, xlo \
	VMOVHLPS     xlo, xlo, xt \
	VADDPS       xt, xlo, xlo \
	VMOVSHDUP    xlo, xt \
	VADDSS       xt, xlo, xlo

// REDUCE64 leaves reduce64 of the 64 lanes Y0…Y7 (8 each, in order) in the
// lowest lane of X0: x = (acc[i]+acc[32+i]) + (acc[16+i]+acc[48+i]) for
// lanes 0-7 (Y0, Y4, Y2, Y6) and 8-15 (Y1, Y5, Y3, Y7), then reduce16.
#define REDUCE64 \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y2, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y7, Y3, Y3 \
	VADDPS Y3, Y1, Y1 \
	REDUCE16(Y0, Y1, X0, X8)

// func dotF16Vec(w, a []byte, n int) float32
//
// vecDotF16 (ggml_vec_dot_f16): the leading multiple of 64 elements into
// 64 lanes (Y0…Y7) with FMAs, which add the exact products of two halves
// as vecDotF16's float32 adds do; reduce64; the rest in float64.
TEXT ·dotF16Vec(SB), NOSPLIT, $0-60
	MOVQ w_base+0(FP), SI
	MOVQ a_base+24(FP), DI
	MOVQ n+48(FP), CX
	MOVQ CX, DX
	ANDQ $63, DX  // tail
	SHRQ $6, CX   // steps of 64
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

f16vloop:
	TESTQ CX, CX
	JZ    f16vreduce
	VCVTPH2PS 0(SI), Y8
	VCVTPH2PS 0(DI), Y9
	VCVTPH2PS 16(SI), Y10
	VCVTPH2PS 16(DI), Y11
	VFMADD231PS Y9, Y8, Y0
	VFMADD231PS Y11, Y10, Y1
	VCVTPH2PS 32(SI), Y12
	VCVTPH2PS 32(DI), Y13
	VCVTPH2PS 48(SI), Y14
	VCVTPH2PS 48(DI), Y15
	VFMADD231PS Y13, Y12, Y2
	VFMADD231PS Y15, Y14, Y3
	VCVTPH2PS 64(SI), Y8
	VCVTPH2PS 64(DI), Y9
	VCVTPH2PS 80(SI), Y10
	VCVTPH2PS 80(DI), Y11
	VFMADD231PS Y9, Y8, Y4
	VFMADD231PS Y11, Y10, Y5
	VCVTPH2PS 96(SI), Y12
	VCVTPH2PS 96(DI), Y13
	VCVTPH2PS 112(SI), Y14
	VCVTPH2PS 112(DI), Y15
	VFMADD231PS Y13, Y12, Y6
	VFMADD231PS Y15, Y14, Y7
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JMP  f16vloop

f16vreduce:
	REDUCE64
	VCVTSS2SD X0, X0, X0

f16vtail:
	TESTQ DX, DX
	JZ    f16vdone
	MOVWLZX (SI), AX
	MOVWLZX (DI), BX
	VMOVD   AX, X1
	VMOVD   BX, X2
	VCVTPH2PS X1, X1
	VCVTPH2PS X2, X2
	VMULSS    X2, X1, X1
	VCVTSS2SD X1, X1, X1
	VADDSD    X1, X0, X0
	ADDQ $2, SI
	ADDQ $2, DI
	DECQ DX
	JMP  f16vtail

f16vdone:
	VCVTSD2SS X0, X0, X0
	VMOVSS    X0, ret+56(FP)
	VZEROUPPER
	RET

// func dotF32Vec(w, a []byte, n int) float32
//
// vecDotF32 (ggml_vec_dot_f32): the leading multiple of 64 into 64 FMA
// lanes, reduce64; then, as GCC compiles the remainder loop, products
// rounded and added one by one while 8 or more elements remain, and fused
// into scalar FMAs for the last 0-7.
TEXT ·dotF32Vec(SB), NOSPLIT, $0-60
	MOVQ w_base+0(FP), SI
	MOVQ a_base+24(FP), DI
	MOVQ n+48(FP), CX
	MOVQ CX, DX
	ANDQ $63, DX
	SHRQ $6, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

f32vloop:
	TESTQ CX, CX
	JZ    f32vreduce
	VMOVUPS 0(SI), Y8
	VMOVUPS 32(SI), Y9
	VMOVUPS 64(SI), Y10
	VMOVUPS 96(SI), Y11
	VFMADD231PS 0(DI), Y8, Y0
	VFMADD231PS 32(DI), Y9, Y1
	VFMADD231PS 64(DI), Y10, Y2
	VFMADD231PS 96(DI), Y11, Y3
	VMOVUPS 128(SI), Y12
	VMOVUPS 160(SI), Y13
	VMOVUPS 192(SI), Y14
	VMOVUPS 224(SI), Y15
	VFMADD231PS 128(DI), Y12, Y4
	VFMADD231PS 160(DI), Y13, Y5
	VFMADD231PS 192(DI), Y14, Y6
	VFMADD231PS 224(DI), Y15, Y7
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ CX
	JMP  f32vloop

f32vreduce:
	REDUCE64
	MOVQ DX, CX
	ANDQ $7, DX  // fused
	SHRQ $3, CX  // groups of 8 rounded products

f32vmuls:
	TESTQ CX, CX
	JZ    f32vfmas
	VMOVSS 0(SI), X1
	VMULSS 0(DI), X1, X1
	VADDSS X1, X0, X0
	VMOVSS 4(SI), X1
	VMULSS 4(DI), X1, X1
	VADDSS X1, X0, X0
	VMOVSS 8(SI), X1
	VMULSS 8(DI), X1, X1
	VADDSS X1, X0, X0
	VMOVSS 12(SI), X1
	VMULSS 12(DI), X1, X1
	VADDSS X1, X0, X0
	VMOVSS 16(SI), X1
	VMULSS 16(DI), X1, X1
	VADDSS X1, X0, X0
	VMOVSS 20(SI), X1
	VMULSS 20(DI), X1, X1
	VADDSS X1, X0, X0
	VMOVSS 24(SI), X1
	VMULSS 24(DI), X1, X1
	VADDSS X1, X0, X0
	VMOVSS 28(SI), X1
	VMULSS 28(DI), X1, X1
	VADDSS X1, X0, X0
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JMP  f32vmuls

f32vfmas:
	TESTQ DX, DX
	JZ    f32vdone
	VMOVSS 0(SI), X1
	VFMADD231SS 0(DI), X1, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ DX
	JMP  f32vfmas

f32vdone:
	VMOVSS X0, ret+56(FP)
	VZEROUPPER
	RET

// BF16_HALVES(m, hi, lo) splits 8 pairs of BF16 values at m into the
// float32 values of the odd (hi) and even (lo) elements.
#define BF16_HALVES(m, hi, lo, mask) \
	VPAND  m, mask, hi \
	VPSLLD $16, m, lo

// DPBF16(acc, wh, wl, ah, al, t) is VDPBF16PS on 8 lanes as dpbf16:
// acc = (acc + wh·ah) + wl·al, each product rounded (exact unless it
// under- or overflows) and each sum rounded.
#define DPBF16(acc, wh, wl, ah, al, t) \
	VMULPS wh, ah, t \
	VADDPS t, acc, acc \
	VMULPS wl, al, t \
	VADDPS t, acc, acc

// BF16_STEP(off, c) adds the 16 pairs at off(SI), off(DI) to the 16 lanes
// c (lanes 0-7 from the first 32 bytes, 8-15 from the next) of vecDotBF16.
#define BF16_STEP(off, clo, chi) \
	VMOVDQU off(SI), Y8 \
	VMOVDQU off(DI), Y9 \
	BF16_HALVES(Y8, Y10, Y11, Y15) \
	BF16_HALVES(Y9, Y12, Y13, Y15) \
	DPBF16(clo, Y10, Y11, Y12, Y13, Y14) \
	VMOVDQU off+32(SI), Y8 \
	VMOVDQU off+32(DI), Y9 \
	BF16_HALVES(Y8, Y10, Y11, Y15) \
	BF16_HALVES(Y9, Y12, Y13, Y15) \
	DPBF16(chi, Y10, Y11, Y12, Y13, Y14)

// func dotBF16Vec(w, a []byte, n int) float32
//
// vecDotBF16 (ggml_vec_dot_bf16 with AVX512_BF16): per 64 elements one
// VDPBF16PS into c1 (Y0, Y1) and one into c2 (Y2, Y3), emulated (VDPBF16PS
// would flush subnormals, which vecDotBF16 does not); reduce16 of each,
// added in float64 with the remaining products.
TEXT ·dotBF16Vec(SB), NOSPLIT, $0-60
	MOVQ w_base+0(FP), SI
	MOVQ a_base+24(FP), DI
	MOVQ n+48(FP), CX
	MOVQ CX, DX
	ANDQ $63, DX
	SHRQ $6, CX
	VPBROADCASTD hiHalf<>(SB), Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

bf16vloop:
	TESTQ CX, CX
	JZ    bf16vreduce
	BF16_STEP(0, Y0, Y1)
	BF16_STEP(64, Y2, Y3)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JMP  bf16vloop

bf16vreduce:
	REDUCE16(Y0, Y1, X0, X8)
	REDUCE16(Y2, Y3, X2, X8)
	VCVTSS2SD X0, X0, X0
	VCVTSS2SD X2, X2, X2
	VADDSD    X2, X0, X0

bf16vtail:
	TESTQ DX, DX
	JZ    bf16vdone
	MOVWLZX (SI), AX
	MOVWLZX (DI), BX
	SHLL    $16, AX
	SHLL    $16, BX
	VMOVD   AX, X1
	VMOVD   BX, X2
	VMULSS    X2, X1, X1
	VCVTSS2SD X1, X1, X1
	VADDSD    X1, X0, X0
	ADDQ $2, SI
	ADDQ $2, DI
	DECQ DX
	JMP  bf16vtail

bf16vdone:
	VCVTSD2SS X0, X0, X0
	VMOVSS    X0, ret+56(FP)
	VZEROUPPER
	RET

// The tinyBLAS orders (gemmF16, gemmF32, gemmBF16) as tiles: two weight
// rows times two or three tokens, every output in 16 lanes (two YMM
// accumulators), so that each weight vector loaded serves every token of
// the tile and each activation vector both rows. The tile is as large as
// 16 registers allow. Each func(w *[4]*byte, a *[6]*byte, n int,
// y *[24]float32) sets y[6r+t] to the product of row w[r] and token a[t]
// (n elements, a multiple of 16, or of 32 for BF16) for the r and t of
// its tile; it does not read the other pointers.

// STORE_TILE_OUTPUT reduces the accumulators lo, hi and stores the result
// at off(DX).
#define STORE_TILE_OUTPUT(lo, hi, xlo, off) \
	REDUCE16(lo, hi, xlo, X15) \
	VMOVSS xlo, off(DX)

// LOAD_TILE_POINTERS loads w[0], w[1] (w in AX) into R8, R9 and a[0],
// a[1], a[2] (a in BX) into R10, R11, R12.
#define LOAD_TILE_POINTERS \
	MOVQ 0(AX), R8 \
	MOVQ 8(AX), R9 \
	MOVQ 0(BX), R10 \
	MOVQ 8(BX), R11 \
	MOVQ 16(BX), R12 // a[2]: not read by the 2×2 tile, nor dereferenced

#define ZERO_12 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11

// TILE_2x3_HALF does 8 lanes (h = 0 for lanes 0-7, 1 for 8-15) of one
// 16-element step of a 2×3 tile: w0, w1 (Y12, Y13) and each token's
// vector (Y14) loaded by LOAD(off, reg) and widened; the accumulator of
// row r, token t, lanes h is Y(6r+2t+h).
#define TILE_2x3_HALF(LOAD, off, acc00, acc01, acc02, acc10, acc11, acc12) \
	LOAD(off(R8), Y12) \
	LOAD(off(R9), Y13) \
	LOAD(off(R10), Y14) \
	VFMADD231PS Y14, Y12, acc00 \
	VFMADD231PS Y14, Y13, acc10 \
	LOAD(off(R11), Y14) \
	VFMADD231PS Y14, Y12, acc01 \
	VFMADD231PS Y14, Y13, acc11 \
	LOAD(off(R12), Y14) \
	VFMADD231PS Y14, Y12, acc02 \
	VFMADD231PS Y14, Y13, acc12

#define STORE_TILE_2x3 \
	STORE_TILE_OUTPUT(Y0, Y1, X0, 0) \
	STORE_TILE_OUTPUT(Y2, Y3, X2, 4) \
	STORE_TILE_OUTPUT(Y4, Y5, X4, 8) \
	STORE_TILE_OUTPUT(Y6, Y7, X6, 24) \
	STORE_TILE_OUTPUT(Y8, Y9, X8, 28) \
	STORE_TILE_OUTPUT(Y10, Y11, X10, 32)

#define LOAD_F16(m, r) VCVTPH2PS m, r
#define LOAD_F32(m, r) VMOVUPS m, r

// func gemmF16Tile(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)
//
// gemmF16 (tinyBLAS<16> on F16): element i of every 16 to lane i with an
// FMA (exact products: the same as gemmF16's adds), then reduce16.
TEXT ·gemmF16Tile(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), AX
	MOVQ a+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ y+24(FP), DX
	LOAD_TILE_POINTERS
	SHRQ $4, CX
	ZERO_12

gf16loop:
	TESTQ CX, CX
	JZ    gf16done
	TILE_2x3_HALF(LOAD_F16, 0, Y0, Y2, Y4, Y6, Y8, Y10)
	TILE_2x3_HALF(LOAD_F16, 16, Y1, Y3, Y5, Y7, Y9, Y11)
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	DECQ CX
	JMP  gf16loop

gf16done:
	STORE_TILE_2x3
	VZEROUPPER
	RET

// func gemmF32Tile(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)
//
// gemmF32 (tinyBLAS<16> on F32): element i of every 16 to lane i with an
// FMA, then reduce16.
TEXT ·gemmF32Tile(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), AX
	MOVQ a+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ y+24(FP), DX
	LOAD_TILE_POINTERS
	SHRQ $4, CX
	ZERO_12

gf32loop:
	TESTQ CX, CX
	JZ    gf32done
	TILE_2x3_HALF(LOAD_F32, 0, Y0, Y2, Y4, Y6, Y8, Y10)
	TILE_2x3_HALF(LOAD_F32, 32, Y1, Y3, Y5, Y7, Y9, Y11)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ CX
	JMP  gf32loop

gf32done:
	STORE_TILE_2x3
	VZEROUPPER
	RET

// TILE_BF16_HALF does 8 lanes (8 pairs, 32 bytes at off) of one 32-element
// step of a 2×2 BF16 tile: row r, token t into acc(r,t); the rows' halves
// in Y8-Y11, the token's in Y12, Y13, products in Y14.
#define TILE_BF16_HALF(off, acc00, acc01, acc10, acc11) \
	VMOVDQU off(R8), Y14 \
	BF16_HALVES(Y14, Y8, Y9, Y15) \
	VMOVDQU off(R9), Y14 \
	BF16_HALVES(Y14, Y10, Y11, Y15) \
	VMOVDQU off(R10), Y14 \
	BF16_HALVES(Y14, Y12, Y13, Y15) \
	DPBF16(acc00, Y8, Y9, Y12, Y13, Y14) \
	DPBF16(acc10, Y10, Y11, Y12, Y13, Y14) \
	VMOVDQU off(R11), Y14 \
	BF16_HALVES(Y14, Y12, Y13, Y15) \
	DPBF16(acc01, Y8, Y9, Y12, Y13, Y14) \
	DPBF16(acc11, Y10, Y11, Y12, Y13, Y14)

// func gemmBF16Tile(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)
//
// gemmBF16 (tinyBLAS<32> with VDPBF16PS, emulated as in dotBF16Vec): 32
// elements per step into 16 lanes, then reduce16. A 2×2 tile (a[2] is not
// read; y[2] and y[5] are not written): the split into odd and even
// elements takes four registers more than the FMA tiles.
TEXT ·gemmBF16Tile(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), AX
	MOVQ a+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ y+24(FP), DX
	LOAD_TILE_POINTERS
	SHRQ $5, CX
	VPBROADCASTD hiHalf<>(SB), Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

gbf16loop:
	TESTQ CX, CX
	JZ    gbf16done
	TILE_BF16_HALF(0, Y0, Y2, Y4, Y6)
	TILE_BF16_HALF(32, Y1, Y3, Y5, Y7)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ CX
	JMP  gbf16loop

gbf16done:
	STORE_TILE_OUTPUT(Y0, Y1, X0, 0)
	STORE_TILE_OUTPUT(Y2, Y3, X2, 4)
	STORE_TILE_OUTPUT(Y4, Y5, X4, 24)
	STORE_TILE_OUTPUT(Y6, Y7, X6, 28)
	VZEROUPPER
	RET

// The tinyBLAS orders of F16 and F32 with AVX-512 (F and VL): one ZMM
// accumulator per output holds its 16 lanes, and 32 registers fit a tile
// of 4 rows × 6 tokens (Z0-Z23: row r, token t in Z(6r+t)), which loads
// (and widens) 10 vectors per 24 FMAs where the AVX2 tile loads 10 per 12.

// TILE_4x6_TOKEN loads one token's 16 elements at m into z and adds its
// products with the four rows (Z24-Z27) to their accumulators t0…t3.
#define TILE_4x6_TOKEN(LOAD, m, z, t0, t1, t2, t3) \
	LOAD(m, z) \
	VFMADD231PS z, Z24, t0 \
	VFMADD231PS z, Z25, t1 \
	VFMADD231PS z, Z26, t2 \
	VFMADD231PS z, Z27, t3

// TILE_4x6_STEP does one 16-element step at off: the rows into Z24-Z27,
// each token (a[0…5] in AX, BX, SI, DI, R12, R13) into Z28 or Z29.
#define TILE_4x6_STEP(LOAD, off) \
	LOAD(off(R8), Z24) \
	LOAD(off(R9), Z25) \
	LOAD(off(R10), Z26) \
	LOAD(off(R11), Z27) \
	TILE_4x6_TOKEN(LOAD, off(AX), Z28, Z0, Z6, Z12, Z18) \
	TILE_4x6_TOKEN(LOAD, off(BX), Z29, Z1, Z7, Z13, Z19) \
	TILE_4x6_TOKEN(LOAD, off(SI), Z28, Z2, Z8, Z14, Z20) \
	TILE_4x6_TOKEN(LOAD, off(DI), Z29, Z3, Z9, Z15, Z21) \
	TILE_4x6_TOKEN(LOAD, off(R12), Z28, Z4, Z10, Z16, Z22) \
	TILE_4x6_TOKEN(LOAD, off(R13), Z29, Z5, Z11, Z17, Z23)

// STORE_TILE_OUTPUT_Z(z, off) stores reduce16 of the 16 lanes of z at
// off(DX): the upper 256 bits onto the lower (the low 8 lanes of Z30),
// then as REDUCE16.
#define STORE_TILE_OUTPUT_Z(z, off) \
	VEXTRACTF64X4 $1, z, Y30 \
	VADDPS        Z30, z, Z30 \
	VEXTRACTF32X4 $1, Y30, X31 \
	VADDPS        X31, X30, X30 \
	VMOVHLPS      X30, X30, X31 \
	VADDPS        X31, X30, X30 \
	VMOVSHDUP     X30, X31 \
	VADDSS        X31, X30, X30 \
	VMOVSS        X30, off(DX)

#define ZERO_Z24 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23

// LOAD_TILE_POINTERS_4x6 loads w[0…3] (w in AX) into R8-R11 and a[0…5]
// (a in BX) into AX, SI, DI, R12, R13 and, last, BX.
#define LOAD_TILE_POINTERS_4x6 \
	MOVQ 0(AX), R8 \
	MOVQ 8(AX), R9 \
	MOVQ 16(AX), R10 \
	MOVQ 24(AX), R11 \
	MOVQ 0(BX), AX \
	MOVQ 16(BX), SI \
	MOVQ 24(BX), DI \
	MOVQ 32(BX), R12 \
	MOVQ 40(BX), R13 \
	MOVQ 8(BX), BX

#define STORE_TILE_4x6 \
	STORE_TILE_OUTPUT_Z(Z0, 0) \
	STORE_TILE_OUTPUT_Z(Z1, 4) \
	STORE_TILE_OUTPUT_Z(Z2, 8) \
	STORE_TILE_OUTPUT_Z(Z3, 12) \
	STORE_TILE_OUTPUT_Z(Z4, 16) \
	STORE_TILE_OUTPUT_Z(Z5, 20) \
	STORE_TILE_OUTPUT_Z(Z6, 24) \
	STORE_TILE_OUTPUT_Z(Z7, 28) \
	STORE_TILE_OUTPUT_Z(Z8, 32) \
	STORE_TILE_OUTPUT_Z(Z9, 36) \
	STORE_TILE_OUTPUT_Z(Z10, 40) \
	STORE_TILE_OUTPUT_Z(Z11, 44) \
	STORE_TILE_OUTPUT_Z(Z12, 48) \
	STORE_TILE_OUTPUT_Z(Z13, 52) \
	STORE_TILE_OUTPUT_Z(Z14, 56) \
	STORE_TILE_OUTPUT_Z(Z15, 60) \
	STORE_TILE_OUTPUT_Z(Z16, 64) \
	STORE_TILE_OUTPUT_Z(Z17, 68) \
	STORE_TILE_OUTPUT_Z(Z18, 72) \
	STORE_TILE_OUTPUT_Z(Z19, 76) \
	STORE_TILE_OUTPUT_Z(Z20, 80) \
	STORE_TILE_OUTPUT_Z(Z21, 84) \
	STORE_TILE_OUTPUT_Z(Z22, 88) \
	STORE_TILE_OUTPUT_Z(Z23, 92)

// func gemmF16Tile512(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)
TEXT ·gemmF16Tile512(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), AX
	MOVQ a+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ y+24(FP), DX
	LOAD_TILE_POINTERS_4x6
	SHRQ $4, CX
	ZERO_Z24

gf16zloop:
	TESTQ CX, CX
	JZ    gf16zdone
	TILE_4x6_STEP(LOAD_F16, 0)
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R12
	ADDQ $32, R13
	DECQ CX
	JMP  gf16zloop

gf16zdone:
	STORE_TILE_4x6
	VZEROUPPER
	RET

// func gemmF32Tile512(w *[4]*byte, a *[6]*byte, n int, y *[24]float32)
TEXT ·gemmF32Tile512(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), AX
	MOVQ a+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ y+24(FP), DX
	LOAD_TILE_POINTERS_4x6
	SHRQ $4, CX
	ZERO_Z24

gf32zloop:
	TESTQ CX, CX
	JZ    gf32zdone
	TILE_4x6_STEP(LOAD_F32, 0)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R12
	ADDQ $64, R13
	DECQ CX
	JMP  gf32zloop

gf32zdone:
	STORE_TILE_4x6
	VZEROUPPER
	RET
