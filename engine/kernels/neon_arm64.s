//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON kernels for arm64 (neon_arm64.go says which order each reproduces).
// Every kernel exists twice, expanded from one macro: with SDOT (FEAT_DotProd,
// every Apple CPU) and with plain ARMv8.0 NEON, differing only in the
// integer dot product DOT (DOT4_SDOT or DOT4_NEON), whose results are exact
// and identical either way.
//
// The Go assembler lacks most vector integer and float arithmetic, so those
// instructions are WORDs built by the macros below and in neon_arm64.h
// (which says how); for the by-element forms of 32-bit lanes the index i
// is H:L, H = bit 11 and L = bit 21. Every base value was checked against llvm-mc
// (e.g. "sdot v1.4s, v2.16b, v3.16b" = 0x4e839441).

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

// Three same, 4S (ADD, FADD, FMUL: neon_arm64.h): ADDP (10111), FADDP
// (U=1 11010), FMAX (U=0 11110).
#define ADDP_4S(d, n, m) ENC3(0x4EA0BC00, d, n, m)
#define FADDP_4S(d, n, m) ENC3(0x6E20D400, d, n, m)
#define FMAX_4S(d, n, m) ENC3(0x4E20F400, d, n, m)

// Two-register misc: SADDLP Vd.8H from 16B (size=00) or Vd.4S from 8H
// (size=01), opcode 00010; SCVTF 4S (01 1101, sz=0); FCVTNS 4S (1 1010,
// round to nearest, ties to even); FABS 4S (size=1x, 0 1111); SQXTN(2) to
// bytes (size=00) or halfwords (size=01), opcode 10100, saturating.
#define SADDLP_8H(d, n) ENC2(0x4E202800, d, n)
#define SADDLP_4S(d, n) ENC2(0x4E602800, d, n)
#define SCVTF_4S(d, n) ENC2(0x4E21D800, d, n)
#define FCVTNS_4S(d, n) ENC2(0x4E21A800, d, n)
#define FABS_4S(d, n) ENC2(0x4EA0F800, d, n)
#define SQXTN_4H(d, n) ENC2(0x0E614800, d, n)
#define SQXTN2_8H(d, n) ENC2(0x4E614800, d, n)
#define SQXTN_8B(d, n) ENC2(0x0E214800, d, n)
#define SQXTN2_16B(d, n) ENC2(0x4E214800, d, n)

// Widening: SXTL(2) is SSHLL #0 (immh=0001 for bytes, 0010 for halfwords).
#define SXTL_8H(d, n) ENC2(0x0F08A400, d, n)
#define SXTL2_8H(d, n) ENC2(0x4F08A400, d, n)
#define SXTL_4S(d, n) ENC2(0x0F10A400, d, n)
#define SXTL2_4S(d, n) ENC2(0x4F10A400, d, n)

// Across lanes, into lane 0: FMAXV Sd, Vn.4S; SADDLV Sd, Vn.8H; scalar
// SCVTF Sd, Sn. (FADDP Sd, Vn.2S: neon_arm64.h.)
#define FMAXV(d, n) ENC2(0x6E30F800, d, n)
#define SADDLV_8H(d, n) ENC2(0x4E703800, d, n)
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

// REDUCE16(x0, x1, x2, x3): lane 0 of x0 = reduce16 of the 16 lanes
// x0..x3 (clobbers x1, x2): x0+x2 and x1+x3, their sum, then hsum4.
#define REDUCE16(x0, x1, x2, x3) \
	FADD_4S(x0, x0, x2) \
	FADD_4S(x1, x1, x3) \
	FADD_4S(x0, x0, x1) \
	HSUM4(x0, x2)

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

// The 32-element block types in the order of their AVX2 vec_dot and of
// tinyBLAS_Q0 (x86_legacy.go): per output 8 float32 lanes, lane t (< 4) in
// register lo, t-4 in hi; per block lane t = fma(dw·da, sum of elements
// 4t..4t+3, lane t) (FMLA by element: row k's dw·da is lane k of V19);
// hsum8 at the end. Four rows per tile: their blocks' levels in V0-V7 (row
// k: V2k elements 0-15, V2k+1 16-31), integer lanes V8-V15, accumulators
// V22-V29 (row k: V22+2k lo, V23+2k hi). ROW(ptr, k, lo, hi) loads the
// next block of row k (ptr): its scale half(s) into lane k of V19 (.H[k],
// or .S[k] for d and m), its 32 levels as signed bytes into lo and hi; it
// may use V20 and V21 (free until DOT) and the constants CONST puts in
// V30, V31.
#define MUL_LEGACY(DOT, CONST, ROW) \
	MUL_START \
	CONST \
lgroup: \
	TILE_START \
ltoken: \
	ROWS4_START \
	LEGACY_ZERO \
lblock: \
	VLD1R.P 2(R12), [V16.H4]            /* da */ \
	VLD1.P  32(R12), [V17.B16, V18.B16] \
	ROW(R8, 0, V0, V1)                  \
	ROW(R9, 1, V2, V3)                  \
	ROW(R10, 2, V4, V5)                 \
	ROW(R11, 3, V6, V7)                 \
	LEGACY_LANES(DOT)                   \
	FCVTL_4S(19, 19)                    \
	FCVTL_4S(16, 16)                    \
	FMUL_4S(19, 19, 16)                 /* dw·da */ \
	LEGACY_FMA                          \
	SUB  $1, R13 \
	CBNZ R13, lblock \
	HSUM8_ROWS4 \
	VST1 [V22.S4], (R6) \
	NEXT_TOKEN(ltoken) \
	NEXT_TILE4(lgroup) \
	RET

// MUL_LEGACY1 is MUL_LEGACY for Q4_1 and Q5_1 (vecDotQ4_1, vecDotQ5_1),
// whose Q8_1 activations carry s = d·Σq next to d and whose blocks carry a
// minimum m next to d: summs (V31, one lane per row) += m·s, exact
// products added in order, and added to hsum8 at the end.
#define MUL_LEGACY1(DOT, CONST, ROW) \
	MUL_START \
	CONST \
lgroup: \
	TILE_START \
ltoken: \
	ROWS4_START \
	LEGACY_ZERO \
	VEOR V31.B16, V31.B16, V31.B16 \
lblock: \
	VLD1R.P 4(R12), [V16.S4]            /* da, s */ \
	VLD1.P  32(R12), [V17.B16, V18.B16] \
	ROW(R8, 0, V0, V1)                  \
	ROW(R9, 1, V2, V3)                  \
	ROW(R10, 2, V4, V5)                 \
	ROW(R11, 3, V6, V7)                 \
	LEGACY_LANES(DOT)                   \
	FCVTL_4S(16, 16)                    /* da, s, da, s */ \
	FCVTL2_4S(20, 19)                   /* dw, m of rows 2, 3 */ \
	FCVTL_4S(19, 19)                    /* rows 0, 1 */ \
	VUZP2 V20.S4, V19.S4, V21.S4        /* m of rows 0-3 */ \
	VUZP1 V20.S4, V19.S4, V19.S4        /* dw */ \
	FMLA_ELEM(31, 21, 16, 1)            \
	FMUL_ELEM(19, 19, 16, 0)            /* dw·da */ \
	LEGACY_FMA                          \
	SUB  $1, R13 \
	CBNZ R13, lblock \
	HSUM8_ROWS4 \
	FADD_4S(22, 22, 31) \
	VST1 [V22.S4], (R6) \
	NEXT_TOKEN(ltoken) \
	NEXT_TILE4(lgroup) \
	RET

