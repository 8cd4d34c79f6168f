package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

func TestQ3_KRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 1))
	tests := []struct {
		name    string
		sigma   float64
		maxRMSE float64 // relative to sigma
		maxErr  float64 // largest |x-y|, relative to sigma
	}{
		{"unit", 1, 0.2, 0.8},
		{"small", 1e-2, 0.2, 0.8},
		{"large", 300, 0.2, 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := symNormalRow(r, 64*256, tc.sigma)
			_, y := symRoundTrip(x, q3KBytes, QuantizeQ3_K, DequantizeQ3_K)
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

// q3Grid builds one super-block whose sub-block j holds c_j·(q-4) with
// c_j = 2^-(1+j%4) and levels q(e): every value is exactly representable, so
// the quantizer must find the grid and decode it without error.
func q3Grid() (x []float32, q []int) {
	x = make([]float32, 256)
	q = make([]int, 256)
	for e := range x {
		if e%16 != 0 { // level 0 (-4) first in each sub-block: the extreme
			q[e] = (e*5 + 1) % 8
		}
		c := float32(math.Ldexp(1, -(1 + (e/16)%4)))
		x[e] = c * float32(q[e]-4)
	}
	return x, q
}

func TestQ3_KLayout(t *testing.T) {
	x, q := q3Grid()
	b, y := symRoundTrip(x, q3KBytes, QuantizeQ3_K, DequantizeQ3_K)
	for e := range x {
		if x[e] != y[e] {
			t.Fatalf("element %d: %g decoded as %g", e, x[e], y[e])
		}
	}
	// Largest scale 1/2 maps to -32, so d = -1/64 (fp16 0xa400) and the
	// scales 1/2, 1/4, 1/8, 1/16 are -32, -16, -8, -4, stored +32 as 0, 16,
	// 24, 28: low nibbles 0, 0, 8, 12 and high bits 0, 1, 1, 1.
	if d := binary.LittleEndian.Uint16(b[q3KD:]); d != 0xa400 {
		t.Errorf("d = %#04x, want 0xa400", d)
	}
	wantScales := []byte{0x00, 0x00, 0x88, 0xcc, 0x00, 0x00, 0x88, 0xcc, 0x00, 0x55, 0x55, 0x55}
	if got := b[q3KScales:q3KD]; !bytes.Equal(got, wantScales) {
		t.Errorf("scales = % x, want % x", got, wantScales)
	}
	// Hand-computed: q(e) = 6 for e = 1, 33, 65, ..., 225 and 3 for e = 2,
	// 34, ..., 226; 0 for every multiple of 16.
	for _, c := range []struct {
		off  int
		want byte
	}{
		{0, 0x00},         // hmask: q(0), q(32), ... are all 0
		{1, 0xff},         // q(1+32k) = 6 >= 4 for every k
		{2, 0x00},         // q(2+32k) = 3 < 4
		{q3KQs + 1, 0xaa}, // low bits of q(1), q(33), q(65), q(97): 2 each
		{q3KQs + 2, 0xff}, // low bits of q(2), ...: 3 each
		{q3KQs + 33, 0xaa},
	} {
		if b[c.off] != c.want {
			t.Errorf("byte %d = %#02x, want %#02x", c.off, b[c.off], c.want)
		}
	}
	// Every level, from the documented layout.
	for e := range 256 {
		h, r := e/128, e%128
		lo := int(b[q3KQs+32*h+r%32] >> (2 * (r / 32)) & 3)
		hi := int(b[e%32] >> (e / 32) & 1)
		if got := lo | hi<<2; got != q[e] {
			t.Fatalf("level of element %d = %d, want %d", e, got, q[e])
		}
	}
}

func TestQ3_KZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 2))
	x := symNormalRow(r, 3*256, 1)
	clear(x[256:512]) // a whole zero super-block
	clear(x[528:544]) // one zero sub-block (the 2nd) in the third
	b, y := symRoundTrip(x, q3KBytes, QuantizeQ3_K, DequantizeQ3_K)
	if !bytes.Equal(b[q3KBytes:2*q3KBytes], make([]byte, q3KBytes)) {
		t.Errorf("zero super-block encoded as %x, want all zeros", b[q3KBytes:2*q3KBytes])
	}
	if s := q3KScale(b[2*q3KBytes+q3KScales:2*q3KBytes+q3KD], 1); s != 0 {
		t.Errorf("zero sub-block has scale %d, want 0", s)
	}
	for i := 256; i < 544; i++ {
		if x[i] == 0 && y[i] != 0 {
			t.Fatalf("zero element %d decoded as %g", i, y[i])
		}
	}
}

// A sub-block whose scale has the opposite sign of the largest one would map
// to +32; it is clamped to 31.
func TestQ3_KOppositeScaleClamped(t *testing.T) {
	x, _ := q3Grid()
	for e := 16; e < 32; e++ {
		x[e] = -x[e] * 2 // sub-block 1: scale -1/2, as large as sub-block 0's
	}
	b, _ := symRoundTrip(x, q3KBytes, QuantizeQ3_K, DequantizeQ3_K)
	sc := b[q3KScales:q3KD]
	if s0, s1 := q3KScale(sc, 0), q3KScale(sc, 1); s0 != -32 || s1 != 31 {
		t.Errorf("scales 0, 1 = %d, %d, want -32, 31", s0, s1)
	}
}

// Multiplying the input by a power of two must leave every byte but d alone
// and multiply d by the same power, as long as d stays a normal fp16 and
// the search sums stay in float32 range.
func TestQ3_KScaleInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	x := symNormalRow(r, 8*256, 1)
	b0, _ := symRoundTrip(x, q3KBytes, QuantizeQ3_K, DequantizeQ3_K)
	for _, k := range []int{-6, 3, 10} {
		xs := make([]float32, len(x))
		for i, v := range x {
			xs[i] = float32(math.Ldexp(float64(v), k))
		}
		b, _ := symRoundTrip(xs, q3KBytes, QuantizeQ3_K, DequantizeQ3_K)
		for blk := range len(b) / q3KBytes {
			y0, y := b0[blk*q3KBytes:(blk+1)*q3KBytes], b[blk*q3KBytes:(blk+1)*q3KBytes]
			if !bytes.Equal(y0[:q3KD], y[:q3KD]) {
				t.Fatalf("2^%d: block %d levels or scales changed", k, blk)
			}
			d0 := FP16ToFP32(binary.LittleEndian.Uint16(y0[q3KD:]))
			d := FP16ToFP32(binary.LittleEndian.Uint16(y[q3KD:]))
			if want := float32(math.Ldexp(float64(d0), k)); d != want {
				t.Fatalf("2^%d: block %d d = %g, want %g", k, blk, d, want)
			}
		}
	}
}

func TestQ3_KSize(t *testing.T) {
	if n, _ := gguf.Q3_K.RowBytes(256); n != q3KBytes || q3KBytes != 110 {
		t.Errorf("Q3_K block is %d bytes here and %d in gguf, want 110", q3KBytes, n)
	}
}
