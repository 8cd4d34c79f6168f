package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

// legacyType describes one 32-element type for the tests below.
type legacyType struct {
	typ    gguf.Type
	levels int  // largest |multiplier of d| a value can have
	hasMin bool // an fp16 minimum m follows d (value = q*d + m)
	clamps bool // the level opposite the largest element is cut off by one step
}

var legacyTypes = []legacyType{
	{gguf.Q4_0, 8, false, true},
	{gguf.Q4_1, 15, true, false},
	{gguf.Q5_0, 16, false, true},
	{gguf.Q5_1, 31, true, false},
	{gguf.Q8_0, 127, false, false},
}

// blockScales reads d and (for types with a minimum) m of a block.
func (lt legacyType) blockScales(block []byte) (d, m float32) {
	d = FP16ToFP32(binary.LittleEndian.Uint16(block))
	if lt.hasMin {
		m = FP16ToFP32(binary.LittleEndian.Uint16(block[2:]))
	}
	return d, m
}

// halfULP bounds the fp16 rounding error of a value that rounded to v.
func halfULP(v float32) float64 {
	return max(0x1p-24, math.Abs(float64(v))*0x1p-10)
}

func TestLegacyKnownBlocks(t *testing.T) {
	ramp := func(f func(j int) float32) []float32 {
		x := make([]float32, 32)
		for j := range x {
			x[j] = f(j)
		}
		return x
	}
	rep := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	nibblePairs := func() []byte { // byte j = j | j<<4
		b := make([]byte, 16)
		for j := range b {
			b[j] = byte(j) | byte(j)<<4
		}
		return b
	}()
	q8 := []byte{0x81}
	for j := 1; j < 32; j++ {
		q8 = append(q8, byte(int8(j-16+min(1, j/16))))
	}
	tests := []struct {
		typ  gguf.Type
		name string
		x    []float32
		want []byte
		tol  float32 // max |dequantized - x|
	}{
		// d = 0 / -8 is -0, stored as fp16 0x8000 as in C.
		{gguf.Q4_0, "zeros", make([]float32, 32), cat([]byte{0x00, 0x80}, rep(0x88, 16)), 0},
		// Largest magnitude -16 at j=0: d = 2; x/d + 8.5 truncated;
		// element 31 (x/d = 7.5) rounds to 16 and is clamped to 15.
		{gguf.Q4_0, "ramp j-16", ramp(func(j int) float32 { return float32(j - 16) }),
			[]byte{0x00, 0x40, 0x80, 0x91, 0x91, 0xa2, 0xa2, 0xb3, 0xb3, 0xc4, 0xc4, 0xd5, 0xd5, 0xe6, 0xe6, 0xf7, 0xf7, 0xf8}, 1},
		// Largest magnitude +16: d = -2, same levels.
		{gguf.Q4_0, "ramp 16-j", ramp(func(j int) float32 { return float32(16 - j) }),
			[]byte{0x00, 0xc0, 0x80, 0x91, 0x91, 0xa2, 0xa2, 0xb3, 0xb3, 0xc4, 0xc4, 0xd5, 0xd5, 0xe6, 0xe6, 0xf7, 0xf7, 0xf8}, 1},
		{gguf.Q4_1, "zeros", make([]float32, 32), make([]byte, 20), 0},
		// d = 31/15 = 2.0667 (fp16 0x4022), m = 0, q = round(15j/31) = j/2.
		{gguf.Q4_1, "ramp j", ramp(func(j int) float32 { return float32(j) }),
			[]byte{0x22, 0x40, 0x00, 0x00, 0x80, 0x80, 0x91, 0x91, 0xa2, 0xa2, 0xb3, 0xb3, 0xc4, 0xc4, 0xd5, 0xd5, 0xe6, 0xe6, 0xf7, 0xf7}, 1.04},
		{gguf.Q5_0, "zeros", make([]float32, 32), cat([]byte{0x00, 0x80}, rep(0xff, 4), rep(0, 16)), 0},
		// d = 1, q = j: the fifth bit is set for j >= 16.
		{gguf.Q5_0, "ramp j-16", ramp(func(j int) float32 { return float32(j - 16) }),
			cat([]byte{0x00, 0x3c, 0x00, 0x00, 0xff, 0xff}, nibblePairs), 0},
		{gguf.Q5_1, "zeros", make([]float32, 32), make([]byte, 24), 0},
		// d = 0.5, m = -4 (fp16 0xc400), q = j.
		{gguf.Q5_1, "ramp j/2-4", ramp(func(j int) float32 { return float32(j)/2 - 4 }),
			cat([]byte{0x00, 0x38, 0x00, 0xc4, 0x00, 0x00, 0xff, 0xff}, nibblePairs), 0},
		{gguf.Q8_0, "zeros", make([]float32, 32), make([]byte, 34), 0},
		// d = 1; halves round away from zero: -14.5 -> -15, 0.5 -> 1.
		{gguf.Q8_0, "halves", ramp(func(j int) float32 {
			if j == 0 {
				return -127
			}
			return float32(j-16) + 0.5
		}), cat([]byte{0x00, 0x3c}, q8), 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String()+"/"+tt.name, func(t *testing.T) {
			got, back := roundTrip(tt.typ, tt.x)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("block\n got % x\nwant % x", got, tt.want)
			}
			for j, v := range back {
				if err := math.Abs(float64(v - tt.x[j])); err > float64(tt.tol) {
					t.Errorf("element %d: %g decodes to %g, error above %g", j, tt.x[j], v, tt.tol)
				}
			}
		})
	}
}

