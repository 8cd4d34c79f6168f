// The Advanced SIMD instructions the arm64 kernels share (activation_arm64.s,
// attention_arm64.s, exp_arm64.s, neon_arm64.s; each file defines the ones
// only it uses). The Go assembler lacks most vector integer and float
// arithmetic, so these are WORDs: the Arm ARM's fixed bits (each checked
// against llvm-mc) ORed with the register NUMBERS (8 for V8) Rd (bits 0-4),
// Rn (5-9) and Rm (16-20), destination first as in the Arm manual; the Go
// instructions in between use V names.

#define ENC3(base, d, n, m) WORD $((base) | (m)<<16 | (n)<<5 | (d))
#define ENC2(base, d, n) WORD $((base) | (n)<<5 | (d))

// Three same, 4S: ADD (opcode 10000), SMIN (01101), FADD (U=0 11010), FMUL
// (U=1 11011), FMLA (U=0 11001); BIT (bitwise insert if true).
#define ADD_4S(d, n, m) ENC3(0x4EA08400, d, n, m)
#define SMIN_4S(d, n, m) ENC3(0x4EA06C00, d, n, m)
#define FADD_4S(d, n, m) ENC3(0x4E20D400, d, n, m)
#define FMUL_4S(d, n, m) ENC3(0x6E20DC00, d, n, m)
#define FMLA_4S(d, n, m) ENC3(0x4E20CC00, d, n, m) // d += n·m, fused
#define BIT(d, n, m) ENC3(0x6EA01C00, d, n, m)     // d = n where m is set

// EXT Vd.16B, Vn.16B, Vm.16B, #8: bytes 8-15 of Vn, then 0-7 of Vm
// (imm4 = 8 in bits 11-14).
#define EXT8(d, n, m) ENC3(0x6E004000, d, n, m)

// FADDP Sd, Vn.2S: lane 0 = n[0] + n[1].
#define FADDP_S(d, n) ENC2(0x7E30D800, d, n)

// FCVTL(2) Vd.4S from the lower (upper) 4 halves of Vn, exact.
#define FCVTL_4S(d, n) ENC2(0x0E217800, d, n)
#define FCVTL2_4S(d, n) ENC2(0x4E217800, d, n)

// HSUM4(v, t): lane 0 of v = (v0+v2) + (v1+v3), as hsum4 (clobbers t).
#define HSUM4(v, t) \
	EXT8(t, v, v)    \
	FADD_4S(v, v, t) \
	FADDP_S(v, v)
