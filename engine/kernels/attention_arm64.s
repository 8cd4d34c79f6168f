//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// Attention products over an F16 KV cache in NEON (attention_arm64.go says
// which Go function each one reproduces). Every float operation is the one
// of the Go function: FCVTL widens F16 to F32 exactly (as f16Table), FMLA is
// fma32, and the adds follow the trees of reduce16 and reduce64 (x86.go)
// with float32 lanes i..i+3 of a tree level in one register.
//
// The vector instructions the Go assembler lacks are WORDs (neon_arm64.h
// says how; it has the ones the arm64 files share).

#define FADD_2D(d, n, m) ENC3(0x4E60D400, d, n, m)
#define FCVTL_2D(d, n) ENC2(0x0E617800, d, n)       // lower 2 singles to doubles
#define FCVTL2_2D(d, n) ENC2(0x4E617800, d, n)      // upper 2 singles
#define FCVTN_2S(d, n) ENC2(0x0E616800, d, n)       // doubles to the lower singles
#define FCVTN2_4S(d, n) ENC2(0x4E616800, d, n)      // doubles to the upper singles

// REDUCE16(x0, x1, x2, x3): lane 0 of x0 = reduce16 of the 16 lanes x0..x3
// (clobbers x1, x2): t = x[i+8] + x[i], u = t[i+4] + t[i], hsum4(u).
#define REDUCE16(x0, x1, x2, x3) \
	FADD_4S(x0, x2, x0) \
	FADD_4S(x1, x3, x1) \
	FADD_4S(x0, x1, x0) \
	HSUM4(x0, x2)

// KEY16(a0, a1, a2, a3): 16 lanes a0..a3 += the next 16 keys (R6) times the
// next 16 query values (R7), fma32(key, q, acc); clobbers V16-V17, V20-V27.
#define KEY16(a0, a1, a2, a3) \
	VLD1.P 32(R6), [V16.H8, V17.H8]                 \
	VLD1.P 64(R7), [V20.S4, V21.S4, V22.S4, V23.S4] \
	FCVTL_4S(24, 16)                                \
	FCVTL2_4S(25, 16)                               \
	FCVTL_4S(26, 17)                                \
	FCVTL2_4S(27, 17)                               \
	FMLA_4S(a0, 24, 20)                             \
	FMLA_4S(a1, 25, 21)                             \
	FMLA_4S(a2, 26, 22)                             \
	FMLA_4S(a3, 27, 23)

#define ZERO4(a, b, c, d) \
	VEOR a.B16, a.B16, a.B16 \
	VEOR b.B16, b.B16, b.B16 \
	VEOR c.B16, c.B16, c.B16 \
	VEOR d.B16, d.B16, d.B16

// func kvScoresF16Lanes16(scores *float32, n int, keys *byte, stride int, q *float32, hd int, scale float32)
//
// One key at a time, its 16 lanes in V0-V3; consecutive keys are
// independent, so the out-of-order core overlaps their FMA chains.
TEXT ·kvScoresF16Lanes16(SB), NOSPLIT, $0-52
	MOVD  scores+0(FP), R0
	MOVD  n+8(FP), R1
	MOVD  keys+16(FP), R2
	MOVD  stride+24(FP), R3
	MOVD  q+32(FP), R4
	MOVD  hd+40(FP), R5
	FMOVS scale+48(FP), F31

key16:
	ZERO4(V0, V1, V2, V3)
	MOVD R2, R6
	MOVD R4, R7
	MOVD R5, R8

elem16:
	KEY16(0, 1, 2, 3)
	SUBS $16, R8
	BNE  elem16

	REDUCE16(0, 1, 2, 3)
	FMULS   F31, F0, F0
	FMOVS.P F0, 4(R0)
	ADD     R3, R2
	SUBS    $1, R1
	BNE     key16
	RET