// TestLegacyErrorBound checks every dequantized value is within half a step
// of its input (a whole step where the type clamps), plus the effect of
// storing d and m as fp16, over random data from tiny to large scales.
func TestLegacyErrorBound(t *testing.T) {
	const n = 32 * 512
	r := rand.New(rand.NewPCG(5, 6))
	for _, lt := range legacyTypes {
		for _, scale := range []float64{1e-9, 1e-6, 1e-3, 1, 1e3, 1e4} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(scale * max(-6, min(6, r.NormFloat64())))
			}
			q, back := roundTrip(lt.typ, x)
			for b := range n / 32 {
				d, m := lt.blockScales(q[b*lt.typ.BlockBytes():])
				for j := b * 32; j < b*32+32; j++ {
					step := 0.5
					if lt.clamps && math.Abs(float64(x[j])) > float64(lt.levels-1)*math.Abs(float64(d)) {
						step = 1
					}
					tol := step*math.Abs(float64(d)) + float64(lt.levels)*halfULP(d) +
						math.Abs(float64(x[j]))*1e-6
					if lt.hasMin {
						tol += halfULP(m)
					}
					if err := math.Abs(float64(back[j] - x[j])); err > tol {
						t.Fatalf("%s scale %g: element %d = %g decodes to %g (d %g, m %g): error %g > %g",
							lt.typ, scale, j, x[j], back[j], d, m, err, tol)
					}
				}
			}
		}
	}
}

// TestLegacyGridExact quantizes blocks whose values already lie on a grid
// q*d (+ m) with fp16-exact d and m that the quantizer will pick itself; it
// must find exactly those levels, so dequantizing gives back the input.
func TestLegacyGridExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, lt := range legacyTypes {
		for range 2000 {
			// Multiples of 2^-8 below 2^16 keep every q*d + m exact in
			// float32, and d and m exact in fp16.
			d := float32(1+r.IntN(2047)) / 256
			var m float32
			x := make([]float32, 32)
			switch {
			case lt.hasMin:
				m = float32(r.IntN(4095)-2047) / 256
				for j := range x {
					x[j] = float32(r.IntN(lt.levels+1))*d + m
				}
				x[r.IntN(16)] = m
				x[r.IntN(16)+16] = float32(lt.levels)*d + m
			default:
				// Only the extreme element gets the largest magnitude
				// levels*|d|, so the quantizer picks it to set d.
				span := lt.levels - 1
				for j := range x {
					x[j] = float32(r.IntN(2*span+1)-span) * d
				}
				extreme := float32(lt.levels) * d
				if lt.clamps {
					// d = extreme / -levels: either sign is possible.
					if r.IntN(2) == 0 {
						d = -d
					}
					extreme = float32(-lt.levels) * d
				} else if r.IntN(2) == 0 {
					extreme = -extreme // d = |extreme| / levels
				}
				x[r.IntN(32)] = extreme
			}
			q, back := roundTrip(lt.typ, x)
			if gd, gm := lt.blockScales(q); gd != d || gm != m {
				t.Fatalf("%s: scales d %g m %g, want %g %g for %v", lt.typ, gd, gm, d, m, x)
			}
			for j := range x {
				if back[j] != x[j] {
					t.Fatalf("%s: element %d = %g decodes to %g (d %g, m %g)", lt.typ, j, x[j], back[j], d, m)
				}
			}
		}
	}
}

// TestLegacyRows checks blocks are laid out one after another: quantizing a
// row gives the concatenation of quantizing each block on its own.
func TestLegacyRows(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, 32*7)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, lt := range legacyTypes {
		row, back := roundTrip(lt.typ, x)
		for b := range 7 {
			one, oneBack := roundTrip(lt.typ, x[b*32:b*32+32])
			if bb := lt.typ.BlockBytes(); !bytes.Equal(one, row[b*bb:(b+1)*bb]) {
				t.Fatalf("%s: block %d differs when quantized alone", lt.typ, b)
			}
			for j := range oneBack {
				if oneBack[j] != back[b*32+j] {
					t.Fatalf("%s: block %d element %d differs when dequantized alone", lt.typ, b, j)
				}
			}
		}
	}
}