#define LEGACY_ZERO \
	VEOR V22.B16, V22.B16, V22.B16 \
	VEOR V23.B16, V23.B16, V23.B16 \
	VEOR V24.B16, V24.B16, V24.B16 \
	VEOR V25.B16, V25.B16, V25.B16 \
	VEOR V26.B16, V26.B16, V26.B16 \
	VEOR V27.B16, V27.B16, V27.B16 \
	VEOR V28.B16, V28.B16, V28.B16 \
	VEOR V29.B16, V29.B16, V29.B16

// LEGACY_LANES: the integer lanes of the four rows' blocks with the
// activations V17, V18, as float32 in V8-V15.
#define LEGACY_LANES(DOT) \
	VEOR V8.B16, V8.B16, V8.B16    \
	VEOR V9.B16, V9.B16, V9.B16    \
	VEOR V10.B16, V10.B16, V10.B16 \
	VEOR V11.B16, V11.B16, V11.B16 \
	VEOR V12.B16, V12.B16, V12.B16 \
	VEOR V13.B16, V13.B16, V13.B16 \
	VEOR V14.B16, V14.B16, V14.B16 \
	VEOR V15.B16, V15.B16, V15.B16 \
	DOT(8, 0, 17, 20, 21)          \
	DOT(9, 1, 18, 20, 21)          \
	DOT(10, 2, 17, 20, 21)         \
	DOT(11, 3, 18, 20, 21)         \
	DOT(12, 4, 17, 20, 21)         \
	DOT(13, 5, 18, 20, 21)         \
	DOT(14, 6, 17, 20, 21)         \
	DOT(15, 7, 18, 20, 21)         \
	SCVTF_4S(8, 8)                 \
	SCVTF_4S(9, 9)                 \
	SCVTF_4S(10, 10)               \
	SCVTF_4S(11, 11)               \
	SCVTF_4S(12, 12)               \
	SCVTF_4S(13, 13)               \
	SCVTF_4S(14, 14)               \
	SCVTF_4S(15, 15)

// LEGACY_FMA: acc += lanes · (row k's scale, lane k of V19), fused.
#define LEGACY_FMA \
	FMLA_ELEM(22, 8, 19, 0)  \
	FMLA_ELEM(23, 9, 19, 0)  \
	FMLA_ELEM(24, 10, 19, 1) \
	FMLA_ELEM(25, 11, 19, 1) \
	FMLA_ELEM(26, 12, 19, 2) \
	FMLA_ELEM(27, 13, 19, 2) \
	FMLA_ELEM(28, 14, 19, 3) \
	FMLA_ELEM(29, 15, 19, 3)

#define NO_CONST

// Q8_0: d, 32 levels.
#define Q8_0_ROW(ptr, k, lo, hi) \
	VLD1.P 2(ptr), V19.H[k] \
	VLD1.P 32(ptr), [lo.B16, hi.B16]

// Q4_0: d, 16 bytes: elements 0-15 in the low nibbles, 16-31 in the
// high ones, level = nibble - 8 (V30 = 0x0f, V31 = 8).
#define Q4_0_CONST \
	VMOVI $15, V30.B16 \
	VMOVI $8, V31.B16

#define Q4_0_ROW(ptr, k, lo, hi) \
	VLD1.P 2(ptr), V19.H[k]       \
	VLD1.P 16(ptr), [lo.B16]      \
	VUSHR $4, lo.B16, hi.B16      \
	VAND  V30.B16, lo.B16, lo.B16 \
	VSUB  V31.B16, lo.B16, lo.B16 \
	VSUB  V31.B16, hi.B16, hi.B16

// Q4_1: d, m, nibbles as Q4_0, level = nibble (V30 = 0x0f).
#define Q4_1_CONST VMOVI $15, V30.B16

#define Q4_1_ROW(ptr, k, lo, hi) \
	VLD1.P 4(ptr), V19.S[k]       \
	VLD1.P 16(ptr), [lo.B16]      \
	VUSHR $4, lo.B16, hi.B16      \
	VAND  V30.B16, lo.B16, lo.B16

// Q5_0 and Q5_1 have 32 bits qh before the nibbles: bit e is the fifth
// bit of element e. Q5_QH(ptr) sets the bytes of V20 (elements 0-15) and
// V21 (16-31) to 0xf0 where that bit is set, 0 elsewhere: each byte of qh
// spread over 8 bytes (three ZIPs), CMTST with V30 = 1, 2, 4, …, 128, then
// shifted left by 4. As a signed byte 0xf0 is -16, so subtracting it adds
// the fifth bit.
#define Q5_CONST \
	MOVD $0x8040201008040201, R14 \
	VMOV R14, V30.D[0] \
	VMOV R14, V30.D[1]

#define Q5_QH(ptr) \
	VLD1.P 4(ptr), V20.S[0]          \
	VZIP1 V20.B16, V20.B16, V20.B16  \
	VZIP1 V20.B16, V20.B16, V20.B16  \
	VZIP2 V20.B16, V20.B16, V21.B16  /* qh bytes 2, 3, each 8 times */ \
	VZIP1 V20.B16, V20.B16, V20.B16  /* bytes 0, 1 */ \
	VCMTST V30.B16, V20.B16, V20.B16 \
	VCMTST V30.B16, V21.B16, V21.B16 \
	VSHL  $4, V20.B16, V20.B16       \
	VSHL  $4, V21.B16, V21.B16

// Q5_0: level = (nibble | bit<<4) - 16 = (nibble | 0xf0) - V20/V21 (V31 =
// 0xf0).
#define Q5_0_CONST \
	Q5_CONST \
	VMOVI $0xf0, V31.B16

#define Q5_0_ROW(ptr, k, lo, hi) \
	VLD1.P 2(ptr), V19.H[k]          \
	Q5_QH(ptr)                       \
	VLD1.P 16(ptr), [lo.B16]         \
	VUSHR $4, lo.B16, hi.B16         \
	VORR  V31.B16, lo.B16, lo.B16    \
	VORR  V31.B16, hi.B16, hi.B16    \
	VSUB  V20.B16, lo.B16, lo.B16    \
	VSUB  V21.B16, hi.B16, hi.B16

