package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// halfValue is the value of the positive half float h (h <= 0x7c00) computed
// from the IEEE definition, independently of FP16ToFP32. 0x7c00 is given the
// value 65536 = 2^16, the next step after 65504, so that rounding to the
// nearest entry of the table overflows at 65520 exactly as IEEE requires.
func halfValue(h uint16) float64 {
	exp, mant := int(h>>10), float64(h&0x3ff)
	if exp == 0 {
		return math.Ldexp(mant, -24)
	}
	return math.Ldexp(1024+mant, exp-25)
}

// halfTable lists halfValue for every positive half from 0 to 0x7c00, in
// increasing order.
var halfTable = func() []float64 {
	t := make([]float64, 0x7c01)
	for h := range t {
		t[h] = halfValue(uint16(h))
	}
	return t
}()

// refFP32ToFP16 rounds a non-NaN f to half precision by searching the table
// of all half values in float64: nearest value, ties to the even encoding.
func refFP32ToFP16(f float32) uint16 {
	var sign uint16
	a := float64(f)
	if math.Signbit(a) {
		sign, a = 0x8000, -a
	}
	i := sort.SearchFloat64s(halfTable, a) // first entry >= a
	switch {
	case i == len(halfTable):
		return sign | 0x7c00
	case i == 0 || halfTable[i] == a:
		return sign | uint16(i)
	}
	below, above := a-halfTable[i-1], halfTable[i]-a
	if below < above || (below == above && (i-1)%2 == 0) {
		return sign | uint16(i-1)
	}
	return sign | uint16(i)
}

// refFP32ToBF16 rounds a non-NaN f to bfloat16 in float64: of the two
// bfloat16 values around f (the truncation and the next one up in
// magnitude), the nearer, ties to the even encoding. 2^128 stands for the
// step after the largest finite value, so overflow happens halfway to it.
func refFP32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	lo := uint16(b >> 16)
	if b&0xffff == 0 {
		return lo
	}
	hi := lo + 1
	a := math.Abs(float64(f))
	vlo := math.Abs(float64(BF16ToFP32(lo)))
	vhi := math.Ldexp(1, 128)
	if hi&0x7fff != 0x7f80 {
		vhi = math.Abs(float64(BF16ToFP32(hi)))
	}
	below, above := a-vlo, vhi-a
	if below < above || (below == above && lo%2 == 0) {
		return lo
	}
	return hi
}

func TestFP16ToFP32AllValues(t *testing.T) {
	// DequantizeF16 reads a table of FP16ToFP32's results: it must agree bit
	// for bit on every half.
	all := make([]byte, 2<<16)
	for h := range 1 << 16 {
		binary.LittleEndian.PutUint16(all[2*h:], uint16(h))
	}
	rows := make([]float32, 1<<16)
	DequantizeF16(rows, all)
	for h := range 1 << 16 {
		got := FP16ToFP32(uint16(h))
		if math.Float32bits(rows[h]) != math.Float32bits(got) {
			t.Fatalf("DequantizeF16 of %#04x has bits %#08x, FP16ToFP32 %#08x", h, math.Float32bits(rows[h]), math.Float32bits(got))
		}
		exp, mant := h>>10&0x1f, h&0x3ff
		switch {
		case exp == 0x1f && mant != 0:
			if !math.IsNaN(float64(got)) {
				t.Fatalf("FP16ToFP32(%#04x) = %v, want NaN", h, got)
			}
			continue
		case exp == 0x1f:
			if !math.IsInf(float64(got), 0) || math.Signbit(float64(got)) != (h&0x8000 != 0) {
				t.Fatalf("FP16ToFP32(%#04x) = %v, want ±Inf", h, got)
			}
		default:
			want := halfValue(uint16(h & 0x7fff))
			if h&0x8000 != 0 {
				want = -want
			}
			if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
				t.Fatalf("FP16ToFP32(%#04x) = %v, want %v", h, got, want)
			}
		}
		if back := FP32ToFP16(got); back != uint16(h) {
			t.Fatalf("FP32ToFP16(FP16ToFP32(%#04x)) = %#04x", h, back)
		}
	}
}

