//go:build !purego

#include "textflag.h"

// NEON kernels for arm64 (neon_arm64.go says which order each reproduces).
// Every kernel exists twice, expanded from one macro: with SDOT (FEAT_DotProd,
// every Apple CPU) and with plain ARMv8.0 NEON, differing only in the
// integer dot product DOT (DOT4_SDOT or DOT4_NEON), whose results are exact
// and identical either way.
//
// The Go assembler lacks most vector integer and float arithmetic, so those
// instructions are WORDs built by the macros below. Their operands are
// vector register NUMBERS (8 for V8), with the destination first as in the
// Arm manual; the Go instructions in between use V names. Each encoding is
// the Arm ARM's fixed bits ORed with Rd (bits 0-4), Rn (5-9) and Rm
// (16-20); for the by-element forms of 32-bit lanes the index i is H:L,
// H = bit 11 and L = bit 21. Every base value was checked against llvm-mc
// (e.g. "sdot v1.4s, v2.16b, v3.16b" = 0x4e839441).

#define ENC3(base, d, n, m) WORD $((base) | (m)<<16 | (n)<<5 | (d))
#define ENC2(base, d, n) WORD $((base) | (n)<<5 | (d))
#define ENCELEM(base, d, n, m, i) WORD $((base) | ((i)&1)<<21 | (m)<<16 | ((i)>>1)<<11 | (n)<<5 | (d))

// SDOT Vd.4S, Vn.16B, Vm.16B: Advanced SIMD three same (extra), Q=1 U=0
// size=10 opcode=0010: 0 1 0 01110 10 0 Rm 1 0010 1 Rn Rd.
#define SDOT(d, n, m) ENC3(0x4E809400, d, n, m)

// Three different: SMULL(2) Vd.8H from bytes (size=00) or Vd.4S from
// halfwords (size=01), opcode 1100; the "2" forms (Q=1) take the upper
// halves.
#define SMULL_8H(d, n, m) ENC3(0x0E20C000, d, n, m)
#define SMULL2_8H(d, n, m) ENC3(0x4E20C000, d, n, m)
#define SMULL_4S(d, n, m) ENC3(0x0E60C000, d, n, m)
#define SMULL2_4S(d, n, m) ENC3(0x4E60C000, d, n, m)

// Three same, 4S: ADD (opcode 10000), ADDP (10111), FADD (U=0 11010),
// FADDP (U=1 11010), FMUL (U=1 11011), FMAX (U=0 11110).
#define ADD_4S(d, n, m) ENC3(0x4EA08400, d, n, m)
#define ADDP_4S(d, n, m) ENC3(0x4EA0BC00, d, n, m)
#define FADD_4S(d, n, m) ENC3(0x4E20D400, d, n, m)
#define FADDP_4S(d, n, m) ENC3(0x6E20D400, d, n, m)
#define FMUL_4S(d, n, m) ENC3(0x6E20DC00, d, n, m)
#define FMAX_4S(d, n, m) ENC3(0x4E20F400, d, n, m)

// Two-register misc: SADDLP Vd.8H from 16B (size=00) or Vd.4S from 8H
// (size=01), opcode 00010; SCVTF 4S (01 1101, sz=0); FCVTNS 4S (1 1010,
// round to nearest, ties to even); FABS 4S (size=1x, 0 1111); FCVTL Vd.4S
// from 4H (1 0111); SQXTN(2) to bytes (size=00) or halfwords (size=01),
// opcode 10100, saturating.
#define SADDLP_8H(d, n) ENC2(0x4E202800, d, n)
#define SADDLP_4S(d, n) ENC2(0x4E602800, d, n)
#define SCVTF_4S(d, n) ENC2(0x4E21D800, d, n)
#define FCVTNS_4S(d, n) ENC2(0x4E21A800, d, n)
#define FABS_4S(d, n) ENC2(0x4EA0F800, d, n)
#define FCVTL_4S(d, n) ENC2(0x0E217800, d, n)
#define SQXTN_4H(d, n) ENC2(0x0E614800, d, n)
#define SQXTN2_8H(d, n) ENC2(0x4E614800, d, n)
#define SQXTN_8B(d, n) ENC2(0x0E214800, d, n)
#define SQXTN2_16B(d, n) ENC2(0x4E214800, d, n)