// Q5_1: d, m, qh, nibbles; level = nibble | bit<<4 = nibble - V20/V21 (the
// low nibble cleared of the high one by shifting: V31 holds summs).
#define Q5_1_ROW(ptr, k, lo, hi) \
	VLD1.P 4(ptr), V19.S[k]          \
	Q5_QH(ptr)                       \
	VLD1.P 16(ptr), [lo.B16]         \
	VUSHR $4, lo.B16, hi.B16         \
	VSHL  $4, lo.B16, lo.B16         \
	VUSHR $4, lo.B16, lo.B16         \
	VSUB  V20.B16, lo.B16, lo.B16    \
	VSUB  V21.B16, hi.B16, hi.B16

// IQ4_NL: d, nibbles as Q4_0; level = kvalues_iq4nl[nibble] (VTBL from
// V31; V30 = 0x0f).
#define IQ4_NL_CONST \
	MOVD  $0xf6eaddcfbfad9881, R14 \
	VMOV  R14, V31.D[0] \
	MOVD  $0x7159453526190d01, R14 \
	VMOV  R14, V31.D[1] \
	VMOVI $15, V30.B16

#define IQ4_NL_ROW(ptr, k, lo, hi) \
	VLD1.P 2(ptr), V19.H[k]        \
	VLD1.P 16(ptr), [lo.B16]       \
	VUSHR $4, lo.B16, hi.B16       \
	VAND  V30.B16, lo.B16, lo.B16  \
	VTBL  lo.B16, [V31.B16], lo.B16 \
	VTBL  hi.B16, [V31.B16], hi.B16

// HSUM8_ROWS4 sets V22 to hsum8 of the four rows' accumulators V22-V29:
// a = lo+hi (a_t = v[t]+v[t+4]), e = a + a rotated by two lanes (e0 =
// a0+a2, e1 = a1+a3), FADDP adds e0+e1 (twice, since e2 = e0 and e3 = e1)
// for two rows at a time, UZP1 keeps one of each.
#define HSUM8_ROWS4 \
	FADD_4S(22, 22, 23)            \
	FADD_4S(24, 24, 25)            \
	FADD_4S(26, 26, 27)            \
	FADD_4S(28, 28, 29)            \
	EXT8(23, 22, 22)               \
	EXT8(25, 24, 24)               \
	EXT8(27, 26, 26)               \
	EXT8(29, 28, 28)               \
	FADD_4S(22, 22, 23)            \
	FADD_4S(24, 24, 25)            \
	FADD_4S(26, 26, 27)            \
	FADD_4S(28, 28, 29)            \
	FADDP_4S(22, 22, 24)           \
	FADDP_4S(26, 26, 28)           \
	VUZP1 V26.S4, V22.S4, V22.S4

TEXT ·mulQ8_0SDOT(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_SDOT, NO_CONST, Q8_0_ROW)

TEXT ·mulQ8_0NEON(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_NEON, NO_CONST, Q8_0_ROW)

TEXT ·mulQ4_0SDOT(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_SDOT, Q4_0_CONST, Q4_0_ROW)

TEXT ·mulQ4_0NEON(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_NEON, Q4_0_CONST, Q4_0_ROW)

TEXT ·mulQ5_0SDOT(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_SDOT, Q5_0_CONST, Q5_0_ROW)

TEXT ·mulQ5_0NEON(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_NEON, Q5_0_CONST, Q5_0_ROW)

TEXT ·mulQ4_1SDOT(SB), NOSPLIT, $0-72
	MUL_LEGACY1(DOT4_SDOT, Q4_1_CONST, Q4_1_ROW)

TEXT ·mulQ4_1NEON(SB), NOSPLIT, $0-72
	MUL_LEGACY1(DOT4_NEON, Q4_1_CONST, Q4_1_ROW)

TEXT ·mulQ5_1SDOT(SB), NOSPLIT, $0-72
	MUL_LEGACY1(DOT4_SDOT, Q5_CONST, Q5_1_ROW)

TEXT ·mulQ5_1NEON(SB), NOSPLIT, $0-72
	MUL_LEGACY1(DOT4_NEON, Q5_CONST, Q5_1_ROW)

TEXT ·mulIQ4_NLSDOT(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_SDOT, IQ4_NL_CONST, IQ4_NL_ROW)

TEXT ·mulIQ4_NLNEON(SB), NOSPLIT, $0-72
	MUL_LEGACY(DOT4_NEON, IQ4_NL_CONST, IQ4_NL_ROW)

// Q4_0, repacked order (dotQ4_0x8): per block isum = Σ (q-8)·a over all 32
// elements, acc = fma(float(isum), dw·da, acc), one float32 accumulator
// per output. Four rows are the four lanes of V28, so every float
// operation is one vector instruction for four outputs. The blocks are
// loaded as for vecDotQ4_0 (Q4_0_ROW).
#define MUL_Q4_0X8(DOT) \
	MUL_START \
	Q4_0_CONST \
q4group: \
	TILE_START \
q4token: \
	ROWS4_START \
	VEOR V28.B16, V28.B16, V28.B16 \
q4block: \
	VLD1R.P 2(R12), [V16.H4]            /* da in 4 lanes */ \
	VLD1.P  32(R12), [V17.B16, V18.B16] \
	Q4_0_ROW(R8, 0, V0, V1)             \
	Q4_0_ROW(R9, 1, V2, V3)             \
	Q4_0_ROW(R10, 2, V4, V5)            \
	Q4_0_ROW(R11, 3, V6, V7)            \
	VEOR V20.B16, V20.B16, V20.B16      \
	VEOR V21.B16, V21.B16, V21.B16      \
	VEOR V22.B16, V22.B16, V22.B16      \
	VEOR V23.B16, V23.B16, V23.B16      \
	DOT(20, 0, 17, 24, 25)              \
	DOT(20, 1, 18, 24, 25)              \
	DOT(21, 2, 17, 24, 25)              \
	DOT(21, 3, 18, 24, 25)              \
	DOT(22, 4, 17, 24, 25)              \
	DOT(22, 5, 18, 24, 25)              \
	DOT(23, 6, 17, 24, 25)              \
	DOT(23, 7, 18, 24, 25)              \
	VADDP V21.S4, V20.S4, V20.S4        \
	VADDP V23.S4, V22.S4, V22.S4        \
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

TEXT ·mulQ4_0x8SDOT(SB), NOSPLIT, $0-72
	MUL_Q4_0X8(DOT4_SDOT)

TEXT ·mulQ4_0x8NEON(SB), NOSPLIT, $0-72
	MUL_Q4_0X8(DOT4_NEON)

// The K-quant kernels compute one row at a time (a super-block holds
// enough independent work to hide the latency of its two FMLAs); R8 walks
// the weight row, R12 the activation row (Q8_K: float32 d, 256 levels, 16
// int16 sums of 16 levels). Accumulators: V28 (lanes 0-3) and V29 (4-7)
// as in vecDotQn_K, the integer lanes of a super-block in V19, V20.

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

