package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

func TestQ6_KRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	tests := []struct {
		name    string
		sigma   float64
		maxRMSE float64 // relative to sigma
		maxErr  float64 // largest |x-y|, relative to sigma
	}{
		{"unit", 1, 0.025, 0.09},
		{"small", 1e-2, 0.025, 0.09},
		{"large", 300, 0.025, 0.09},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := symNormalRow(r, 64*256, tc.sigma)
			_, y := symRoundTrip(x, q6KBytes, QuantizeQ6_K, DequantizeQ6_K)
			if e := symRMSE(x, y) / tc.sigma; e > tc.maxRMSE {
				t.Errorf("relative RMSE %.4f, want <= %.4f", e, tc.maxRMSE)
			}
			for i := range x {
				if e := math.Abs(float64(x[i]-y[i])) / tc.sigma; e > tc.maxErr {
					t.Fatalf("element %d: %g decoded as %g", i, x[i], y[i])
				}
			}
		})
	}
}

// q6Grid builds one super-block whose sub-block j holds c_j·(q-32) with
// c_j = 2^-(2+j%4) and levels q(e): every value is exactly representable, so
// the quantizer must find the grid and decode it without error.
func q6Grid() (x []float32, q []int) {
	x = make([]float32, 256)
	q = make([]int, 256)
	for e := range x {
		if e%16 != 0 { // level 0 (-32) first in each sub-block: the extreme
			q[e] = (e*7 + 3) % 64
		}
		c := float32(math.Ldexp(1, -(2 + (e/16)%4)))
		x[e] = c * float32(q[e]-32)
	}
	return x, q
}

func TestQ6_KLayout(t *testing.T) {
	x, q := q6Grid()
	b, y := symRoundTrip(x, q6KBytes, QuantizeQ6_K, DequantizeQ6_K)
	for e := range x {
		if x[e] != y[e] {
			t.Fatalf("element %d: %g decoded as %g", e, x[e], y[e])
		}
	}
	// Largest scale 1/4 maps to -128, so d = -1/512 (fp16 0x9800) and the
	// scales 1/4, 1/8, 1/16, 1/32 are stored as -128, -64, -32, -16.
	if d := binary.LittleEndian.Uint16(b[208:]); d != 0x9800 {
		t.Errorf("d = %#04x, want 0x9800", d)
	}
	for j := range 16 {
		if want := []byte{0x80, 0xc0, 0xe0, 0xf0}[j%4]; b[192+j] != want {
			t.Errorf("scale %d = %#02x, want %#02x", j, b[192+j], want)
		}
	}
	// Hand-computed bytes: q(1) = q(65) = 10, q(33) = q(97) = 42,
	// q(2) = q(66) = 17, q(34) = q(98) = 49, q(0) = q(64) = 0.
	for _, c := range []struct {
		off  int
		want byte
	}{
		{0, 0x00},   // ql: low nibbles of q(0) | q(64)<<4
		{1, 0xaa},   // q(1) | q(65)<<4
		{33, 0xaa},  // q(33) | q(97)<<4
		{2, 0x11},   // q(2) | q(66)<<4
		{129, 0x88}, // qh: high bits of q(1), q(33), q(65), q(97) = 0, 2, 0, 2
		{130, 0xdd}, // q(2), q(34), q(66), q(98) = 1, 3, 1, 3
	} {
		if b[c.off] != c.want {
			t.Errorf("byte %d = %#02x, want %#02x", c.off, b[c.off], c.want)
		}
	}
	// Every level, from the documented layout.
	for e := range 256 {
		h, r := e/128, e%128
		ql := b[64*h+r%64]
		if r >= 64 {
			ql >>= 4
		}
		qh := b[128+32*h+r%32] >> (2 * (r / 32)) & 3
		if got := int(ql&0xf | qh<<4); got != q[e] {
			t.Fatalf("level of element %d = %d, want %d", e, got, q[e])
		}
	}
}

func TestQ6_KZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 2))
	x := symNormalRow(r, 3*256, 1)
	clear(x[256:512]) // a whole zero super-block
	clear(x[528:544]) // one zero sub-block (the 2nd) in the third
	b, y := symRoundTrip(x, q6KBytes, QuantizeQ6_K, DequantizeQ6_K)
	if !bytes.Equal(b[q6KBytes:2*q6KBytes], make([]byte, q6KBytes)) {
		t.Errorf("zero super-block encoded as %x, want all zeros", b[q6KBytes:2*q6KBytes])
	}
	if b[2*q6KBytes+q6KScales+1] != 0 {
		t.Errorf("zero sub-block has scale %d, want 0", int8(b[2*q6KBytes+q6KScales+1]))
	}
	for i := 256; i < 544; i++ {
		if x[i] == 0 && y[i] != 0 {
			t.Fatalf("zero element %d decoded as %g", i, y[i])
		}
	}
}

// A sub-block whose scale has the opposite sign of the largest one would map
// to +128; it is clamped to 127.
func TestQ6_KOppositeScaleClamped(t *testing.T) {
	x, _ := q6Grid()
	for e := 16; e < 32; e++ {
		x[e] = -x[e] * 2 // sub-block 1: scale -1/4, as large as sub-block 0's
	}
	b, y := symRoundTrip(x, q6KBytes, QuantizeQ6_K, DequantizeQ6_K)
	if b[q6KScales] != 0x80 || b[q6KScales+1] != 0x7f {
		t.Errorf("scales 0, 1 = %#02x, %#02x, want 0x80, 0x7f", b[q6KScales], b[q6KScales+1])
	}
	for e := 16; e < 32; e++ {
		if math.Abs(float64(x[e]-y[e])) > 0.25 {
			t.Errorf("element %d: %g decoded as %g", e, x[e], y[e])
		}
	}
}

// Multiplying the input by a power of two must leave every byte but d alone
// and multiply d by the same power, as long as d stays a normal fp16 and
// the search sums stay in float32 range.
func TestQ6_KScaleInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 3))
	x := symNormalRow(r, 8*256, 1)
	b0, _ := symRoundTrip(x, q6KBytes, QuantizeQ6_K, DequantizeQ6_K)
	for _, k := range []int{-2, 5, 12} {
		xs := make([]float32, len(x))
		for i, v := range x {
			xs[i] = float32(math.Ldexp(float64(v), k))
		}
		b, _ := symRoundTrip(xs, q6KBytes, QuantizeQ6_K, DequantizeQ6_K)
		for blk := range len(b) / q6KBytes {
			y0, y := b0[blk*q6KBytes:(blk+1)*q6KBytes], b[blk*q6KBytes:(blk+1)*q6KBytes]
			if !bytes.Equal(y0[:q6KD], y[:q6KD]) {
				t.Fatalf("2^%d: block %d levels or scales changed", k, blk)
			}
			d0 := FP16ToFP32(binary.LittleEndian.Uint16(y0[q6KD:]))
			d := FP16ToFP32(binary.LittleEndian.Uint16(y[q6KD:]))
			if want := float32(math.Ldexp(float64(d0), k)); d != want {
				t.Fatalf("2^%d: block %d d = %g, want %g", k, blk, d, want)
			}
		}
	}
}

func TestQ6_KSize(t *testing.T) {
	if n, _ := gguf.Q6_K.RowBytes(256); n != q6KBytes || q6KBytes != 210 {
		t.Errorf("Q6_K block is %d bytes here and %d in gguf, want 210", q6KBytes, n)
	}
}