// Widening: SXTL(2) is SSHLL #0 (immh=0001 for bytes, 0010 for halfwords).
#define SXTL_8H(d, n) ENC2(0x0F08A400, d, n)
#define SXTL2_8H(d, n) ENC2(0x4F08A400, d, n)
#define SXTL_4S(d, n) ENC2(0x0F10A400, d, n)
#define SXTL2_4S(d, n) ENC2(0x4F10A400, d, n)

// Across lanes and scalar pairwise, into lane 0: FMAXV Sd, Vn.4S; SADDLV
// Sd, Vn.8H; FADDP Sd, Vn.2S (Sd = Vn[0]+Vn[1]); scalar SCVTF Sd, Sn.
#define FMAXV(d, n) ENC2(0x6E30F800, d, n)
#define SADDLV_8H(d, n) ENC2(0x4E703800, d, n)
#define FADDP_S(d, n) ENC2(0x7E30D800, d, n)
#define SCVTF_S(d, n) ENC2(0x5E21D800, d, n)

// By element, 4S: FMLA Vd += Vn·Vm.S[i], fused (opcode 0001); MLA (U=1,
// opcode 0000); FMUL (opcode 1001).
#define FMLA_ELEM(d, n, m, i) ENCELEM(0x4F801000, d, n, m, i)
#define MLA_ELEM(d, n, m, i) ENCELEM(0x6F800000, d, n, m, i)
#define FMUL_ELEM(d, n, m, i) ENCELEM(0x4F809000, d, n, m, i)

// DOT4(d, w, a, t1, t2): d.4S[i] += Σ_{j<4} w.16B[4i+j]·a.16B[4i+j], signed
// bytes: SDOT's definition, which the lanes of llama.cpp's x86 kernels
// follow (x86_legacy.go). DOT4_NEON computes it without SDOT, clobbering
// t1 and t2: byte products as int16 (|w·a| <= 128·128 fits), added in
// pairs to int32, then pairs of pairs.
#define DOT4_SDOT(d, w, a, t1, t2) SDOT(d, w, a)
#define DOT4_NEON(d, w, a, t1, t2) \
	SMULL_8H(t1, w, a)  \
	SMULL2_8H(t2, w, a) \
	SADDLP_4S(t1, t1)   \
	SADDLP_4S(t2, t2)   \
	ADDP_4S(t1, t1, t2) \
	ADD_4S(d, d, t1)

// All matrix kernels have the mulFunc shape on pointers, with nb blocks
// per row, rows a multiple of their tile and tokens >= 1, nb >= 1:
//
//	func(w *byte, wStride, rows int, a *byte, aStride, tokens, nb int, y *float32, yStride int)
//
// They loop over tiles of rows (R0: the tile's first weight row, R3: its
// y for token 0), and for each tile over the tokens (R5: activation row,
// R6: its y), so that the tile's weights stay in L1 while every token
// passes. R1 = wStride, R2 = rows left, R4 = yStride in bytes, R7 = tokens
// left, R13 = blocks left.
#define MUL_START \
	MOVD w+0(FP), R0        \
	MOVD wStride+8(FP), R1  \
	MOVD rows+16(FP), R2    \
	MOVD y+56(FP), R3       \
	MOVD yStride+64(FP), R4 \
	LSL  $2, R4

#define TILE_START \
	MOVD a+24(FP), R5       \
	MOVD R3, R6             \
	MOVD tokens+40(FP), R7

#define NEXT_TOKEN(label) \
	ADD  R4, R6              \
	MOVD aStride+32(FP), R14 \
	ADD  R14, R5             \
	SUB  $1, R7              \
	CBNZ R7, label

// Four rows of one token: R8-R11 walk the four weight rows, R12 the
// activation row.
#define ROWS4_START \
	MOVD R0, R8      \
	ADD  R1, R8, R9  \
	ADD  R1, R9, R10 \
	ADD  R1, R10, R11 \
	MOVD R5, R12     \
	MOVD nb+48(FP), R13

#define NEXT_TILE4(label) \
	ADD  R1<<2, R0 \
	ADD  $16, R3   \
	SUB  $4, R2    \
	CBNZ R2, label