// func kvScoresF16Lanes64(scores *float32, n int, keys *byte, stride int, q *float32, hd int, scale float32)
//
// Lanes 4k..4k+3 in Vk (k < 16) over the leading hd&^63 elements; the rest
// one at a time into the float64 sum in F0.
TEXT ·kvScoresF16Lanes64(SB), NOSPLIT, $0-52
	MOVD  scores+0(FP), R0
	MOVD  n+8(FP), R1
	MOVD  keys+16(FP), R2
	MOVD  stride+24(FP), R3
	MOVD  q+32(FP), R4
	MOVD  hd+40(FP), R5
	FMOVS scale+48(FP), F31
	AND   $~63, R5, R9           // elements in the 64 lanes

key64:
	ZERO4(V0, V1, V2, V3)
	ZERO4(V4, V5, V6, V7)
	ZERO4(V8, V9, V10, V11)
	ZERO4(V12, V13, V14, V15)
	MOVD R2, R6
	MOVD R4, R7
	MOVD R9, R8
	CBZ  R8, reduce64

block64:
	KEY16(0, 1, 2, 3)
	KEY16(4, 5, 6, 7)
	KEY16(8, 9, 10, 11)
	KEY16(12, 13, 14, 15)
	SUBS $64, R8
	BNE  block64

reduce64:
	// reduce64: lane i is (acc[i]+acc[32+i]) + (acc[16+i]+acc[48+i]),
	// then reduce16.
	FADD_4S(0, 0, 8)
	FADD_4S(4, 4, 12)
	FADD_4S(0, 0, 4)
	FADD_4S(1, 1, 9)
	FADD_4S(5, 5, 13)
	FADD_4S(1, 1, 5)
	FADD_4S(2, 2, 10)
	FADD_4S(6, 6, 14)
	FADD_4S(2, 2, 6)
	FADD_4S(3, 3, 11)
	FADD_4S(7, 7, 15)
	FADD_4S(3, 3, 7)
	REDUCE16(0, 1, 2, 3)
	SUB   R9, R5, R8             // elements left
	CBZ   R8, scale64            // no rest: float32(float64(x)) is x
	FCVTSD F0, F0

tail64:
	MOVHU.P 2(R6), R10
	FMOVS   R10, F16
	FCVTHS  F16, F16
	FMOVS.P 4(R7), F17
	FMULS   F17, F16, F16        // key·q
	FCVTSD  F16, F16
	FADDD   F16, F0, F0
	SUBS    $1, R8
	BNE     tail64
	FCVTDS  F0, F0

scale64:
	FMULS   F31, F0, F0
	FMOVS.P F0, 4(R0)
	ADD     R3, R2
	SUBS    $1, R1
	BNE     key64
	RET

// VALUE16(a0, a1, a2, a3): 16 lanes a0..a3 += p (V31) times the next 16
// values (R12), fma32(p, value, acc); clobbers V16-V17, V24-V27.
#define VALUE16(a0, a1, a2, a3) \
	VLD1.P 32(R12), [V16.H8, V17.H8] \
	FCVTL_4S(24, 16)                 \
	FCVTL2_4S(25, 16)                \
	FCVTL_4S(26, 17)                 \
	FCVTL2_4S(27, 17)                \
	FMLA_4S(a0, 31, 24)              \
	FMLA_4S(a1, 31, 25)              \
	FMLA_4S(a2, 31, 26)              \
	FMLA_4S(a3, 31, 27)

// func kvAccumulateF16(acc *float32, lanes, hd int, probs *float32, n int, values *byte, stride int)
//
// One lane at a time, its accumulators in registers: 64 dimensions in
// V0-V15 (sixteen independent FMA chains), then the rest 16 at a time in
// V0-V3; the lane's positions j, j+lanes, … each add their 64 (or 16)
// values, and the sums are stored once.
TEXT ·kvAccumulateF16(SB), NOSPLIT, $0-56
	MOVD acc+0(FP), R0           // lane row of acc
	MOVD lanes+8(FP), R1
	MOVD hd+16(FP), R2
	MOVD probs+24(FP), R3        // probability of the lane's first position
	MOVD n+32(FP), R4
	MOVD values+40(FP), R5       // value row of the lane's first position
	MOVD stride+48(FP), R6
	ADD  R4<<2, R3, R4           // end of the probabilities
	MUL  R1, R6, R7              // bytes from a position to the lane's next
	LSL  $2, R1, R8              // the same in probabilities
	MOVD R1, R9                  // lanes left

