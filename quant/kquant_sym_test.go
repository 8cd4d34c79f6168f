package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"nibble/engine/gguf"
)

func TestGgmlNearestInt(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		in   float32
		want int
	}{
		{0, 0},
		{0.49999997, 0},
		{0.5, 0}, // ties to even
		{1.5, 2},
		{2.5, 2},
		{-0.5, 0},
		{-1.5, -2},
		{-2.5, -2},
		{3.4999998, 3},
		{-31.6, -32},
		{4194303, 4194303},
		{-4194303, -4194303},
		// Out of nearest_int's range the C trick wraps; so must we.
		{8388608, -2097152},
		{inf, -4194304},
		{-inf, -4194304},
		{nan, 0},
	}
	for _, tc := range tests {
		if got := nearestInt(tc.in); got != tc.want {
			t.Errorf("nearestInt(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// symGrid returns 16 values c·l for the levels l, which makes the best
// scale exactly c when c is a power of two.
func symGrid(c float32, levels []int) []float32 {
	x := make([]float32, len(levels))
	for i, l := range levels {
		x[i] = c * float32(l)
	}
	return x
}

func TestScaleSearches(t *testing.T) {
	// Levels with the extreme -nmax first so it decides max's sign.
	l6 := []int{-32, 31, -5, 0, 7, 12, -20, 3, 1, -1, 30, -31, 16, -16, 9, 2}
	l3 := []int{-4, 3, -1, 0, 2, 1, -3, -2, 3, 0, -4, 1, 2, -1, 0, 3}
	neg := func(ls []int) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			out[i] = -l
		}
		return out
	}
	type search func(x []float32, nmax int, L []int8) float32
	tests := []struct {
		name      string
		search    search
		nmax      int
		x         []float32
		wantScale float32
		wantL     []int // levels before the +nmax offset, nil: all stored 0
	}{
		{"sym zero", searchScaleSym, 32, make([]float32, 16), 0, nil},
		{"sym below eps", searchScaleSym, 32, symGrid(1e-17, l6), 0, nil},
		{"sym exact grid", searchScaleSym, 32, symGrid(0.25, l6), 0.25, l6},
		// A positive extreme flips the levels and the sign of the scale.
		{"sym positive max", searchScaleSym, 32, symGrid(-0.25, l6), -0.25, l6},
		{"q3 zero", searchScaleQ3, 4, make([]float32, 16), 0, nil},
		{"q3 below eps", searchScaleQ3, 4, symGrid(1e-17, l3), 0, nil},
		{"q3 exact grid", searchScaleQ3, 4, symGrid(0.5, l3), 0.5, l3},
		{"q3 positive max", searchScaleQ3, 4, symGrid(0.5, neg(l3)), -0.5, l3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			L := make([]int8, len(tc.x))
			for i := range L {
				L[i] = 99 // must be overwritten
			}
			if got := tc.search(tc.x, tc.nmax, L); got != tc.wantScale {
				t.Errorf("scale = %v, want %v", got, tc.wantScale)
			}
			want := make([]int8, len(tc.x))
			for i, l := range tc.wantL {
				want[i] = int8(l + tc.nmax)
			}
			if !slices.Equal(L, want) {
				t.Errorf("L = %v, want %v", L, want)
			}
		})
	}
}

// symWeightedErr returns Σx²·(x - s·(L-nmax))², the error the searches minimize.
func symWeightedErr(x []float32, L []int8, nmax int, s float32) float64 {
	var e float64
	for i, v := range x {
		d := float64(v) - float64(s)*float64(int(L[i])-nmax)
		e += float64(v) * float64(v) * d * d
	}
	return e
}