// Q4_0, repacked order (dotQ4_0x8): per block isum = Σ (q-8)·a over all 32
// elements, acc = fma(float(isum), dw·da, acc), one float32 accumulator
// per output. Four rows are the four lanes of V28, so every float
// operation is one vector instruction for four outputs.
#define MUL_Q4_0X8(DOT) \
	MUL_START \
	VMOVI $15, V30.B16 \
	VMOVI $8, V31.B16  \
q4group: \
	TILE_START \
q4token: \
	ROWS4_START \
	VEOR V28.B16, V28.B16, V28.B16 \
q4block: \
	VLD1R.P 2(R12), [V16.H4]            /* da in 4 lanes */ \
	VLD1.P  32(R12), [V17.B16, V18.B16] \
	VLD1.P  2(R8), V19.H[0]             /* dw of row k in lane k */ \
	VLD1.P  16(R8), [V0.B16]            \
	VLD1.P  2(R9), V19.H[1]             \
	VLD1.P  16(R9), [V1.B16]            \
	VLD1.P  2(R10), V19.H[2]            \
	VLD1.P  16(R10), [V2.B16]           \
	VLD1.P  2(R11), V19.H[3]            \
	VLD1.P  16(R11), [V3.B16]           \
	Q4_0_ISUM(DOT, V0, V4, V5, V20, 4, 5, 20) \
	Q4_0_ISUM(DOT, V1, V6, V7, V21, 6, 7, 21) \
	Q4_0_ISUM(DOT, V2, V8, V9, V22, 8, 9, 22) \
	Q4_0_ISUM(DOT, V3, V10, V11, V23, 10, 11, 23) \
	VADDP V21.S4, V20.S4, V20.S4 \
	VADDP V23.S4, V22.S4, V22.S4 \
	VADDP V22.S4, V20.S4, V20.S4        /* isum of rows 0-3 */ \
	SCVTF_4S(20, 20)                    \
	FCVTL_4S(19, 19)                    \
	FCVTL_4S(16, 16)                    \
	FMUL_4S(19, 19, 16)                 /* dw·da, exact */ \
	VFMLA V19.S4, V20.S4, V28.S4        \
	SUB  $1, R13 \
	CBNZ R13, q4block \
	VST1 [V28.S4], (R6) \
	NEXT_TOKEN(q4token) \
	NEXT_TILE4(q4group) \
	RET

// Q4_0_ISUM sets sum (vector register named, and numbered ns) to four
// partial sums of one row's block: the levels q&15-8 (lo) times the first
// 16 activations (V17), q>>4-8 (hi) times the last 16 (V18).
#define Q4_0_ISUM(DOT, q, lo, hi, sum, nlo, nhi, ns) \
	VAND  V30.B16, q.B16, lo.B16   \
	VUSHR $4, q.B16, hi.B16        \
	VSUB  V31.B16, lo.B16, lo.B16  \
	VSUB  V31.B16, hi.B16, hi.B16  \
	VEOR  sum.B16, sum.B16, sum.B16 \
	DOT(ns, nlo, 17, 24, 25)       \
	DOT(ns, nhi, 18, 24, 25)

TEXT ·mulQ4_0x8SDOT(SB), NOSPLIT, $0-72
	MUL_Q4_0X8(DOT4_SDOT)

TEXT ·mulQ4_0x8NEON(SB), NOSPLIT, $0-72
	MUL_Q4_0X8(DOT4_NEON)

// Q8_0, vec_dot and tinyBLAS order (vecDotQ8_0): per output 8 float32
// lanes, lane t (< 4) in register lo, t-4 in hi; per block lane t +=
// fma(dw·da, sum of elements 4t..4t+3) (FMLA by element: row k's dw·da is
// lane k of V19); hsum8 at the end. Four rows per tile: accumulators
// V22-V29 (row k: V22+2k lo, V23+2k hi).
#define MUL_Q8_0(DOT) \
	MUL_START \
q8group: \
	TILE_START \
q8token: \
	ROWS4_START \
	VEOR V22.B16, V22.B16, V22.B16 \
	VEOR V23.B16, V23.B16, V23.B16 \
	VEOR V24.B16, V24.B16, V24.B16 \
	VEOR V25.B16, V25.B16, V25.B16 \
	VEOR V26.B16, V26.B16, V26.B16 \
	VEOR V27.B16, V27.B16, V27.B16 \
	VEOR V28.B16, V28.B16, V28.B16 \
	VEOR V29.B16, V29.B16, V29.B16 \