func TestFP32ToFP16Cases(t *testing.T) {
	const sub = 1.0 / (1 << 24) // smallest subnormal half
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"tie 1+2^-11 to even (down)", 1 + 1.0/(1<<11), 0x3c00},
		{"tie 1+3·2^-11 to even (up)", 1 + 3.0/(1<<11), 0x3c02},
		{"just above tie rounds up", math.Nextafter32(1+1.0/(1<<11), 2), 0x3c01},
		{"tie 1-2^-12 carries into the exponent", 1 - 1.0/(1<<12), 0x3c00},
		{"smallest normal", 1.0 / (1 << 14), 0x0400},
		{"largest subnormal", 1023 * sub, 0x03ff},
		{"tie 1023.5 subnormal steps to even: smallest normal", 1023.5 * sub, 0x0400},
		{"tie 1022.5 subnormal steps to even: down", 1022.5 * sub, 0x03fe},
		{"smallest subnormal", sub, 0x0001},
		{"tie half the smallest subnormal to zero", sub / 2, 0x0000},
		{"just above half the smallest subnormal", math.Nextafter32(sub/2, 1), 0x0001},
		{"tie 1.5 subnormal steps to even (up)", 1.5 * sub, 0x0002},
		{"negative tie 2.5 subnormal steps (down)", -2.5 * sub, 0x8002},
		{"far below the subnormals", 1e-30, 0x0000},
		{"largest half", 65504, 0x7bff},
		{"largest float32 rounding to 65504", math.Nextafter32(65520, 0), 0x7bff},
		{"tie 65520 overflows (65504 is odd)", 65520, 0x7c00},
		{"negative overflow", -65520, 0xfc00},
		{"large overflow", 1e10, 0x7c00},
		{"max float32", math.MaxFloat32, 0x7c00},
		{"+Inf", float32(math.Inf(1)), 0x7c00},
		{"-Inf", float32(math.Inf(-1)), 0xfc00},
	}
	for _, tt := range tests {
		if got := FP32ToFP16(tt.in); got != tt.want {
			t.Errorf("%s: FP32ToFP16(%g) = %#04x, want %#04x", tt.name, tt.in, got, tt.want)
		}
	}
	for _, bits := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff} {
		h := FP32ToFP16(math.Float32frombits(bits))
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
			t.Errorf("FP32ToFP16(NaN %#08x) = %#04x, want a NaN", bits, h)
		}
	}
}

func TestBF16AllValues(t *testing.T) {
	for h := range 1 << 16 {
		f := BF16ToFP32(uint16(h))
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToFP32(%#04x) has bits %#08x", h, math.Float32bits(f))
		}
		back := FP32ToBF16(f)
		if math.IsNaN(float64(f)) {
			if !math.IsNaN(float64(BF16ToFP32(back))) {
				t.Fatalf("FP32ToBF16(NaN %#04x) = %#04x, not a NaN", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("FP32ToBF16(BF16ToFP32(%#04x)) = %#04x", h, back)
		}
	}
}

func TestFP32ToBF16Cases(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{"one", 1, 0x3f80},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"tie 1+2^-8 to even (down)", 1 + 1.0/(1<<8), 0x3f80},
		{"tie 1+3·2^-8 to even (up)", 1 + 3.0/(1<<8), 0x3f82},
		{"just above tie rounds up", math.Nextafter32(1+1.0/(1<<8), 2), 0x3f81},
		{"subnormal tie to even (down)", math.Float32frombits(0x00008000), 0x0000},
		{"subnormal tie to even (up)", math.Float32frombits(0x00018000), 0x0002},
		{"largest finite bf16", math.Float32frombits(0x7f7f0000), 0x7f7f},
		{"max float32 overflows", math.MaxFloat32, 0x7f80},
		{"-Inf", float32(math.Inf(-1)), 0xff80},
	}
	for _, tt := range tests {
		if got := FP32ToBF16(tt.in); got != tt.want {
			t.Errorf("%s: FP32ToBF16(%g) = %#04x, want %#04x", tt.name, tt.in, got, tt.want)
		}
	}
	// A NaN whose payload sits only in the low 16 bits must not truncate
	// to Inf.
	if h := FP32ToBF16(math.Float32frombits(0x7f800001)); h&0x7f80 != 0x7f80 || h&0x7f == 0 {
		t.Errorf("FP32ToBF16(NaN 0x7f800001) = %#04x, want a NaN", h)
	}
}

