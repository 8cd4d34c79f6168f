package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

// q8KCheck verifies the invariants of one encoded Q8_K block for its input
// x: qs in -127..127, bsums equal to the sums of qs, and every value within
// half a step of d·q.
func q8KCheck(t *testing.T, x []float32, y []byte) {
	t.Helper()
	d := math.Float32frombits(binary.LittleEndian.Uint32(y))
	for g := range 16 {
		sum := 0
		for e := 16 * g; e < 16*g+16; e++ {
			q := int8(y[4+e])
			if q < -127 {
				t.Fatalf("element %d: level %d below -127", e, q)
			}
			if err := math.Abs(float64(x[e]) - float64(d)*float64(q)); err > math.Abs(float64(d))*(0.5+1e-5) {
				t.Fatalf("element %d: %g encoded as %d·%g", e, x[e], q, d)
			}
			sum += int(q)
		}
		if got := int16(binary.LittleEndian.Uint16(y[q8KBsums+2*g:])); int(got) != sum {
			t.Fatalf("bsums[%d] = %d, want %d", g, got, sum)
		}
	}
}

func TestQ8_KRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	for _, sigma := range []float64{1, 1e-30, 1e30} {
		x := make([]float32, 32*256)
		for i := range x {
			x[i] = float32(r.NormFloat64() * sigma)
		}
		b, y := roundTrip(gguf.Q8_K, x)
		for blk := range len(x) / 256 {
			q8KCheck(t, x[blk*256:(blk+1)*256], b[blk*q8KBytes:(blk+1)*q8KBytes])
		}
		if e := symRMSE(x, y) / sigma; e > 0.01 {
			t.Errorf("sigma %g: relative RMSE %.4f, want <= 0.01", sigma, e)
		}
	}
}

func TestQ8_KLayout(t *testing.T) {
	// x[0] = -127 is the extreme, so iscale = 1, d = 1 and every level
	// is the value itself.
	x := make([]float32, 256)
	x[0] = -127
	for e := 1; e < 256; e++ {
		x[e] = float32(e*37%253 - 126)
	}
	b, y := roundTrip(gguf.Q8_K, x)
	if !bytes.Equal(b[:4], []byte{0x00, 0x00, 0x80, 0x3f}) {
		t.Errorf("d bytes = % x, want 00 00 80 3f (1.0)", b[:4])
	}
	if b[4] != 0x81 || b[5] != 0xa7 { // -127, 37-126 = -89
		t.Errorf("qs[0], qs[1] = %#02x, %#02x, want 0x81, 0xa7", b[4], b[5])
	}
	for e := range x {
		if y[e] != x[e] {
			t.Fatalf("element %d: %g decoded as %g", e, x[e], y[e])
		}
	}
	q8KCheck(t, x, b)
	// bsums[0] = -127 + Σ_{e=1..15} (37e mod 253 - 126) = -360.
	if got := int16(binary.LittleEndian.Uint16(b[q8KBsums:])); got != -360 {
		t.Errorf("bsums[0] = %d, want -360", got)
	}
}

func TestQ8_KEdges(t *testing.T) {
	// dOf is d as llama.cpp computes it for the extreme m.
	dOf := func(m float32) float32 { iscale := -127 / m; return 1 / iscale }
	tests := []struct {
		name   string
		fill   func(x []float32)
		wantD  float32
		levels bool // check the levels against the values
	}{
		{"all zero", func(x []float32) {}, 0, false},
		// A positive extreme gives a negative d and level -127 for it.
		{"positive max", func(x []float32) { x[7] = 2; x[9] = -1 }, dOf(2), true},
		// The first of two equal magnitudes decides the sign.
		{"tie", func(x []float32) { x[3] = -5; x[4] = 5 }, dOf(-5), true},
		{"tiny", func(x []float32) { x[0] = 1e-36; x[1] = -3e-37 }, dOf(1e-36), true},
		// Below about 3.7e-37, -127/m overflows to -Inf: d is -0 and every
		// level 0, as llama.cpp's C code gives (no panic, no garbage).
		{"subnormal-range max", func(x []float32) { x[0] = 1e-38; x[1] = -3e-39 }, float32(math.Copysign(0, -1)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]float32, 256)
			tc.fill(x)
			b := make([]byte, q8KBytes)
			for i := range b {
				b[i] = 0xee // must be overwritten
			}
			QuantizeQ8_K(b, x)
			d := math.Float32frombits(binary.LittleEndian.Uint32(b))
			if math.Float32bits(d) != math.Float32bits(tc.wantD) {
				t.Errorf("d = %g, want %g", d, tc.wantD)
			}
			if tc.levels {
				q8KCheck(t, x, b)
			} else if !bytes.Equal(b[4:], make([]byte, q8KBytes-4)) {
				t.Errorf("levels and bsums = % x, want zeros", b[4:])
			}
		})
	}
}