q8block: \
	VLD1R.P 2(R12), [V16.H4]            \
	VLD1.P  32(R12), [V17.B16, V18.B16] \
	VLD1.P  2(R8), V19.H[0]             \
	VLD1.P  32(R8), [V0.B16, V1.B16]    \
	VLD1.P  2(R9), V19.H[1]             \
	VLD1.P  32(R9), [V2.B16, V3.B16]    \
	VLD1.P  2(R10), V19.H[2]            \
	VLD1.P  32(R10), [V4.B16, V5.B16]   \
	VLD1.P  2(R11), V19.H[3]            \
	VLD1.P  32(R11), [V6.B16, V7.B16]   \
	VEOR V8.B16, V8.B16, V8.B16         \
	VEOR V9.B16, V9.B16, V9.B16         \
	VEOR V10.B16, V10.B16, V10.B16      \
	VEOR V11.B16, V11.B16, V11.B16      \
	VEOR V12.B16, V12.B16, V12.B16      \
	VEOR V13.B16, V13.B16, V13.B16      \
	VEOR V14.B16, V14.B16, V14.B16      \
	VEOR V15.B16, V15.B16, V15.B16      \
	DOT(8, 0, 17, 20, 21)               \
	DOT(9, 1, 18, 20, 21)               \
	DOT(10, 2, 17, 20, 21)              \
	DOT(11, 3, 18, 20, 21)              \
	DOT(12, 4, 17, 20, 21)              \
	DOT(13, 5, 18, 20, 21)              \
	DOT(14, 6, 17, 20, 21)              \
	DOT(15, 7, 18, 20, 21)              \
	SCVTF_4S(8, 8)                      \
	SCVTF_4S(9, 9)                      \
	SCVTF_4S(10, 10)                    \
	SCVTF_4S(11, 11)                    \
	SCVTF_4S(12, 12)                    \
	SCVTF_4S(13, 13)                    \
	SCVTF_4S(14, 14)                    \
	SCVTF_4S(15, 15)                    \
	FCVTL_4S(19, 19)                    \
	FCVTL_4S(16, 16)                    \
	FMUL_4S(19, 19, 16)                 \
	FMLA_ELEM(22, 8, 19, 0)             \
	FMLA_ELEM(23, 9, 19, 0)             \
	FMLA_ELEM(24, 10, 19, 1)            \
	FMLA_ELEM(25, 11, 19, 1)            \
	FMLA_ELEM(26, 12, 19, 2)            \
	FMLA_ELEM(27, 13, 19, 2)            \
	FMLA_ELEM(28, 14, 19, 3)            \
	FMLA_ELEM(29, 15, 19, 3)            \
	SUB  $1, R13 \
	CBNZ R13, q8block \
	HSUM8_ROWS4 \
	VST1 [V22.S4], (R6) \
	NEXT_TOKEN(q8token) \
	NEXT_TILE4(q8group) \
	RET

// HSUM8_ROWS4 sets V22 to hsum8 of the four rows' accumulators V22-V29:
// a = lo+hi (a_t = v[t]+v[t+4]), e = a + a rotated by two lanes (e0 =
// a0+a2, e1 = a1+a3), FADDP adds e0+e1 (twice, since e2 = e0 and e3 = e1)
// for two rows at a time, UZP1 keeps one of each.
#define HSUM8_ROWS4 \
	FADD_4S(22, 22, 23)            \
	FADD_4S(24, 24, 25)            \
	FADD_4S(26, 26, 27)            \
	FADD_4S(28, 28, 29)            \
	VEXT $8, V22.B16, V22.B16, V23.B16 \
	VEXT $8, V24.B16, V24.B16, V25.B16 \
	VEXT $8, V26.B16, V26.B16, V27.B16 \
	VEXT $8, V28.B16, V28.B16, V29.B16 \
	FADD_4S(22, 22, 23)            \
	FADD_4S(24, 24, 25)            \
	FADD_4S(26, 26, 27)            \
	FADD_4S(28, 28, 29)            \
	FADDP_4S(22, 22, 24)           \
	FADDP_4S(26, 26, 28)           \
	VUZP1 V26.S4, V22.S4, V22.S4

