//go:build !purego

#include "textflag.h"

// Attention products over an F16 KV cache (attention_amd64.go says which Go
// function each one reproduces). Every float operation is the one of the Go
// function: VCVTPH2PS is exact, VFMADD is fma32, and the adds follow the
// trees of reduce16 and reduce64 (x86.go).

// REDUCE8 adds the 8 lanes of y (x its lower half) into the low lane of x
// as the end of reduce16 does: the upper 128 bits onto the lower, then
// hsum4's (v0+v2) + (v1+v3).
#define REDUCE8(y, x, tmp) \
	VEXTRACTF128 $1, y, tmp; \
	VADDPS       tmp, x, x; \
	VMOVHLPS     x, x, tmp; \
	VADDPS       tmp, x, x; \
	VMOVSHDUP    x, tmp; \
	VADDSS       tmp, x, x

// func kvScoresF16Lanes16(scores *float32, n int, keys *byte, stride int, q *float32, hd int, scale float32)
//
// One key at a time: lanes 0-7 in Y0, 8-15 in Y1; consecutive keys are
// independent, so the out-of-order core overlaps their FMA chains.
TEXT ·kvScoresF16Lanes16(SB), NOSPLIT, $0-52
	MOVQ  scores+0(FP), DI
	MOVQ  n+8(FP), CX
	MOVQ  keys+16(FP), SI
	MOVQ  stride+24(FP), DX
	MOVQ  q+32(FP), R8
	MOVQ  hd+40(FP), R9
	VMOVSS scale+48(FP), X15
	XORQ  BX, BX

key16:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ   AX, AX

elem16:
	VCVTPH2PS   (SI)(AX*2), Y2
	VCVTPH2PS   16(SI)(AX*2), Y3
	VFMADD231PS (R8)(AX*4), Y2, Y0
	VFMADD231PS 32(R8)(AX*4), Y3, Y1
	ADDQ        $16, AX
	CMPQ        AX, R9
	JLT         elem16

	// reduce16: lanes 8-15 onto 0-7, then REDUCE8.
	VADDPS Y1, Y0, Y0
	REDUCE8(Y0, X0, X1)
	VMULSS X15, X0, X0
	VMOVSS X0, (DI)(BX*4)
	ADDQ   DX, SI
	INCQ   BX
	CMPQ   BX, CX
	JLT    key16
	VZEROUPPER
	RET

// func kvScoresF16Lanes64(scores *float32, n int, keys *byte, stride int, q *float32, hd int, scale float32)
//
// Lanes 8k..8k+7 in Yk (k < 8) over the leading hd&^63 elements; the rest
// one at a time in float64 (X0 holds the sum).
TEXT ·kvScoresF16Lanes64(SB), NOSPLIT, $0-52
	MOVQ   scores+0(FP), DI
	MOVQ   n+8(FP), CX
	MOVQ   keys+16(FP), SI
	MOVQ   stride+24(FP), DX
	MOVQ   q+32(FP), R8
	MOVQ   hd+40(FP), R9
	VMOVSS scale+48(FP), X15
	MOVQ   R9, R10
	ANDQ   $~63, R10             // elements in the 64 lanes
	XORQ   BX, BX

key64:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ   AX, AX
	CMPQ   AX, R10
	JGE    reduce64

block64:
	VCVTPH2PS   (SI)(AX*2), Y8
	VCVTPH2PS   16(SI)(AX*2), Y9
	VCVTPH2PS   32(SI)(AX*2), Y10
	VCVTPH2PS   48(SI)(AX*2), Y11
	VFMADD231PS (R8)(AX*4), Y8, Y0
	VFMADD231PS 32(R8)(AX*4), Y9, Y1
	VFMADD231PS 64(R8)(AX*4), Y10, Y2
	VFMADD231PS 96(R8)(AX*4), Y11, Y3
	VCVTPH2PS   64(SI)(AX*2), Y8
	VCVTPH2PS   80(SI)(AX*2), Y9
	VCVTPH2PS   96(SI)(AX*2), Y10
	VCVTPH2PS   112(SI)(AX*2), Y11
	VFMADD231PS 128(R8)(AX*4), Y8, Y4
	VFMADD231PS 160(R8)(AX*4), Y9, Y5
	VFMADD231PS 192(R8)(AX*4), Y10, Y6
	VFMADD231PS 224(R8)(AX*4), Y11, Y7
	ADDQ        $64, AX
	CMPQ        AX, R10
	JLT         block64

reduce64:
	// reduce64: lane i is (acc[i]+acc[32+i]) + (acc[16+i]+acc[48+i]).
	VADDPS    Y4, Y0, Y0
	VADDPS    Y6, Y2, Y2
	VADDPS    Y2, Y0, Y0
	VADDPS    Y5, Y1, Y1
	VADDPS    Y7, Y3, Y3
	VADDPS    Y3, Y1, Y1
	VADDPS    Y1, Y0, Y0
	REDUCE8(Y0, X0, X1)
	CMPQ      AX, R9
	JGE       scale64            // no rest: float32(float64(x)) is x
	VCVTSS2SD X0, X0, X0