lane:
	MOVD R0, R10                 // acc of the dimension
	MOVD R5, R11                 // value row at the dimension
	MOVD R2, R13                 // dimensions left

dims64:
	CMP  $64, R13
	BLT  dims16
	ZERO4(V0, V1, V2, V3)
	ZERO4(V4, V5, V6, V7)
	ZERO4(V8, V9, V10, V11)
	ZERO4(V12, V13, V14, V15)
	MOVD R11, R14                // value row of the position
	MOVD R3, R15                 // its probability
	CMP  R4, R15
	BHS  store64

pos64:
	VLD1R (R15), [V31.S4]
	MOVD  R14, R12
	VALUE16(0, 1, 2, 3)
	VALUE16(4, 5, 6, 7)
	VALUE16(8, 9, 10, 11)
	VALUE16(12, 13, 14, 15)
	ADD   R7, R14
	ADD   R8, R15
	CMP   R4, R15
	BLO   pos64

store64:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R10)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R10)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R10)
	VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R10)
	ADD    $128, R11
	SUB    $64, R13
	B      dims64

dims16:
	CBZ  R13, nextLane
	ZERO4(V0, V1, V2, V3)
	MOVD R11, R14
	MOVD R3, R15
	CMP  R4, R15
	BHS  store16

pos16:
	VLD1R (R15), [V31.S4]
	MOVD  R14, R12
	VALUE16(0, 1, 2, 3)
	ADD   R7, R14
	ADD   R8, R15
	CMP   R4, R15
	BLO   pos16

store16:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R10)
	ADD    $32, R11
	SUB    $16, R13
	B      dims16

nextLane:
	ADD  R2<<2, R0               // next lane row of acc
	ADD  $4, R3
	ADD  R6, R5
	SUBS $1, R9
	BNE  lane
	RET

// LANE(v): v = the next lane's 4 dimensions (R3), stepping R3 to the
// lane after it (R1 bytes further).
#define LANE(v) \
	VLD1 (R3), [v.S4] \
	ADD  R1, R3

// SUM8 finishes reduce16 of 4 dimensions from t[j] = x[j+8] + x[j] in
// V0-V7 into V0: u[i] = t[i+4] + t[i], then (u0+u2) + (u1+u3).
#define SUM8 \
	FADD_4S(0, 4, 0) \
	FADD_4S(1, 5, 1) \
	FADD_4S(2, 6, 2) \
	FADD_4S(3, 7, 3) \
	FADD_4S(0, 0, 2) \
	FADD_4S(1, 1, 3) \
	FADD_4S(0, 0, 1)

// func kvReduce16(out *float32, acc *float32, hd int)
//
// 4 dimensions at a time: their 16 lanes into V0-V15, then reduce16.
TEXT ·kvReduce16(SB), NOSPLIT, $0-24
	MOVD out+0(FP), R0
	MOVD acc+8(FP), R2
	MOVD hd+16(FP), R4
	LSL  $2, R4, R1              // bytes of a lane row

dims4x16:
	MOVD R2, R3
	LANE(V0)
	LANE(V1)
	LANE(V2)
	LANE(V3)
	LANE(V4)
	LANE(V5)
	LANE(V6)
	LANE(V7)
	LANE(V8)
	LANE(V9)
	LANE(V10)
	LANE(V11)
	LANE(V12)
	LANE(V13)
	LANE(V14)
	LANE(V15)
	FADD_4S(0, 8, 0)
	FADD_4S(1, 9, 1)
	FADD_4S(2, 10, 2)
	FADD_4S(3, 11, 3)
	FADD_4S(4, 12, 4)
	FADD_4S(5, 13, 5)
	FADD_4S(6, 14, 6)
	FADD_4S(7, 15, 7)
	SUM8
	VST1.P [V0.S4], 16(R0)
	ADD    $16, R2
	SUBS   $4, R4
	BNE    dims4x16
	RET