TEXT ·mulQ8_0SDOT(SB), NOSPLIT, $0-72
	MUL_Q8_0(DOT4_SDOT)

TEXT ·mulQ8_0NEON(SB), NOSPLIT, $0-72
	MUL_Q8_0(DOT4_NEON)

// The K-quant kernels compute one row at a time (a super-block holds
// enough independent work to hide the latency of its two FMLAs); R8 walks
// the weight row, R12 the activation row (Q8_K: float32 d, 256 levels, 16
// int16 sums of 16 levels). Accumulators: V28 (lanes 0-3) and V29 (4-7)
// as in vecDotQ4_K/Q6_K, the integer lanes of a super-block in V19, V20.

#define ROW_START \
	MOVD R0, R8  \
	MOVD R5, R12 \
	MOVD nb+48(FP), R13 \
	VEOR V28.B16, V28.B16, V28.B16 \
	VEOR V29.B16, V29.B16, V29.B16

#define NEXT_ROW(label) \
	ADD  R1, R0 \
	ADD  $4, R3 \
	SUB  $1, R2 \
	CBNZ R2, label

// HSUM4(v, t): lane 0 of v = (v0+v2) + (v1+v3), as hsum4 (clobbers t).
#define HSUM4(v, t, nv, nt) \
	VEXT $8, v.B16, v.B16, t.B16 \
	FADD_4S(nv, nv, nt)          \
	FADDP_S(nv, nv)

// LANES_SCALED(DOT, w, a, lo|hi sum, scale register and lane): sum += the
// SDOT lanes of 16 levels w and 16 activations a times one integer scale
// (V9 is the lanes, V10, V11 DOT's temporaries).
#define LANES_SCALED(DOT, w, a, sum, sc, i) \
	VEOR V9.B16, V9.B16, V9.B16 \
	DOT(9, w, a, 10, 11)        \
	MLA_ELEM(sum, 9, sc, i)

// Q4_K (vecDotQ4_K): d = da·dw and dmin = -(da·dmin_w) as float32 (V16,
// V17 lane 0); the 6-bit scales (V22: sub-blocks 0-3, V23: 4-7, int32)
// and mins (V24, int16) unpacked as llama.cpp's utmp words; the mins'
// part in 4 lanes accm (V27), accm_u = fma(dmin, p_2u + p_2u+1, accm_u)
// with p_j = min_j·(bsum_2j + bsum_2j+1); at the end hsum8(acc) +
// hsum4(accm).
#define MUL_Q4_K(DOT) \
	MUL_START \
	VMOVI $15, V31.B16 \
q4krow: \
	TILE_START \
q4ktoken: \
	ROW_START \
	VEOR V27.B16, V27.B16, V27.B16 \