tail64:
	MOVWLZX   (SI)(AX*2), R11
	VMOVD     R11, X8
	VCVTPH2PS X8, X8
	VMULSS    (R8)(AX*4), X8, X8
	VCVTSS2SD X8, X8, X8
	VADDSD    X8, X0, X0
	INCQ      AX
	CMPQ      AX, R9
	JLT       tail64
	VCVTSD2SS X0, X0, X0

scale64:
	VMULSS    X15, X0, X0
	VMOVSS    X0, (DI)(BX*4)
	ADDQ      DX, SI
	INCQ      BX
	CMPQ      BX, CX
	JLT       key64
	VZEROUPPER
	RET

// func kvAccumulateF16(acc *float32, lanes int, hd int, probs *float32, n int, values *byte, stride int)
//
// One lane at a time, its accumulators in registers: 64 dimensions in
// Y0-Y7 (eight independent FMA chains, enough to keep both FMA units busy),
// then the rest 16 at a time in Y0-Y1; the lane's positions j, j+lanes, …
// each add their 64 (or 16) values, and the sums are stored once. Each
// value row is read once per block, in whole cache lines.
TEXT ·kvAccumulateF16(SB), NOSPLIT, $0-56
	MOVQ  acc+0(FP), DI          // lane row of acc
	MOVQ  lanes+8(FP), R8
	MOVQ  hd+16(FP), R9
	MOVQ  probs+24(FP), SI       // probability of the lane's first position
	MOVQ  n+32(FP), CX
	MOVQ  values+40(FP), DX      // value row of the lane's first position
	MOVQ  stride+48(FP), R10
	LEAQ  (SI)(CX*4), CX         // end of the probabilities
	IMULQ R8, R10                // bytes from a position to the lane's next
	SHLQ  $2, R8                 // the same in probabilities
	XORQ  BX, BX                 // lane

lane:
	XORQ AX, AX                  // dimension

dims64:
	MOVQ   R9, R11
	SUBQ   AX, R11
	CMPQ   R11, $64
	JLT    dims16
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	LEAQ   (DX)(AX*2), R12       // value row
	MOVQ   SI, R13               // its probability
	CMPQ   R13, CX
	JGE    store64

pos64:
	VBROADCASTSS (R13), Y15
	VCVTPH2PS    (R12), Y8
	VCVTPH2PS    16(R12), Y9
	VCVTPH2PS    32(R12), Y10
	VCVTPH2PS    48(R12), Y11
	VFMADD231PS  Y15, Y8, Y0
	VFMADD231PS  Y15, Y9, Y1
	VFMADD231PS  Y15, Y10, Y2
	VFMADD231PS  Y15, Y11, Y3
	VCVTPH2PS    64(R12), Y8
	VCVTPH2PS    80(R12), Y9
	VCVTPH2PS    96(R12), Y10
	VCVTPH2PS    112(R12), Y11
	VFMADD231PS  Y15, Y8, Y4
	VFMADD231PS  Y15, Y9, Y5
	VFMADD231PS  Y15, Y10, Y6
	VFMADD231PS  Y15, Y11, Y7
	ADDQ         R10, R12
	ADDQ         R8, R13
	CMPQ         R13, CX
	JLT          pos64

store64:
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	VMOVUPS Y4, 128(DI)(AX*4)
	VMOVUPS Y5, 160(DI)(AX*4)
	VMOVUPS Y6, 192(DI)(AX*4)
	VMOVUPS Y7, 224(DI)(AX*4)
	ADDQ    $64, AX
	JMP     dims64

dims16:
	CMPQ   AX, R9
	JGE    nextLane
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	LEAQ   (DX)(AX*2), R12
	MOVQ   SI, R13
	CMPQ   R13, CX
	JGE    store16

pos16:
	VBROADCASTSS (R13), Y15
	VCVTPH2PS    (R12), Y8
	VCVTPH2PS    16(R12), Y9
	VFMADD231PS  Y15, Y8, Y0
	VFMADD231PS  Y15, Y9, Y1
	ADDQ         R10, R12
	ADDQ         R8, R13
	CMPQ         R13, CX
	JLT          pos16

store16:
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	ADDQ    $16, AX
	JMP     dims16

nextLane:
	LEAQ (DI)(R9*4), DI
	ADDQ $4, SI
	ADDQ stride+48(FP), DX
	INCQ BX
	CMPQ BX, lanes+8(FP)
	JLT  lane
	VZEROUPPER
	RET