// K_D(off, f): f = da (F18, the activation block's scale) times the fp16
// at off(R8), rounded to float32 (da·dw of vecDotQn_K).
#define K_D(off, f) \
	MOVHU off(R8), R14 \
	FMOVS R14, f       \
	FCVTHS f, f        \
	FMULS f, F18, f

// LANES_SCALED(DOT, w, a, lo|hi sum, scale register and lane): sum += the
// SDOT lanes of 16 levels w and 16 activations a times one integer scale
// (V9 is the lanes, V10, V11 DOT's temporaries).
#define LANES_SCALED(DOT, w, a, sum, sc, i) \
	VEOR V9.B16, V9.B16, V9.B16 \
	DOT(9, w, a, 10, 11)        \
	MLA_ELEM(sum, 9, sc, i)

// Q4_K and Q5_K (vecDotQ4_K, vecDotQ5_K) share their super-block header:
// d, dmin, then 12 bytes of 6-bit scales and mins. K4_SCALES sets d =
// da·dw and dmin = -(da·dmin_w) as float32 (V16, V17 lane 0), the scales
// (V22: sub-blocks 0-3, V23: 4-7, int32) and mins (V24, int16), unpacked
// as llama.cpp's utmp words, and V25 = the mins' integer parts [p0+p1,
// p2+p3, p4+p5, p6+p7], p_j = min_j·(bsum_2j + bsum_2j+1) (k4Mins).
#define K4_SCALES \
	FMOVS (R12), F18           /* da */ \
	K_D(0, F16)                /* d */ \
	K_D(2, F17)                \
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
	ADDP_4S(25, 26, 25)

// MUL_K4 is the kernel of both: per super-block, K4_SCALES, then MINS
// adds the mins' part to V27, QH loads what HIGH needs, and four pairs of
// sub-blocks (K4_PAIR; levels at offset qs of the block of size bytes)
// add their scaled integer lanes to V19 (lanes 0-3) and V20 (4-7), those
// of odd sub-blocks to V24 and V25 (two chains of MLAs instead of one);
// their sums are added to acc as in fmaLanes; at the end SUM adds V27's
// part to hsum8(acc) in F28.
#define MUL_K4(DOT, CONST, MINS, QH, HIGH, qs, size, SUM) \
	MUL_START \
	VMOVI $15, V31.B16 \
	CONST \
k4row: \
	TILE_START \
k4token: \
	ROW_START \
	VEOR V27.B16, V27.B16, V27.B16 \
k4block: \
	K4_SCALES                  \
	MINS                       \
	QH                         \
	ADD   $4, R12, R14         /* activation levels */ \
	ADD   $qs, R8, R15         /* weight levels */ \
	VEOR  V19.B16, V19.B16, V19.B16 \
	VEOR  V20.B16, V20.B16, V20.B16 \
	VEOR  V24.B16, V24.B16, V24.B16 \
	VEOR  V25.B16, V25.B16, V25.B16 \
	K4_PAIR(DOT, HIGH, 22, 0, 1) \
	K4_PAIR(DOT, HIGH, 22, 2, 3) \
	K4_PAIR(DOT, HIGH, 23, 0, 1) \
	K4_PAIR(DOT, HIGH, 23, 2, 3) \
	ADD_4S(19, 19, 24)         \
	ADD_4S(20, 20, 25)         \
	SCVTF_4S(19, 19)           \
	SCVTF_4S(20, 20)           \
	FMLA_ELEM(28, 19, 16, 0)   \
	FMLA_ELEM(29, 20, 16, 0)   \
	ADD  $size, R8             \
	ADD  $292, R12             \
	SUB  $1, R13               \
	CBNZ R13, k4block          \
	FADD_4S(28, 28, 29)        \
	HSUM4(28, 29)              \
	SUM                        \
	FMOVS F28, (R6)            \
	NEXT_TOKEN(k4token)        \
	NEXT_ROW(k4row)            \
	RET

// K4_PAIR: one pair of sub-blocks, 32 bytes of levels (low nibbles:
// sub-block 2p, high: 2p+1) and 64 activations; the scales of the two
// sub-blocks are lanes jlo and jhi of register sc. HIGH adds Q5_K's fifth
// bits to the nibbles (V6, V7 low, V0, V1 high).
#define K4_PAIR(DOT, HIGH, sc, jlo, jhi) \
	VLD1.P 32(R15), [V0.B16, V1.B16] \
	VLD1.P 64(R14), [V2.B16, V3.B16, V4.B16, V5.B16] \
	VAND  V31.B16, V0.B16, V6.B16 \
	VAND  V31.B16, V1.B16, V7.B16 \
	VUSHR $4, V0.B16, V0.B16      \
	VUSHR $4, V1.B16, V1.B16      \
	HIGH                          \
	LANES_SCALED(DOT, 6, 2, 19, sc, jlo) \
	LANES_SCALED(DOT, 7, 3, 20, sc, jlo) \
	LANES_SCALED(DOT, 0, 4, 24, sc, jhi) \
	LANES_SCALED(DOT, 1, 5, 25, sc, jhi)

#define NONE

// Q4_K: the mins' part in 4 lanes accm (V27), accm_u = fma(dmin, p_2u +
// p_2u+1, accm_u); hsum8(acc) + hsum4(accm) at the end.
#define Q4_K_MINS \
	SCVTF_4S(25, 25) \
	FMLA_ELEM(27, 25, 17, 0)

#define Q4_K_SUM \
	HSUM4(27, 29) \
	FADDS F27, F28, F28

TEXT ·mulQ4_KSDOT(SB), NOSPLIT, $0-72
	MUL_K4(DOT4_SDOT, NONE, Q4_K_MINS, NONE, NONE, 16, 144, Q4_K_SUM)

TEXT ·mulQ4_KNEON(SB), NOSPLIT, $0-72
	MUL_K4(DOT4_NEON, NONE, Q4_K_MINS, NONE, NONE, 16, 144, Q4_K_SUM)

// Q5_K: the mins' parts summed as one integer and added to summs (V27 lane
// 0) with one FMA, added to hsum8(acc) at the end. qh (32 bytes after the
// header, V12, V13) holds the fifth bit of element 64p+l (low nibble) in
// bit 2p of byte l, of 64p+32+l (high nibble) in bit 2p+1: each pair
// takes bits 0 and 1 to bit 4 (V30 = 0x10) and shifts qh right by 2.
#define Q5_K_MINS \
	VADDV V25.S4, V25 \
	SCVTF_S(25, 25)   \
	FMLA_ELEM(27, 25, 17, 0)

#define Q5_K_QH \
	ADD  $16, R8, R14 \
	VLD1 (R14), [V12.B16, V13.B16]