q4kblock: \
	FMOVS (R12), F18           /* da */ \
	MOVHU (R8), R14            \
	FMOVS R14, F16             \
	FCVTHS F16, F16            \
	FMULS F16, F18, F16        /* d */ \
	MOVHU 2(R8), R14           \
	FMOVS R14, F17             \
	FCVTHS F17, F17            \
	FMULS F17, F18, F17        \
	FNEGS F17, F17             /* dmin */ \
	MOVWU 4(R8), R14           /* utmp[0..2] */ \
	MOVWU 8(R8), R15           \
	MOVWU 12(R8), R16          \
	LSRW  $4, R16, R17         /* utmp[3] = u2>>4 & 0x0f.. | (u1>>6 & 0x03..)<<4: mins 4-7 */ \
	ANDW  $0x0f0f0f0f, R17     \
	LSRW  $6, R15, R19         \
	ANDW  $0x03030303, R19     \
	ORRW  R19<<4, R17          \
	ANDW  $0x3f3f3f3f, R15     /* mins 0-3 */ \
	ANDW  $0x0f0f0f0f, R16     /* scales 4-7 = u2 & 0x0f.. | (u0>>6 & 0x03..)<<4 */ \
	LSRW  $6, R14, R19         \
	ANDW  $0x03030303, R19     \
	ORRW  R19<<4, R16          \
	ANDW  $0x3f3f3f3f, R14     /* scales 0-3 */ \
	ORR   R16<<32, R14         \
	ORR   R17<<32, R15         \
	VMOV  R14, V21.D[0]        \
	VMOV  R15, V24.D[0]        \
	VUXTL V21.B8, V21.H8       \
	VUXTL V21.H4, V22.S4       \
	VUXTL2 V21.H8, V23.S4      \
	VUXTL V24.B8, V24.H8       \
	ADD   $260, R12, R14       /* bsums */ \
	VLD1  (R14), [V25.H8, V26.H8] \
	VADDP V26.H8, V25.H8, V25.H8 /* bsum_2j + bsum_2j+1 */ \
	SMULL_4S(26, 24, 25)       /* p_0..p_3 */ \
	SMULL2_4S(25, 24, 25)      /* p_4..p_7 */ \
	ADDP_4S(25, 26, 25)        \
	SCVTF_4S(25, 25)           \
	FMLA_ELEM(27, 25, 17, 0)   \
	ADD   $4, R12, R14         /* activation levels */ \
	ADD   $16, R8, R15         /* weight levels */ \
	VEOR  V19.B16, V19.B16, V19.B16 \
	VEOR  V20.B16, V20.B16, V20.B16 \
	Q4_K_PAIR(DOT, 22, 0, 1)   \
	Q4_K_PAIR(DOT, 22, 2, 3)   \
	Q4_K_PAIR(DOT, 23, 0, 1)   \
	Q4_K_PAIR(DOT, 23, 2, 3)   \
	SCVTF_4S(19, 19)           \
	SCVTF_4S(20, 20)           \
	FMLA_ELEM(28, 19, 16, 0)   \
	FMLA_ELEM(29, 20, 16, 0)   \
	ADD  $144, R8              \
	ADD  $292, R12             \
	SUB  $1, R13               \
	CBNZ R13, q4kblock         \
	FADD_4S(28, 28, 29)        \
	HSUM4(V28, V29, 28, 29)    \
	HSUM4(V27, V29, 27, 29)    \
	FADDS F27, F28, F28        \
	FMOVS F28, (R6)            \
	NEXT_TOKEN(q4ktoken)       \
	NEXT_ROW(q4krow)           \
	RET

// Q4_K_PAIR: one pair of sub-blocks, 32 bytes of levels (low nibbles:
// sub-block 2p, high: 2p+1) and 64 activations; the scales of the two
// sub-blocks are lanes jlo and jhi of register sc.
#define Q4_K_PAIR(DOT, sc, jlo, jhi) \
	VLD1.P 32(R15), [V0.B16, V1.B16] \
	VLD1.P 64(R14), [V2.B16, V3.B16, V4.B16, V5.B16] \
	VAND  V31.B16, V0.B16, V6.B16 \
	VAND  V31.B16, V1.B16, V7.B16 \
	VUSHR $4, V0.B16, V0.B16      \
	VUSHR $4, V1.B16, V1.B16      \
	LANES_SCALED(DOT, 6, 2, 19, sc, jlo) \
	LANES_SCALED(DOT, 7, 3, 20, sc, jlo) \
	LANES_SCALED(DOT, 0, 4, 19, sc, jhi) \
	LANES_SCALED(DOT, 1, 5, 20, sc, jhi)

TEXT ·mulQ4_KSDOT(SB), NOSPLIT, $0-72
	MUL_Q4_K(DOT4_SDOT)

TEXT ·mulQ4_KNEON(SB), NOSPLIT, $0-72
	MUL_Q4_K(DOT4_NEON)

// Q6_K (vecDotQ6_K): d = da·dw (V16 lane 0), the 16 signed scales as int32
// in V21-V24 (four each), levels minus 32 (V27) rebuilt 16 at a time from
// ql (low or high nibble, V31 = 0x0f) and qh (two bits moved to bits 4-5,
// V30 = 0x30); 16 levels = 4 integer lanes of one scale, lanes 0-3 (V19)
// for the first 16 of every 32, 4-7 (V20) for the second.
#define MUL_Q6_K(DOT) \
	MUL_START \
	VMOVI $15, V31.B16 \
	VMOVI $48, V30.B16 \
	VMOVI $32, V27.B16 \