// LANES16 sets y to lane R9 plus lane R10 (8 lanes further) of 8
// dimensions and steps both to the next lane: t[i] = x[i+8] + x[i] of
// reduce16.
#define LANES16(y) \
	VMOVUPS (R9), y; \
	VADDPS  (R10), y, y; \
	ADDQ    R11, R9; \
	ADDQ    R11, R10

// SUM8 finishes reduce16 from t[i] in Y0..Y7 (8 dimensions each) into Y0:
// u[i] = t[i+4] + t[i], then (u0+u2) + (u1+u3).
#define SUM8 \
	VADDPS Y4, Y0, Y0; \
	VADDPS Y5, Y1, Y1; \
	VADDPS Y6, Y2, Y2; \
	VADDPS Y7, Y3, Y3; \
	VADDPS Y2, Y0, Y0; \
	VADDPS Y3, Y1, Y1; \
	VADDPS Y1, Y0, Y0

// func kvReduce16(out *float32, acc *float32, hd int)
TEXT ·kvReduce16(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ acc+8(FP), SI
	MOVQ hd+16(FP), CX
	MOVQ CX, R11
	SHLQ $2, R11                 // bytes of a lane row
	XORQ AX, AX

dims16:
	LEAQ (SI)(AX*4), R9
	LEAQ (R9)(R11*8), R10
	LANES16(Y0)
	LANES16(Y1)
	LANES16(Y2)
	LANES16(Y3)
	LANES16(Y4)
	LANES16(Y5)
	LANES16(Y6)
	LANES16(Y7)
	SUM8
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	CMPQ    AX, CX
	JLT     dims16
	VZEROUPPER
	RET

// LANE64 sets y to reduce64's x[i] of 8 dimensions for the lane at p:
// (acc[i]+acc[32+i]) + (acc[16+i]+acc[48+i]), with R12 = 16 lane rows and
// R13 = 48.
#define LANE64(p, y, tmp) \
	VMOVUPS (p), y; \
	VADDPS  (p)(R12*2), y, y; \
	VMOVUPS (p)(R12*1), tmp; \
	VADDPS  (p)(R13*1), tmp, tmp; \
	VADDPS  tmp, y, y

// LANES64 is LANES16 over the lanes of reduce64.
#define LANES64(y) \
	LANE64(R9, y, Y8); \
	LANE64(R10, Y9, Y8); \
	VADDPS Y9, y, y; \
	ADDQ   R11, R9; \
	ADDQ   R11, R10

// func kvReduce64F16(out *float32, acc *float32, hd int, probs *float32, values *byte, stride int, from int, to int)
//
// 8 dimensions at a time: reduce64 of their lanes, widened to float64 in
// Y10 (dimensions 0-3) and Y11 (4-7), then the products of positions
// from..to-1 added in float64.
TEXT ·kvReduce64F16(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), DI
	MOVQ acc+8(FP), SI
	MOVQ hd+16(FP), CX
	MOVQ probs+24(FP), BX
	MOVQ stride+40(FP), DX
	MOVQ from+48(FP), R8
	MOVQ CX, R11
	SHLQ $2, R11                 // bytes of a lane row
	MOVQ R11, R12
	SHLQ $4, R12                 // 16 lane rows
	LEAQ (R12)(R12*2), R13       // 48 lane rows
	XORQ AX, AX

dims64:
	LEAQ (SI)(AX*4), R9
	LEAQ (R9)(R11*8), R10
	LANES64(Y0)
	LANES64(Y1)
	LANES64(Y2)
	LANES64(Y3)
	LANES64(Y4)
	LANES64(Y5)
	LANES64(Y6)
	LANES64(Y7)
	SUM8
	VCVTPS2PD    X0, Y10
	VEXTRACTF128 $1, Y0, X11
	VCVTPS2PD    X11, Y11

	// The positions past the lanes: float32 products, float64 sums.
	MOVQ  R8, R9                 // position
	MOVQ  R8, R10
	IMULQ DX, R10
	ADDQ  values+32(FP), R10     // its value row
	CMPQ  R9, to+56(FP)
	JGE   store64

tail:
	VBROADCASTSS (BX)(R9*4), Y12
	VCVTPH2PS    (R10)(AX*2), Y13
	VMULPS       Y12, Y13, Y13
	VCVTPS2PD    X13, Y14
	VADDPD       Y14, Y10, Y10
	VEXTRACTF128 $1, Y13, X13
	VCVTPS2PD    X13, Y14
	VADDPD       Y14, Y11, Y11
	ADDQ         DX, R10
	INCQ         R9
	CMPQ         R9, to+56(FP)
	JLT          tail

store64:
	VCVTPD2PSY  Y10, X10
	VCVTPD2PSY  Y11, X11
	VINSERTF128 $1, X11, Y10, Y10
	VMOVUPS     Y10, (DI)(AX*4)
	ADDQ        $8, AX
	CMPQ        AX, CX
	JLT         dims64
	VZEROUPPER
	RET