#define Q5_K_HIGH \
	VSHL  $4, V12.B16, V14.B16    \
	VSHL  $4, V13.B16, V15.B16    \
	VAND  V30.B16, V14.B16, V14.B16 \
	VAND  V30.B16, V15.B16, V15.B16 \
	VORR  V14.B16, V6.B16, V6.B16 \
	VORR  V15.B16, V7.B16, V7.B16 \
	VSHL  $3, V12.B16, V14.B16    \
	VSHL  $3, V13.B16, V15.B16    \
	VAND  V30.B16, V14.B16, V14.B16 \
	VAND  V30.B16, V15.B16, V15.B16 \
	VORR  V14.B16, V0.B16, V0.B16 \
	VORR  V15.B16, V1.B16, V1.B16 \
	VUSHR $2, V12.B16, V12.B16    \
	VUSHR $2, V13.B16, V13.B16

#define Q5_K_CONST VMOVI $16, V30.B16

#define Q5_K_SUM FADDS F27, F28, F28

TEXT ·mulQ5_KSDOT(SB), NOSPLIT, $0-72
	MUL_K4(DOT4_SDOT, Q5_K_CONST, Q5_K_MINS, Q5_K_QH, Q5_K_HIGH, 48, 176, Q5_K_SUM)

TEXT ·mulQ5_KNEON(SB), NOSPLIT, $0-72
	MUL_K4(DOT4_NEON, Q5_K_CONST, Q5_K_MINS, Q5_K_QH, Q5_K_HIGH, 48, 176, Q5_K_SUM)

// SCALES16 widens the 16 signed byte scales in V25 to int32 in V21-V24
// (four each), for MLA by element; clobbers V26.
#define SCALES16 \
	SXTL_8H(26, 25)  \
	SXTL2_8H(25, 25) \
	SXTL_4S(21, 26)  \
	SXTL2_4S(22, 26) \
	SXTL_4S(23, 25)  \
	SXTL2_4S(24, 25)

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
	K_D(208, F16)              \
	ADD   $192, R8, R14        \
	VLD1  (R14), [V25.B16]     \
	SCALES16                   \
	ADD   $4, R12, R14         /* activation levels */ \
	MOVD  R8, R15              /* ql */ \
	ADD   $128, R8, R17        /* qh */ \
	VEOR  V19.B16, V19.B16, V19.B16 \
	VEOR  V20.B16, V20.B16, V20.B16 \
	VEOR  V12.B16, V12.B16, V12.B16 \
	VEOR  V13.B16, V13.B16, V13.B16 \
	Q6_K_HALF(DOT, 21, 22)     \
	Q6_K_HALF(DOT, 23, 24)     \
	ADD_4S(19, 19, 12)         \
	ADD_4S(20, 20, 13)         \
	SCVTF_4S(19, 19)           \
	SCVTF_4S(20, 20)           \
	FMLA_ELEM(28, 19, 16, 0)   \
	FMLA_ELEM(29, 20, 16, 0)   \
	ADD  $210, R8              \
	ADD  $292, R12             \
	SUB  $1, R13               \
	CBNZ R13, q6kblock         \
	FADD_4S(28, 28, 29)        \
	HSUM4(28, 29)              \
	FMOVS F28, (R6)            \
	NEXT_TOKEN(q6ktoken)       \
	NEXT_ROW(q6krow)           \
	RET

// Q6_K_HALF: 128 elements, 64 bytes ql (V0-V3) and 32 bytes qh (V4, V5),
// as unpackQ6_K: 16-element group g (elements 16g..16g+15) takes ql
// register g%4 (low nibbles for g < 4, high for g >= 4) and qh register
// g%2, bits 2(g/2)..2(g/2)+1; its scale is lane g%4 of sa (g < 4) or sb.
// Groups 4-7 add to V12, V13 instead of V19, V20: two chains of MLAs.
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
	Q6_K_GROUP(DOT, 12, sb, 0)    \
	VUSHR $4, V1.B16, V6.B16      \
	VORR  V5.B16, V5.B16, V7.B16  \
	Q6_K_GROUP(DOT, 13, sb, 1)    \
	VUSHR $4, V2.B16, V6.B16      \
	VUSHR $2, V4.B16, V7.B16      \
	Q6_K_GROUP(DOT, 12, sb, 2)    \
	VUSHR $4, V3.B16, V6.B16      \
	VUSHR $2, V5.B16, V7.B16      \
	Q6_K_GROUP(DOT, 13, sb, 3)

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

// IQ4_NL's vec_dot (vecDotIQ4_NL), one row at a time: blocks in pairs,
// the first of each pair into acc1 (V22 lanes 0-3, V23 4-7), the second
// into acc2 (V24, V25), which are added lane by lane, then hsum8; an odd
// last block adds its whole integer sum with one scalar FMA.
#define IQ4_NL_BLOCK(DOT) \
	VLD1R.P 2(R12), [V16.H4]            \
	VLD1.P  32(R12), [V17.B16, V18.B16] \
	IQ4_NL_ROW(R8, 0, V0, V1)           \
	VEOR V8.B16, V8.B16, V8.B16         \
	VEOR V9.B16, V9.B16, V9.B16         \
	DOT(8, 0, 17, 20, 21)               \
	DOT(9, 1, 18, 20, 21)               \
	FCVTL_4S(19, 19)                    \
	FCVTL_4S(16, 16)                    \
	FMUL_4S(19, 19, 16)                 /* da·dw in lane 0 */

#define MUL_IQ4_NL_VECDOT(DOT) \
	MUL_START \
	IQ4_NL_CONST \
irow: \
	TILE_START \
itoken: \
	MOVD R0, R8  \
	MOVD R5, R12 \
	MOVD nb+48(FP), R13 \
	LSR  $1, R13, R15 /* pairs */ \
	AND  $1, R13      /* odd last block */ \
	VEOR V22.B16, V22.B16, V22.B16 \
	VEOR V23.B16, V23.B16, V23.B16 \
	VEOR V24.B16, V24.B16, V24.B16 \
	VEOR V25.B16, V25.B16, V25.B16 \
	CBZ  R15, ilast \
ipair: \
	IQ4_NL_BLOCK(DOT)        \
	SCVTF_4S(8, 8)           \
	SCVTF_4S(9, 9)           \
	FMLA_ELEM(22, 8, 19, 0)  \
	FMLA_ELEM(23, 9, 19, 0)  \
	IQ4_NL_BLOCK(DOT)        \
	SCVTF_4S(8, 8)           \
	SCVTF_4S(9, 9)           \
	FMLA_ELEM(24, 8, 19, 0)  \
	FMLA_ELEM(25, 9, 19, 0)  \
	SUB  $1, R15 \
	CBNZ R15, ipair \
ilast: \
	FADD_4S(22, 22, 24)      \
	FADD_4S(23, 23, 25)      \
	FADD_4S(22, 22, 23)      \
	HSUM4(22, 23)            \
	CBZ  R13, idone          \
	IQ4_NL_BLOCK(DOT)        \
	ADD_4S(8, 8, 9)          \
	VADDV V8.S4, V8          \
	SCVTF_S(8, 8)            \
	FMADDS F8, F22, F19, F22 \