q6krow: \
	TILE_START \
q6ktoken: \
	ROW_START \
q6kblock: \
	FMOVS (R12), F18           \
	MOVHU 208(R8), R14         \
	FMOVS R14, F16             \
	FCVTHS F16, F16            \
	FMULS F16, F18, F16        /* d */ \
	ADD   $192, R8, R14        \
	VLD1  (R14), [V25.B16]     \
	SXTL_8H(26, 25)            \
	SXTL2_8H(25, 25)           \
	SXTL_4S(21, 26)            \
	SXTL2_4S(22, 26)           \
	SXTL_4S(23, 25)            \
	SXTL2_4S(24, 25)           \
	ADD   $4, R12, R14         /* activation levels */ \
	MOVD  R8, R15              /* ql */ \
	ADD   $128, R8, R17        /* qh */ \
	VEOR  V19.B16, V19.B16, V19.B16 \
	VEOR  V20.B16, V20.B16, V20.B16 \
	Q6_K_HALF(DOT, 21, 22)     \
	Q6_K_HALF(DOT, 23, 24)     \
	SCVTF_4S(19, 19)           \
	SCVTF_4S(20, 20)           \
	FMLA_ELEM(28, 19, 16, 0)   \
	FMLA_ELEM(29, 20, 16, 0)   \
	ADD  $210, R8              \
	ADD  $292, R12             \
	SUB  $1, R13               \
	CBNZ R13, q6kblock         \
	FADD_4S(28, 28, 29)        \
	HSUM4(V28, V29, 28, 29)    \
	FMOVS F28, (R6)            \
	NEXT_TOKEN(q6ktoken)       \
	NEXT_ROW(q6krow)           \
	RET

// Q6_K_HALF: 128 elements, 64 bytes ql (V0-V3) and 32 bytes qh (V4, V5),
// as unpackQ6_K: 16-element group g (elements 16g..16g+15) takes ql
// register g%4 (low nibbles for g < 4, high for g >= 4) and qh register
// g%2, bits 2(g/2)..2(g/2)+1; its scale is lane g%4 of sa (g < 4) or sb.
#define Q6_K_HALF(DOT, sa, sb) \
	VLD1.P 64(R15), [V0.B16, V1.B16, V2.B16, V3.B16] \
	VLD1.P 32(R17), [V4.B16, V5.B16] \
	VAND  V31.B16, V0.B16, V6.B16 \
	VSHL  $4, V4.B16, V7.B16      \
	Q6_K_GROUP(DOT, 19, sa, 0)    \
	VAND  V31.B16, V1.B16, V6.B16 \
	VSHL  $4, V5.B16, V7.B16      \
	Q6_K_GROUP(DOT, 20, sa, 1)    \
	VAND  V31.B16, V2.B16, V6.B16 \
	VSHL  $2, V4.B16, V7.B16      \
	Q6_K_GROUP(DOT, 19, sa, 2)    \
	VAND  V31.B16, V3.B16, V6.B16 \
	VSHL  $2, V5.B16, V7.B16      \
	Q6_K_GROUP(DOT, 20, sa, 3)    \
	VUSHR $4, V0.B16, V6.B16      \
	VORR  V4.B16, V4.B16, V7.B16  \
	Q6_K_GROUP(DOT, 19, sb, 0)    \
	VUSHR $4, V1.B16, V6.B16      \
	VORR  V5.B16, V5.B16, V7.B16  \
	Q6_K_GROUP(DOT, 20, sb, 1)    \
	VUSHR $4, V2.B16, V6.B16      \
	VUSHR $2, V4.B16, V7.B16      \
	Q6_K_GROUP(DOT, 19, sb, 2)    \
	VUSHR $4, V3.B16, V6.B16      \
	VUSHR $2, V5.B16, V7.B16      \
	Q6_K_GROUP(DOT, 20, sb, 3)

// Q6_K_GROUP: level = (V6: low 4 bits) | (V7 & 0x30) - 32, times the next
// 16 activations, into sum with scale lane i of sc.
#define Q6_K_GROUP(DOT, sum, sc, i) \
	VAND  V30.B16, V7.B16, V7.B16 \
	VORR  V7.B16, V6.B16, V6.B16  \
	VSUB  V27.B16, V6.B16, V6.B16 \
	VLD1.P 16(R14), [V8.B16]      \
	LANES_SCALED(DOT, 6, 8, sum, sc, i)