// The searches must never do worse than plain rounding against the largest
// value with its own least-squares scale, which is where both start.
func TestScaleSearchesImprove(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	x := make([]float32, 16)
	L := make([]int8, 16)
	base := make([]int8, 16)
	for _, tc := range []struct {
		name   string
		search func(x []float32, nmax int, L []int8) float32
		nmax   int
	}{{"sym", searchScaleSym, 32}, {"q3", searchScaleQ3, 4}} {
		better := 0
		for range 2000 {
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			s := tc.search(x, tc.nmax, L)
			xmax, _ := signedAbsMax(x)
			iscale := float32(-tc.nmax) / xmax
			symLevels(x, tc.nmax, iscale, base)
			sumlx, suml2 := symSums(x, nil, tc.nmax, iscale)
			e0 := symWeightedErr(x, base, tc.nmax, sumlx/suml2)
			e := symWeightedErr(x, L, tc.nmax, s)
			// The searches compare float32 sums, so allow float32 noise
			// relative to the total Σx⁴ they are computed from.
			tol := 1e-5 * symWeightedErr(x, make([]int8, 16), 0, 0)
			if e > e0+tol {
				t.Fatalf("%s: search error %g worse than plain rounding %g for %v", tc.name, e, e0, x)
			}
			if e < e0-tol {
				better++
			}
		}
		// Q3's refinement only runs for a negative extreme (see
		// searchScaleQ3), so expect gains on a good share of the draws.
		t.Logf("%s: better than plain rounding in %d of 2000 draws", tc.name, better)
		if better < 250 {
			t.Errorf("%s: search beat plain rounding in only %d of 2000 draws", tc.name, better)
		}
	}
}

// symType describes one symmetric K-quant for the tests below: 16
// sub-blocks of 16 values, each with a signed scale, and levels q that
// stand for q − nmax.
type symType struct {
	typ      gguf.Type
	nmax     int
	scaleMin int // the sub-block scale of largest magnitude is stored as this
	scales   int // offset of the sub-block scales; the fp16 d follows them
	d        int // offset of d, the last field
	// The grid of symGrid: sub-block j holds c_j·(q − nmax) with
	// c_j = 2^-(gridExp + j%4) and levels q = gridLevel(e), except 0 (the
	// extreme) first in each sub-block.
	gridExp   int
	gridLevel func(e int) int
}

var symTypes = []symType{
	{gguf.Q3_K, 4, -32, q3KScales, q3KD, 1, func(e int) int { return (e*5 + 1) % 8 }},
	{gguf.Q6_K, 32, -128, q6KScales, q6KD, 2, func(e int) int { return (e*7 + 3) % 64 }},
}

// scale reads the stored scale of sub-block j from the block blk.
func (st symType) scale(blk []byte, j int) int {
	if st.typ == gguf.Q3_K {
		return int(q3KScale(blk[q3KScales:q3KD], j))
	}
	return int(int8(blk[q6KScales+j]))
}

// level reads the level q of element e (0..255) of the block blk, following
// the layout comments of q3_k.go and q6_k.go.
func (st symType) level(blk []byte, e int) int {
	h, r := e/128, e%128
	if st.typ == gguf.Q3_K {
		lo := int(blk[q3KQs+32*h+r%32] >> (2 * (r / 32)) & 3)
		hi := int(blk[e%32] >> (e / 32) & 1)
		return lo | hi<<2
	}
	ql := blk[64*h+r%64]
	if r >= 64 {
		ql >>= 4
	}
	qh := blk[128+32*h+r%32] >> (2 * (r / 32)) & 3
	return int(ql&0xf | qh<<4)
}

// grid builds one super-block of st's grid: every value is exactly
// representable, so the quantizer must find the grid and decode it without
// error. It returns the values and their levels.
func (st symType) grid() (x []float32, q []int) {
	x = make([]float32, 256)
	q = make([]int, 256)
	for e := range x {
		if e%16 != 0 {
			q[e] = st.gridLevel(e)
		}
		c := float32(math.Ldexp(1, -(st.gridExp + (e/16)%4)))
		x[e] = c * float32(q[e]-st.nmax)
	}
	return x, q
}