idone: \
	FMOVS F22, (R6)      \
	NEXT_TOKEN(itoken)   \
	NEXT_ROW(irow)       \
	RET

TEXT ·mulIQ4_NLVecDotSDOT(SB), NOSPLIT, $0-72
	MUL_IQ4_NL_VECDOT(DOT4_SDOT)

TEXT ·mulIQ4_NLVecDotNEON(SB), NOSPLIT, $0-72
	MUL_IQ4_NL_VECDOT(DOT4_NEON)

// Q2_K and Q3_K (vecDotQ2_K, vecDotQ3_K): 2-bit levels, 16 scales of 16
// elements. SCALES sets d (V16 lane 0) and the scales (V21-V24, int32,
// SCALES16); element 128h + 32k + l is bits 2k, 2k+1 of qs[32h+l] (qs at
// offset qs of the block of size bytes), to which HIGH adds Q3_K's third
// bit. Integer lanes in V19 (0-3: l < 16) and V20 (4-7), added to acc as
// in fmaLanes.
#define MUL_K16(DOT, CONST, SCALES, HIGH, qs, size) \
	MUL_START \
	CONST \
k16row: \
	TILE_START \
k16token: \
	ROW_START \
k16block: \
	SCALES                     \
	ADD   $4, R12, R14         /* activation levels */ \
	ADD   $qs, R8, R15         /* weight levels */ \
	VEOR  V19.B16, V19.B16, V19.B16 \
	VEOR  V20.B16, V20.B16, V20.B16 \
	VEOR  V14.B16, V14.B16, V14.B16 \
	VEOR  V15.B16, V15.B16, V15.B16 \
	K16_HALF(DOT, HIGH, 21, 22) \
	K16_HALF(DOT, HIGH, 23, 24) \
	ADD_4S(19, 19, 14)         \
	ADD_4S(20, 20, 15)         \
	SCVTF_4S(19, 19)           \
	SCVTF_4S(20, 20)           \
	FMLA_ELEM(28, 19, 16, 0)   \
	FMLA_ELEM(29, 20, 16, 0)   \
	ADD  $size, R8             \
	ADD  $292, R12             \
	SUB  $1, R13               \
	CBNZ R13, k16block         \
	FADD_4S(28, 28, 29)        \
	HSUM4(28, 29)              \
	FMOVS F28, (R6)            \
	NEXT_TOKEN(k16token)       \
	NEXT_ROW(k16row)           \
	RET

// K16_HALF: 128 elements, 32 bytes of qs (V0, V1) shifted right by 2 after
// each 32 elements; the scales of elements 16g.. are lane g%4 of sa (g <
// 4) or sb.
#define K16_HALF(DOT, HIGH, sa, sb) \
	VLD1.P 32(R15), [V0.B16, V1.B16] \
	K16_CHUNK(DOT, HIGH, 19, 20, sa, 0, 1) \
	K16_CHUNK(DOT, HIGH, 19, 20, sa, 2, 3) \
	K16_CHUNK(DOT, HIGH, 14, 15, sb, 0, 1) \
	K16_CHUNK(DOT, HIGH, 14, 15, sb, 2, 3)

// K16_CHUNK: 32 elements, levels V6 (l < 16) and V7 (V31 = 3), their
// integer lanes into lo and hi (V19, V20, or V14, V15 for the second half
// of each 128: two chains of MLAs).
#define K16_CHUNK(DOT, HIGH, lo, hi, sc, ilo, ihi) \
	VAND  V31.B16, V0.B16, V6.B16 \
	VAND  V31.B16, V1.B16, V7.B16 \
	HIGH                          \
	VLD1.P 32(R14), [V2.B16, V3.B16] \
	LANES_SCALED(DOT, 6, 2, lo, sc, ilo) \
	LANES_SCALED(DOT, 7, 3, hi, sc, ihi) \
	VUSHR $2, V0.B16, V0.B16      \
	VUSHR $2, V1.B16, V1.B16

// Q2_K: scales in the low nibbles of the first 16 bytes (V30 = 0x0f),
// mins in the high ones; d = da·dw, dmin = -(da·dmin_w). Before the
// levels, the mins go to acc: lane t += fma(dmin, m_2t·bsum_2t +
// m_2t+1·bsum_2t+1).
#define Q2_K_CONST \
	VMOVI $3, V31.B16 \
	VMOVI $15, V30.B16

#define Q2_K_SCALES \
	FMOVS (R12), F18           \
	K_D(80, F16)               \
	K_D(82, F17)               \
	FNEGS F17, F17             /* dmin */ \
	VLD1  (R8), [V25.B16]      \
	VUSHR $4, V25.B16, V26.B16 \
	VAND  V30.B16, V25.B16, V25.B16 \
	VUXTL V26.B8, V0.H8        /* mins 0-7 */ \
	VUXTL2 V26.B16, V1.H8      /* mins 8-15 */ \
	ADD   $260, R12, R14       \
	VLD1  (R14), [V2.H8, V3.H8] /* bsums */ \
	SMULL_4S(4, 0, 2)          \
	SMULL2_4S(5, 0, 2)         \
	SMULL_4S(6, 1, 3)          \
	SMULL2_4S(7, 1, 3)         \
	ADDP_4S(4, 4, 5)           \
	ADDP_4S(6, 6, 7)           \
	SCVTF_4S(4, 4)             \
	SCVTF_4S(6, 6)             \
	FMLA_ELEM(28, 4, 17, 0)    \
	FMLA_ELEM(29, 6, 17, 0)    \
	SCALES16

TEXT ·mulQ2_KSDOT(SB), NOSPLIT, $0-72
	MUL_K16(DOT4_SDOT, Q2_K_CONST, Q2_K_SCALES, NONE, 16, 84)

TEXT ·mulQ2_KNEON(SB), NOSPLIT, $0-72
	MUL_K16(DOT4_NEON, Q2_K_CONST, Q2_K_SCALES, NONE, 16, 84)

// Q3_K: hmask (32 bytes, V12, V13) holds the third bit of element 128h +
// 32k + l in bit 4h+k of hmask[l], shifted right by 1 after each 32
// elements; level = (2 bits | third bit << 2) - 4 (V30 = 4). The 12 bytes
// of 6-bit scales are unpacked as llama.cpp's aux words (unpackQ3_K),
// minus 32 (V27).
#define Q3_K_CONST \
	VMOVI $3, V31.B16 \
	VMOVI $4, V30.B16 \
	VMOVI $32, V27.B16