TEXT ·mulQ6_KSDOT(SB), NOSPLIT, $0-72
	MUL_Q6_K(DOT4_SDOT)

TEXT ·mulQ6_KNEON(SB), NOSPLIT, $0-72
	MUL_Q6_K(DOT4_NEON)

// func quantizeQ8NEON(dst *byte, x *float32, nb int, sum bool)
//
// quantizeQ8x86 for nb >= 1 blocks of 32: amax = max |x| (FMAX), d =
// amax/127, id = 127/amax (0 if amax = 0), levels = x·id rounded to
// nearest even (FCVTNS) and saturated to int8 (SQXTN twice); d (and with
// sum, fp16(d·Σlevels)) stored as fp16 (FCVT, round to nearest even).
TEXT ·quantizeQ8NEON(SB), NOSPLIT, $0-25
	MOVD  dst+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  nb+16(FP), R2
	MOVBU sum+24(FP), R3
	MOVD  $2, R4 // offset of the levels: Q8_0 34-byte blocks, Q8_1 36
	CBZ   R3, q8start
	MOVD  $4, R4

q8start:
	MOVW  $0x42fe0000, R5 // 127.0
	FMOVS R5, F30

q8quant:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FABS_4S(8, 0)
	FABS_4S(9, 1)
	FABS_4S(10, 2)
	FABS_4S(11, 3)
	FABS_4S(12, 4)
	FABS_4S(13, 5)
	FABS_4S(14, 6)
	FABS_4S(15, 7)
	FMAX_4S(8, 8, 9)
	FMAX_4S(10, 10, 11)
	FMAX_4S(12, 12, 13)
	FMAX_4S(14, 14, 15)
	FMAX_4S(8, 8, 10)
	FMAX_4S(12, 12, 14)
	FMAX_4S(8, 8, 12)
	FMAXV(8, 8)              // amax
	FDIVS F30, F8, F9        // d
	FDIVS F8, F30, F10
	FCMPS $(0.0), F8
	FCSELS EQ, F8, F10, F10  // id
	FMUL_ELEM(0, 0, 10, 0)
	FMUL_ELEM(1, 1, 10, 0)
	FMUL_ELEM(2, 2, 10, 0)
	FMUL_ELEM(3, 3, 10, 0)
	FMUL_ELEM(4, 4, 10, 0)
	FMUL_ELEM(5, 5, 10, 0)
	FMUL_ELEM(6, 6, 10, 0)
	FMUL_ELEM(7, 7, 10, 0)
	FCVTNS_4S(0, 0)
	FCVTNS_4S(1, 1)
	FCVTNS_4S(2, 2)
	FCVTNS_4S(3, 3)
	FCVTNS_4S(4, 4)
	FCVTNS_4S(5, 5)
	FCVTNS_4S(6, 6)
	FCVTNS_4S(7, 7)
	SQXTN_4H(16, 0)
	SQXTN2_8H(16, 1)
	SQXTN_4H(17, 2)
	SQXTN2_8H(17, 3)
	SQXTN_4H(18, 4)
	SQXTN2_8H(18, 5)
	SQXTN_4H(19, 6)
	SQXTN2_8H(19, 7)
	SQXTN_8B(20, 16)
	SQXTN2_16B(20, 17)
	SQXTN_8B(21, 18)
	SQXTN2_16B(21, 19)
	ADD   R4, R0, R6
	VST1  [V20.B16, V21.B16], (R6)
	FCVTSH F9, F22
	FMOVS F22, R7
	MOVH  R7, (R0)
	CBZ   R3, q8next
	SADDLP_8H(22, 20)        // Q8_1: s = fp16(d·Σlevels)
	SADDLP_8H(23, 21)
	VADD  V23.H8, V22.H8, V22.H8
	SADDLV_8H(22, 22)
	SCVTF_S(22, 22)
	FMULS F22, F9, F22
	FCVTSH F22, F22
	FMOVS F22, R7
	MOVH  R7, 2(R0)

q8next:
	ADD  $32, R6, R0
	SUB  $1, R2
	CBNZ R2, q8quant
	RET