// LANE64(x): x = reduce64's (acc[j]+acc[32+j]) + (acc[16+j]+acc[48+j]) of
// 4 dimensions for the lane j at R3 (R5 = 16 lane rows, R6 = 32), and
// steps R3 to lane j+1; clobbers V16-V19.
#define LANE64(x) \
	ADD  R6, R3, R7               \
	VLD1 (R3), [V16.S4]           \
	VLD1 (R7), [V17.S4]           \
	ADD  R5, R3, R7               \
	ADD  R6, R7, R8               \
	VLD1 (R7), [V18.S4]           \
	VLD1 (R8), [V19.S4]           \
	FADD_4S(x, 16, 17)            \
	FADD_4S(18, 18, 19)           \
	FADD_4S(x, x, 18)             \
	ADD  R1, R3

// func kvReduce64F16(out *float32, acc *float32, hd int, probs *float32, values *byte, stride int, from int, to int)
//
// 4 dimensions at a time: reduce64 of their lanes, widened to float64 in
// V20 (dimensions 0-1) and V21 (2-3), then the float32 products of
// positions from..to-1 added in float64.
TEXT ·kvReduce64F16(SB), NOSPLIT, $0-64
	MOVD out+0(FP), R0
	MOVD acc+8(FP), R2
	MOVD hd+16(FP), R4
	MOVD probs+24(FP), R9
	MOVD values+32(FP), R10
	MOVD stride+40(FP), R11
	MOVD from+48(FP), R12
	MOVD to+56(FP), R13
	LSL  $2, R4, R1              // bytes of a lane row
	LSL  $4, R1, R5              // 16 lane rows
	LSL  $5, R1, R6              // 32
	MUL  R12, R11, R14
	ADD  R14, R10                // value row of position from
	ADD  R12<<2, R9              // its probability

dims4x64:
	MOVD R2, R3
	LANE64(0)
	LANE64(1)
	LANE64(2)
	LANE64(3)
	LANE64(4)
	LANE64(5)
	LANE64(6)
	LANE64(7)
	LANE64(8)
	LANE64(9)
	LANE64(10)
	LANE64(11)
	LANE64(12)
	LANE64(13)
	LANE64(14)
	LANE64(15)
	FADD_4S(0, 8, 0)
	FADD_4S(1, 9, 1)
	FADD_4S(2, 10, 2)
	FADD_4S(3, 11, 3)
	FADD_4S(4, 12, 4)
	FADD_4S(5, 13, 5)
	FADD_4S(6, 14, 6)
	FADD_4S(7, 15, 7)
	SUM8
	FCVTL_2D(20, 0)
	FCVTL2_2D(21, 0)

	// The positions past the lanes: float32 products, float64 sums.
	SUBS R12, R13, R15           // positions left
	BLE  store4
	MOVD R9, R7                  // probability
	MOVD R10, R8                 // value row at the dimensions

tail:
	VLD1R.P 4(R7), [V22.S4]
	FMOVD   (R8), F23
	FCVTL_4S(23, 23)
	FMUL_4S(23, 22, 23)
	FCVTL_2D(24, 23)
	FCVTL2_2D(25, 23)
	FADD_2D(20, 20, 24)
	FADD_2D(21, 21, 25)
	ADD     R11, R8
	SUBS    $1, R15
	BNE     tail

store4:
	FCVTN_2S(0, 20)
	FCVTN2_4S(0, 21)
	VST1.P [V0.S4], 16(R0)
	ADD    $16, R2
	ADD    $8, R10
	SUBS   $4, R4
	BNE    dims4x64
	RET