#define Q3_K_SCALES \
	FMOVS (R12), F18           \
	K_D(108, F16)              \
	MOVWU 96(R8), R14          /* aux[0..2] */ \
	MOVWU 100(R8), R15         \
	MOVWU 104(R8), R16         \
	ANDW  $0x0f0f0f0f, R14, R17 /* scales 0-3: aux0 & 0x0f.. | (aux2 & 0x03..)<<4 */ \
	ANDW  $0x03030303, R16, R19 \
	ORRW  R19<<4, R17          \
	ANDW  $0x0f0f0f0f, R15, R20 /* 4-7: aux1, aux2>>2 */ \
	LSRW  $2, R16, R19         \
	ANDW  $0x03030303, R19     \
	ORRW  R19<<4, R20          \
	LSRW  $4, R14              /* 8-11: aux0>>4, aux2>>4 */ \
	ANDW  $0x0f0f0f0f, R14     \
	LSRW  $4, R16, R19         \
	ANDW  $0x03030303, R19     \
	ORRW  R19<<4, R14          \
	LSRW  $4, R15              /* 12-15: aux1>>4, aux2>>6 */ \
	ANDW  $0x0f0f0f0f, R15     \
	LSRW  $6, R16, R19         \
	ANDW  $0x03030303, R19     \
	ORRW  R19<<4, R15          \
	ORR   R20<<32, R17         \
	ORR   R15<<32, R14         \
	VMOV  R17, V25.D[0]        \
	VMOV  R14, V25.D[1]        \
	VSUB  V27.B16, V25.B16, V25.B16 \
	SCALES16                   \
	VLD1  (R8), [V12.B16, V13.B16] /* hmask */

#define Q3_K_HIGH \
	VSHL  $2, V12.B16, V8.B16     \
	VAND  V30.B16, V8.B16, V8.B16 \
	VORR  V8.B16, V6.B16, V6.B16  \
	VSHL  $2, V13.B16, V8.B16     \
	VAND  V30.B16, V8.B16, V8.B16 \
	VORR  V8.B16, V7.B16, V7.B16  \
	VSUB  V30.B16, V6.B16, V6.B16 \
	VSUB  V30.B16, V7.B16, V7.B16 \
	VUSHR $1, V12.B16, V12.B16    \
	VUSHR $1, V13.B16, V13.B16

TEXT ·mulQ3_KSDOT(SB), NOSPLIT, $0-72
	MUL_K16(DOT4_SDOT, Q3_K_CONST, Q3_K_SCALES, Q3_K_HIGH, 32, 110)

TEXT ·mulQ3_KNEON(SB), NOSPLIT, $0-72
	MUL_K16(DOT4_NEON, Q3_K_CONST, Q3_K_SCALES, Q3_K_HIGH, 32, 110)

// The float types, one row at a time (their sums have no integer part: the
// FMAs follow each other in 16 or 64 independent lanes). W and A load the
// next 16 elements of the weight row (R8) and the activation row (R12) as
// float32 into V0-V3 and V4-V7; FMA16 adds their products to 16 lanes.
#define F32_W VLD1.P 64(R8), [V0.S4, V1.S4, V2.S4, V3.S4]
#define F32_A VLD1.P 64(R12), [V4.S4, V5.S4, V6.S4, V7.S4]

#define F16_W \
	VLD1.P 32(R8), [V8.H8, V9.H8] \
	FCVTL_4S(0, 8)  \
	FCVTL2_4S(1, 8) \
	FCVTL_4S(2, 9)  \
	FCVTL2_4S(3, 9)

#define F16_A \
	VLD1.P 32(R12), [V10.H8, V11.H8] \
	FCVTL_4S(4, 10)  \
	FCVTL2_4S(5, 10) \
	FCVTL_4S(6, 11)  \
	FCVTL2_4S(7, 11)

#define FMA16(a0, a1, a2, a3) \
	VFMLA V4.S4, V0.S4, a0.S4 \
	VFMLA V5.S4, V1.S4, a1.S4 \
	VFMLA V6.S4, V2.S4, a2.S4 \
	VFMLA V7.S4, V3.S4, a3.S4

#define FLOAT_ROW_START \
	MOVD R0, R8  \
	MOVD R5, R12 \
	MOVD nb+48(FP), R15

#define FLOAT_ROW_END \
	FMOVS F16, (R6)    \
	NEXT_TOKEN(ftoken) \
	NEXT_ROW(frow)     \
	RET

#define ZERO16(a0, a1, a2, a3) \
	VEOR a0.B16, a0.B16, a0.B16 \
	VEOR a1.B16, a1.B16, a1.B16 \
	VEOR a2.B16, a2.B16, a2.B16 \
	VEOR a3.B16, a3.B16, a3.B16

// tinyBLAS<16> for F32 and F16 (gemmF32, gemmF16): element i of every 16
// to lane i (V16-V19) with an FMA (F16: the product is exact, so the FMA
// is the add of gemmF16), then reduce16. n is a multiple of 16.
#define MUL_GEMM_F(W, A) \
	MUL_START \
frow: \
	TILE_START \
ftoken: \
	FLOAT_ROW_START \
	LSR  $4, R15, R13 \
	ZERO16(V16, V17, V18, V19) \
floop: \
	W \
	A \
	FMA16(V16, V17, V18, V19) \
	SUB  $1, R13 \
	CBNZ R13, floop \
	REDUCE16(16, 17, 18, 19) \
	FLOAT_ROW_END

// ggml_vec_dot_f32 and _f16 (vecDotF32, vecDotF16): the leading multiple
// of 64 elements in 64 lanes V16-V31 (element i to lane i mod 64), reduced
// by reduce64 into F16; TAIL adds the last R15 elements.
#define MUL_VECDOT_F(W, A, TAIL) \
	MUL_START \
frow: \
	TILE_START \
ftoken: \
	FLOAT_ROW_START \
	LSR  $6, R15, R13 \
	AND  $63, R15 \
	ZERO16(V16, V17, V18, V19) \
	ZERO16(V20, V21, V22, V23) \
	ZERO16(V24, V25, V26, V27) \
	ZERO16(V28, V29, V30, V31) \
	CBZ  R13, freduce \
floop: \
	W \
	A \
	FMA16(V16, V17, V18, V19) \
	W \
	A \
	FMA16(V20, V21, V22, V23) \
	W \
	A \
	FMA16(V24, V25, V26, V27) \
	W \
	A \
	FMA16(V28, V29, V30, V31) \
	SUB  $1, R13 \
	CBNZ R13, floop \
freduce: \
	FADD_4S(16, 16, 24) /* lanes i, 32+i */ \
	FADD_4S(20, 20, 28) /* 16+i, 48+i */ \
	FADD_4S(16, 16, 20) \
	FADD_4S(17, 17, 25) \
	FADD_4S(21, 21, 29) \
	FADD_4S(17, 17, 21) \
	FADD_4S(18, 18, 26) \
	FADD_4S(22, 22, 30) \
	FADD_4S(18, 18, 22) \
	FADD_4S(19, 19, 27) \
	FADD_4S(23, 23, 31) \
	FADD_4S(19, 19, 23) \
	REDUCE16(16, 17, 18, 19) \
	TAIL \
	FLOAT_ROW_END