func TestSymKGrid(t *testing.T) {
	type byteAt struct {
		off  int
		want byte
	}
	tests := []struct {
		st     symType
		d      uint16 // stored d
		scales []byte // the stored scales
		bytes  []byteAt
	}{
		// Largest scale 1/2 maps to -32, so d = -1/64 (fp16 0xa400) and the
		// scales 1/2, 1/4, 1/8, 1/16 are -32, -16, -8, -4, stored +32 as 0,
		// 16, 24, 28: low nibbles 0, 0, 8, 12 and high bits 0, 1, 1, 1.
		// Levels: q(e) = 6 for e = 1, 33, 65, ..., 225 and 3 for e = 2, 34,
		// ..., 226; 0 for every multiple of 16.
		{symTypes[0], 0xa400, []byte{0x00, 0x00, 0x88, 0xcc, 0x00, 0x00, 0x88, 0xcc, 0x00, 0x55, 0x55, 0x55}, []byteAt{
			{0, 0x00},         // hmask: q(0), q(32), ... are all 0
			{1, 0xff},         // q(1+32k) = 6 >= 4 for every k
			{2, 0x00},         // q(2+32k) = 3 < 4
			{q3KQs + 1, 0xaa}, // low bits of q(1), q(33), q(65), q(97): 2 each
			{q3KQs + 2, 0xff}, // low bits of q(2), ...: 3 each
			{q3KQs + 33, 0xaa},
		}},
		// Largest scale 1/4 maps to -128, so d = -1/512 (fp16 0x9800) and the
		// scales 1/4, 1/8, 1/16, 1/32 are stored as -128, -64, -32, -16.
		// Levels: q(1) = q(65) = 10, q(33) = q(97) = 42, q(2) = q(66) = 17,
		// q(34) = q(98) = 49, q(0) = q(64) = 0.
		{symTypes[1], 0x9800, bytes.Repeat([]byte{0x80, 0xc0, 0xe0, 0xf0}, 4), []byteAt{
			{0, 0x00},   // ql: low nibbles of q(0) | q(64)<<4
			{1, 0xaa},   // q(1) | q(65)<<4
			{33, 0xaa},  // q(33) | q(97)<<4
			{2, 0x11},   // q(2) | q(66)<<4
			{129, 0x88}, // qh: high bits of q(1), q(33), q(65), q(97) = 0, 2, 0, 2
			{130, 0xdd}, // q(2), q(34), q(66), q(98) = 1, 3, 1, 3
		}},
	}
	for _, tc := range tests {
		st := tc.st
		t.Run(st.typ.String(), func(t *testing.T) {
			x, q := st.grid()
			b, y := roundTrip(st.typ, x)
			for e := range x {
				if x[e] != y[e] {
					t.Fatalf("element %d: %g decoded as %g", e, x[e], y[e])
				}
			}
			if d := binary.LittleEndian.Uint16(b[st.d:]); d != tc.d {
				t.Errorf("d = %#04x, want %#04x", d, tc.d)
			}
			if got := b[st.scales:st.d]; !bytes.Equal(got, tc.scales) {
				t.Errorf("scales = % x, want % x", got, tc.scales)
			}
			for _, c := range tc.bytes {
				if b[c.off] != c.want {
					t.Errorf("byte %d = %#02x, want %#02x", c.off, b[c.off], c.want)
				}
			}
			// Every level, from the documented layout.
			for e := range 256 {
				if got := st.level(b, e); got != q[e] {
					t.Fatalf("level of element %d = %d, want %d", e, got, q[e])
				}
			}
		})
	}
}

func TestSymKZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 2))
	for _, st := range symTypes {
		t.Run(st.typ.String(), func(t *testing.T) {
			bb := st.typ.BlockBytes()
			x := symNormalRow(r, 3*256, 1)
			clear(x[256:512]) // a whole zero super-block
			clear(x[528:544]) // one zero sub-block (the 2nd) in the third
			b, y := roundTrip(st.typ, x)
			if !bytes.Equal(b[bb:2*bb], make([]byte, bb)) {
				t.Errorf("zero super-block encoded as %x, want all zeros", b[bb:2*bb])
			}
			if s := st.scale(b[2*bb:], 1); s != 0 {
				t.Errorf("zero sub-block has scale %d, want 0", s)
			}
			for i := 256; i < 544; i++ {
				if x[i] == 0 && y[i] != 0 {
					t.Fatalf("zero element %d decoded as %g", i, y[i])
				}
			}
		})
	}
}

// A sub-block whose scale has the opposite sign of the largest one would map
// to -scaleMin; it is clamped to one less. Its values then decode within one
// step (its own scale) of the input.
func TestSymKOppositeScaleClamped(t *testing.T) {
	for _, st := range symTypes {
		t.Run(st.typ.String(), func(t *testing.T) {
			x, _ := st.grid()
			for e := 16; e < 32; e++ {
				x[e] = -x[e] * 2 // sub-block 1: scale -2c_1 = -c_0, as large as sub-block 0's
			}
			b, y := roundTrip(st.typ, x)
			if s0, s1 := st.scale(b, 0), st.scale(b, 1); s0 != st.scaleMin || s1 != -st.scaleMin-1 {
				t.Errorf("scales 0, 1 = %d, %d, want %d, %d", s0, s1, st.scaleMin, -st.scaleMin-1)
			}
			step := math.Ldexp(1, -st.gridExp)
			for e := 16; e < 32; e++ {
				if math.Abs(float64(x[e]-y[e])) > step {
					t.Errorf("element %d: %g decoded as %g", e, x[e], y[e])
				}
			}
		})
	}
}

// Multiplying the input by a power of two must leave every byte but d alone
// and multiply d by the same power, as long as d stays a normal fp16 and
// the search sums stay in float32 range (see kquant_sym.go): for unit data,
// 2^-6..2^10 for Q3_K and 2^-2..2^12 for Q6_K.
func TestSymKScaleInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, tc := range []struct {
		st     symType
		shifts []int
	}{{symTypes[0], []int{-6, 3, 10}}, {symTypes[1], []int{-2, 5, 12}}} {
		st := tc.st
		t.Run(st.typ.String(), func(t *testing.T) {
			bb := st.typ.BlockBytes()
			x := symNormalRow(r, 8*256, 1)
			b0, _ := roundTrip(st.typ, x)
			for _, k := range tc.shifts {
				xs := make([]float32, len(x))
				for i, v := range x {
					xs[i] = float32(math.Ldexp(float64(v), k))
				}
				b, _ := roundTrip(st.typ, xs)
				for blk := range len(b) / bb {
					y0, y := b0[blk*bb:(blk+1)*bb], b[blk*bb:(blk+1)*bb]
					if !bytes.Equal(y0[:st.d], y[:st.d]) {
						t.Fatalf("2^%d: block %d levels or scales changed", k, blk)
					}
					d0 := FP16ToFP32(binary.LittleEndian.Uint16(y0[st.d:]))
					d := FP16ToFP32(binary.LittleEndian.Uint16(y[st.d:]))
					if want := float32(math.Ldexp(float64(d0), k)); d != want {
						t.Fatalf("2^%d: block %d d = %g, want %g", k, blk, d, want)
					}
				}
			}
		})
	}
}

// symNormalRow returns n normally distributed values with standard deviation
// sigma, none smaller in magnitude than sigma/1000 (so that no cube in the
// searches gets near the subnormals when the row is scaled).
func symNormalRow(r *rand.Rand, n int, sigma float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		v := r.NormFloat64()
		if math.Abs(v) < 1e-3 {
			v = math.Copysign(1e-3, v)
		}
		x[i] = float32(v * sigma)
	}
	return x
}

func symRMSE(x, y []float32) float64 {
	var s float64
	for i := range x {
		d := float64(x[i]) - float64(y[i])
		s += d * d
	}
	return math.Sqrt(s / float64(len(x)))
}
