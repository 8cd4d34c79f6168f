package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// Q8_1 has the levels and scale of Q8_0 plus s = d·Σ levels: check both
// against QuantizeQ8_0 over several magnitudes.
func TestQ8_1IsQ8_0PlusSum(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 11))
	for _, sigma := range []float64{1, 1e-3, 1e3, 1e-9} {
		x := make([]float32, 64*32)
		for i := range x {
			x[i] = float32(r.NormFloat64() * sigma)
		}
		q1 := make([]byte, len(x)/32*q8_1Bytes)
		q0 := make([]byte, len(x)/32*q8_0Bytes)
		QuantizeQ8_1(q1, x)
		QuantizeQ8_0(q0, x)
		for b := range len(x) / 32 {
			y1, y0 := q1[b*q8_1Bytes:(b+1)*q8_1Bytes], q0[b*q8_0Bytes:(b+1)*q8_0Bytes]
			if !bytes.Equal(y1[:2], y0[:2]) || !bytes.Equal(y1[4:], y0[2:]) {
				t.Fatalf("sigma %g block %d: d or qs differ from Q8_0", sigma, b)
			}
			var sum int32
			for _, q := range y1[4:] {
				sum += int32(int8(q))
			}
			// d unrounded, as quantize_row_q8_1_ref uses it.
			var amax float32
			for _, v := range x[32*b : 32*b+32] {
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			d := amax / 127
			if got, want := binary.LittleEndian.Uint16(y1[2:]), FP32ToFP16(float32(sum)*d); got != want {
				t.Fatalf("sigma %g block %d: s = %#04x, want %#04x", sigma, b, got, want)
			}
		}
		back := make([]float32, len(x))
		DequantizeQ8_1(back, q1)
		want := make([]float32, len(x))
		DequantizeQ8_0(want, q0)
		for i := range back {
			if back[i] != want[i] {
				t.Fatalf("sigma %g element %d: decoded %g, Q8_0 decodes %g", sigma, i, back[i], want[i])
			}
		}
	}
}

func TestQ8_1Layout(t *testing.T) {
	// max |x| = 127 gives d = 1, so every level is its value rounded half
	// away from zero: 2.5 → 3, -2.5 → -3.
	x := make([]float32, 32)
	x[0], x[1], x[2], x[31] = 127, 2.5, -2.5, -100
	y := make([]byte, q8_1Bytes)
	QuantizeQ8_1(y, x)
	want := make([]byte, q8_1Bytes)
	binary.LittleEndian.PutUint16(want, 0x3c00)     // d = 1
	binary.LittleEndian.PutUint16(want[2:], 0x4ec0) // s = 127+3-3-100 = 27
	want[4], want[5], want[6], want[35] = 127, 3, 0xfd, 0x9c
	if !bytes.Equal(y, want) {
		t.Errorf("got  % x\nwant % x", y, want)
	}
}
