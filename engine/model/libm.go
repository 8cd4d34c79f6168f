package model

import "math"

// The C library's float functions as llama.cpp's CPU backend calls them:
// sinf and cosf for the RoPE angles and expf for the elements SiLU does not
// vectorize. The reference build ran on glibc 2.36 (Debian 12) on an x86-64
// CPU with FMA, where glibc picks its FMA variants (__sinf_fma, __cosf_fma,
// __expf_fma: the same C code compiled with -mfma, so GCC fuses each a·b+c
// into one FMA). These are not correctly rounded: for about 1 angle in 50,
// sinf or cosf differs by one ulp from the correctly rounded value Go's
// math.Sin/Cos would give, and that is enough to flip an F16 rounding of a
// key and move later logits by up to 0.1. So this is their algorithm, from
// Arm's optimized-routines (MIT / Apache-2.0 WITH LLVM-exception; the same
// code glibc ships): the argument is reduced modulo π/2 and a polynomial is
// evaluated in float64, with math.FMA (exact on every GOARCH) where GCC fuses.
// Checked bit for bit against glibc 2.36's sinf, cosf and expf on such a
// CPU for every float32 in ±[2^-20, 2^20) (sinf, cosf) and in [-104, 96]
// (expf).

// sincosPoly holds the coefficients of the cosine (c0..c4) and sine
// (s1..s3) polynomials on [-π/4, π/4]; the second table computes -cos, for
// the quadrants where the cosine is negated.
type sincosPoly struct {
	c0, c1, c2, c3, c4 float64
	s1, s2, s3         float64
}

var sincosPolys = [2]sincosPoly{
	{0x1p0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
	{-0x1p0, 0x1.ffffffd0c621cp-2, -0x1.55553e1068f19p-5, 0x1.6c087e89a359dp-10, -0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
}

// sinSigns is the sign of the sine in quadrants 0..3.
var sinSigns = [4]float64{1, -1, -1, 1}

// invPio4 holds the bits of 4/π, 192 of them, 8 new bits per entry.
var invPio4 = [24]uint32{
	0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e,
	0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
	0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1,
	0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0,
	0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599,
	0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
}

// abstop12 returns the exponent bits of x, sign cleared (the top 12 bits of
// its representation but the sign).
func abstop12(x float32) uint32 { return math.Float32bits(x) >> 20 & 0x7ff }

// sinfPoly returns sin(x) (n even) or cos(x) (n odd) for |x| <= π/4, x2 =
// x², with the polynomials p.
func sinfPoly(x, x2 float64, p *sincosPoly, n int) float32 {
	if n&1 == 0 {
		x3 := x * x2
		s1 := math.FMA(x2, p.s3, p.s2)
		x7 := x3 * x2
		s := math.FMA(x3, p.s1, x)
		return float32(math.FMA(x7, s1, s))
	}
	x4 := x2 * x2
	c2 := math.FMA(x2, p.c4, p.c3)
	c1 := math.FMA(x2, p.c1, p.c0)
	x6 := x4 * x2
	c := math.FMA(x4, p.c2, c1)
	return float32(math.FMA(x6, c2, c))
}

// reduceFast returns x minus the nearest multiple n of π/2 and n, for
// |x| < 120 (2/π is scaled by 2^24 so that n is rounded by the integer add).
func reduceFast(x float64) (float64, int) {
	r := x * 0x1.45F306DC9C883p+23
	n := (int32(r) + 0x800000) >> 24
	return math.FMA(-float64(n), 0x1.921FB54442D18p0, x), int(n)
}

// reduceLarge reduces |x| >= 120 (x given by its bits xi; the sign is
// ignored) modulo π/2 with a 32×96-bit product by 4/π in fixed point.
func reduceLarge(xi uint32) (float64, int) {
	arr := invPio4[xi>>26&15:]
	shift := xi >> 23 & 7
	xi = (xi&0xffffff | 0x800000) << shift
	res0 := uint64(xi * arr[0])
	res1 := uint64(xi) * uint64(arr[4])
	res2 := uint64(xi) * uint64(arr[8])
	res0 = res2>>32 | res0<<32
	res0 += res1
	n := (res0 + 1<<61) >> 62
	res0 -= n << 62
	return float64(int64(res0)) * 0x1.921FB54442D18p-62, int(n)
}

// sinf is glibc's sinf; cos selects cosf instead.
func sincosf(y float32, cos bool) float32 {
	x := float64(y)
	p := &sincosPolys[0]
	q := 0 // 1 for the cosine: the quadrant is shifted by one
	if cos {
		q = 1
	}
	switch t := abstop12(y); {
	case t < abstop12(0x1.921FB6p-1): // |y| < π/4
		if t < abstop12(0x1p-12) {
			if cos {
				return 1
			}
			return y
		}
		return sinfPoly(x, x*x, p, q)
	case t < abstop12(120):
		x, n := reduceFast(x)
		if n&2 != 0 {
			p = &sincosPolys[1]
		}
		x *= sinSigns[n&3]
		return sinfPoly(x, x*x, p, n^q)
	case t < 0x7f8:
		xi := math.Float32bits(y)
		x, n := reduceLarge(xi)
		sign := int(xi >> 31)
		if (n+sign)&2 != 0 {
			p = &sincosPolys[1]
		}
		s := sinSigns[(n+sign)&3]
		return sinfPoly(x*s, x*x, p, n^q)
	}
	return float32(math.NaN())
}

func sinf(x float32) float32 { return sincosf(x, false) }
func cosf(x float32) float32 { return sincosf(x, true) }

// exp2fTab[i] is the bits of 2^(i/32) minus i<<47, so that adding k<<47 for
// an integer k with k mod 32 = i makes 2^(k/32).
var exp2fTab = [32]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

// expf is glibc's expf: x·32/ln 2 = k + r, exp(x) = 2^(k/32)·2^(r/32) with a
// cubic polynomial for 2^(r/32), in float64.
func expf(x float32) float32 {
	const (
		shift   = 0x1.8p+52 // adding it rounds to an integer
		invLn2N = 0x1.71547652b82fep+0 * 32
		c0      = 0x1.c6af84b912394p-5 / 32 / 32 / 32
		c1      = 0x1.ebfce50fac4f3p-3 / 32 / 32
		c2      = 0x1.62e42ff0c52d6p-1 / 32
	)
	if abstop12(x) >= abstop12(88) { // |x| >= 88, Inf or NaN
		switch {
		case math.IsInf(float64(x), -1):
			return 0
		case abstop12(x) >= 0x7f8:
			return x + x
		case x > 0x1.62e42ep6:
			return float32(math.Inf(1))
		case x < -0x1.9fe368p6:
			return 0
		}
	}
	xd := float64(x)
	kd := math.FMA(invLn2N, xd, shift) // z = invLn2N·x is fused into both its uses
	ki := math.Float64bits(kd)
	kd -= shift
	r := math.FMA(invLn2N, xd, -kd)
	s := math.Float64frombits(exp2fTab[ki%32] + ki<<47)
	z := math.FMA(c0, r, c1)
	y := math.FMA(c2, r, 1)
	y = math.FMA(z, r*r, y)
	return float32(y * s)
}