// vecDotF32's remainder, as GCC compiles "sumf += x[i]*y[i]": the products
// of the leading multiple of 8 rounded and added one by one, the last 0-7
// fused.
#define F32_TAIL \
	AND  $~7, R15, R14 \
	SUB  R14, R15 \
	CBZ  R14, f32fused \
f32unfused: \
	FMOVS.P 4(R8), F0  \
	FMOVS.P 4(R12), F1 \
	FMULS F0, F1, F1   \
	FADDS F1, F16, F16 \
	SUB  $1, R14 \
	CBNZ R14, f32unfused \
f32fused: \
	CBZ  R15, f32done \
	FMOVS.P 4(R8), F0  \
	FMOVS.P 4(R12), F1 \
	FMADDS F1, F16, F0, F16 \
	SUB  $1, R15 \
	B    f32fused \
f32done:

// vecDotF16's and vecDotBF16's remainder: each product (exact in float32)
// added to the float64 sum in F16; LOADH converts the half at (ptr) to
// float32 register f.
#define FLOAT64_TAIL(LOADH) \
f64tail: \
	CBZ  R15, f64done \
	LOADH(R8, F0)  \
	LOADH(R12, F1) \
	FMULS F0, F1, F1 \
	FCVTSD F1, F1 \
	FADDD F1, F16, F16 \
	SUB  $1, R15 \
	B    f64tail \
f64done: \
	FCVTDS F16, F16

#define LOAD_F16(ptr, f) \
	MOVHU.P 2(ptr), R14 \
	FMOVS R14, f \
	FCVTHS f, f

#define LOAD_BF16(ptr, f) \
	MOVHU.P 2(ptr), R14 \
	LSLW $16, R14 \
	FMOVS R14, f

#define F16_TAIL \
	FCVTSD F16, F16 \
	FLOAT64_TAIL(LOAD_F16)

TEXT ·mulF32Gemm(SB), NOSPLIT, $0-72
	MUL_GEMM_F(F32_W, F32_A)

TEXT ·mulF16Gemm(SB), NOSPLIT, $0-72
	MUL_GEMM_F(F16_W, F16_A)

TEXT ·mulF32VecDot(SB), NOSPLIT, $0-72
	MUL_VECDOT_F(F32_W, F32_A, F32_TAIL)

TEXT ·mulF16VecDot(SB), NOSPLIT, $0-72
	MUL_VECDOT_F(F16_W, F16_A, F16_TAIL)

// DPBF16(c0, c1, c2, c3) is dpbf16 on the next 32 elements of each row:
// 32-bit lane j of a load holds elements 2j (low half) and 2j+1 (high
// half), whose float32 values are the lane with the low half cleared (V31
// = 0xffff0000) and the lane shifted left by 16; lane j adds the product
// of the high halves, then of the low ones, each rounded (FMUL, FADD).
#define DPBF16(c0, c1, c2, c3) \
	VLD1.P 64(R8), [V0.S4, V1.S4, V2.S4, V3.S4]  \
	VLD1.P 64(R12), [V4.S4, V5.S4, V6.S4, V7.S4] \
	VAND V31.B16, V0.B16, V8.B16  \
	VAND V31.B16, V1.B16, V9.B16  \
	VAND V31.B16, V2.B16, V10.B16 \
	VAND V31.B16, V3.B16, V11.B16 \
	VAND V31.B16, V4.B16, V12.B16 \
	VAND V31.B16, V5.B16, V13.B16 \
	VAND V31.B16, V6.B16, V14.B16 \
	VAND V31.B16, V7.B16, V15.B16 \
	VSHL $16, V0.S4, V0.S4 \
	VSHL $16, V1.S4, V1.S4 \
	VSHL $16, V2.S4, V2.S4 \
	VSHL $16, V3.S4, V3.S4 \
	VSHL $16, V4.S4, V4.S4 \
	VSHL $16, V5.S4, V5.S4 \
	VSHL $16, V6.S4, V6.S4 \
	VSHL $16, V7.S4, V7.S4 \
	BF16_LANES(c0, 8, 12, 0, 4) \
	BF16_LANES(c1, 9, 13, 1, 5) \
	BF16_LANES(c2, 10, 14, 2, 6) \
	BF16_LANES(c3, 11, 15, 3, 7)

#define BF16_LANES(c, hw, ha, lw, la) \
	FMUL_4S(hw, hw, ha) \
	FADD_4S(c, c, hw)   \
	FMUL_4S(lw, lw, la) \
	FADD_4S(c, c, lw)

#define BF16_CONST \
	MOVD $0xffff0000ffff0000, R14 \
	VMOV R14, V31.D[0] \
	VMOV R14, V31.D[1]

// tinyBLAS<32> for BF16 (gemmBF16): one DPBF16 per 32 elements into 16
// lanes, then reduce16. n is a multiple of 32.
TEXT ·mulBF16Gemm(SB), NOSPLIT, $0-72
	MUL_START
	BF16_CONST

frow:
	TILE_START

ftoken:
	FLOAT_ROW_START
	LSR $5, R15, R13
	ZERO16(V16, V17, V18, V19)

floop:
	DPBF16(16, 17, 18, 19)
	SUB  $1, R13
	CBNZ R13, floop
	REDUCE16(16, 17, 18, 19)
	FLOAT_ROW_END

// ggml_vec_dot_bf16 (vecDotBF16): per 64 elements one DPBF16 into c1
// (V16-V19), one into c2 (V20-V23); reduce16 of each added in float64,
// then the remainder.
TEXT ·mulBF16VecDot(SB), NOSPLIT, $0-72
	MUL_START
	BF16_CONST

frow:
	TILE_START

ftoken:
	FLOAT_ROW_START
	LSR $6, R15, R13
	AND $63, R15
	ZERO16(V16, V17, V18, V19)
	ZERO16(V20, V21, V22, V23)
	CBZ R13, freduce

floop:
	DPBF16(16, 17, 18, 19)
	DPBF16(20, 21, 22, 23)
	SUB  $1, R13
	CBNZ R13, floop

freduce:
	REDUCE16(16, 17, 18, 19)
	REDUCE16(20, 21, 22, 23)
	FCVTSD F16, F16
	FCVTSD F20, F20
	FADDD  F20, F16
	FLOAT64_TAIL(LOAD_BF16)
	FLOAT_ROW_END

// F16_QUIET_NAN replaces the half float in the low 16 bits of r by
// sign|0x7e00 if it is a NaN: FCVT keeps a NaN's payload bits, which
// quant.FP32ToFP16 (the bytes to match) drops.
#define F16_QUIET_NAN(r) \
	AND  $0x7fff, r, R8  \
	CMP  $0x7c00, R8     \
	BLS  3(PC)           \
	AND  $0x8000, r, r   \
	ORR  $0x7e00, r, r

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
	F16_QUIET_NAN(R7)
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
	F16_QUIET_NAN(R7)
	MOVH  R7, 2(R0)

q8next:
	ADD  $32, R6, R0
	SUB  $1, R2
	CBNZ R2, q8quant
	RET