// TestFP32ToHalfRandom compares both roundings with their float64
// references on random float32 bit patterns, half of them (F16) or a
// quarter (BF16) steered to where the interesting rounding happens.
func TestFP32ToHalfRandom(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		seed      uint64
		conv, ref func(float32) uint16
		steer     func(r *rand.Rand, i int, bits uint32) uint32
	}{
		{"FP16", 4_000_000, 1, FP32ToFP16, refFP32ToFP16, func(r *rand.Rand, i int, bits uint32) uint32 {
			if i%2 == 0 {
				return bits
			}
			e := 0x60 + bits>>23%0x30 // in and around the half range
			return bits&0x807fffff | e<<23
		}},
		{"BF16", 2_000_000, 3, FP32ToBF16, refFP32ToBF16, func(r *rand.Rand, i int, bits uint32) uint32 {
			if r.IntN(4) == 0 {
				bits |= 0x7fff // just below or at a tie more often
				bits ^= r.Uint32() & 1
			}
			return bits
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.n
			if testing.Short() {
				n = 200_000
			}
			r := rand.New(rand.NewPCG(tt.seed, tt.seed+1))
			for i := range n {
				bits := tt.steer(r, i, r.Uint32())
				f := math.Float32frombits(bits)
				if math.IsNaN(float64(f)) {
					continue
				}
				if got, want := tt.conv(f), tt.ref(f); got != want {
					t.Fatalf("FP32To%s(%g = %#08x) = %#04x, want %#04x", tt.name, f, bits, got, want)
				}
			}
		})
	}
}

func TestFloatRows(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	src := []float32{1, -2, 0.5, 65504, 1 + 1.0/(1<<11), negZero}
	tests := []struct {
		name       string
		quantize   func([]byte, []float32)
		dequantize func([]float32, []byte)
		size       int
		want       []byte    // little-endian encoding of src
		back       []float32 // decoding of want
	}{
		{"F32", QuantizeF32, DequantizeF32, 4, []byte{
			0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f,
			0x00, 0xe0, 0x7f, 0x47, 0x00, 0x10, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x80,
		}, src},
		{"F16", QuantizeF16, DequantizeF16, 2, []byte{
			0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b, 0x00, 0x3c, 0x00, 0x80,
		}, []float32{1, -2, 0.5, 65504, 1, negZero}},
		{"BF16", QuantizeBF16, DequantizeBF16, 2, []byte{
			0x80, 0x3f, 0x00, 0xc0, 0x00, 0x3f, 0x80, 0x47, 0x80, 0x3f, 0x00, 0x80,
		}, []float32{1, -2, 0.5, 65536, 1, negZero}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]byte, tt.size*len(src))
			tt.quantize(got, src)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("encoded % x, want % x", got, tt.want)
			}
			back := make([]float32, len(src))
			tt.dequantize(back, got)
			for i := range back {
				if math.Float32bits(back[i]) != math.Float32bits(tt.back[i]) {
					t.Errorf("element %d decodes to %g, want %g", i, back[i], tt.back[i])
				}
			}
		})
	}
}

// TestQuantizeF16MatchesFP32ToFP16 checks QuantizeF16's inline fast path
// against FP32ToFP16 around the edges of the fast path and on every 251st
// float32 bit pattern.
func TestQuantizeF16MatchesFP32ToFP16(t *testing.T) {
	stride := uint64(251)
	if testing.Short() {
		stride = 25013
	}
	check := func(src []float32) {
		t.Helper()
		dst := make([]byte, 2*len(src))
		QuantizeF16(dst, src)
		for i, f := range src {
			got := uint16(dst[2*i]) | uint16(dst[2*i+1])<<8
			if want := FP32ToFP16(f); got != want {
				t.Fatalf("QuantizeF16(%g = %#08x) = %#04x, FP32ToFP16 gives %#04x", f, math.Float32bits(f), got, want)
			}
		}
	}
	var src []float32
	for _, edge := range []uint32{0x38800000, 0x477fe000, 0x477ff000, 0x47800000} {
		for b := edge - 0x2000; b < edge+0x2000; b++ {
			src = append(src, math.Float32frombits(b), math.Float32frombits(b|0x80000000))
		}
	}
	check(src)
	src = src[:0]
	for b := uint64(0); b < 1<<32; b += stride {
		src = append(src, math.Float32frombits(uint32(b)))
		if len(src) == cap(src) {
			check(src)
			src = src[:0]
		}
	}
	check(src)
}
