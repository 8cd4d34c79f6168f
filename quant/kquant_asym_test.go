package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"nibble/engine/gguf"
)

// asymType describes one scale-and-min K-quant for the tests below.
type asymType struct {
	typ     gguf.Type
	subSize int // elements per sub-block
	nmax    int // largest level
}

var asymTypes = []asymType{
	{gguf.Q2_K, 16, 3},
	{gguf.Q4_K, 32, 15},
	{gguf.Q5_K, 32, 31},
}

// level reads the level of element e (0..255) of block blk, following the
// layout comments of q2_k.go, q4_k.go and q5_k.go.
func (at asymType) level(blk []byte, e int) int {
	switch at.typ {
	case gguf.Q2_K:
		return int(blk[16+32*(e/128)+e%32]>>(2*(e%128/32))) & 3
	case gguf.Q4_K:
		return int(blk[16+32*(e/64)+e%32]>>(4*(e%64/32))) & 15
	default: // Q5_K
		lo := int(blk[48+32*(e/64)+e%32]>>(4*(e%64/32))) & 15
		hi := int(blk[16+e%32]>>(2*(e/64)+e%64/32)) & 1
		return lo | hi<<4
	}
}

// scaleMin returns the decoded scale and min of element e's sub-block.
func (at asymType) scaleMin(blk []byte, e int) (d, m float32) {
	var sc, mn uint8
	var hd, hm uint16
	if at.typ == gguf.Q2_K {
		sc, mn = blk[e/16]&15, blk[e/16]>>4
		hd, hm = binary.LittleEndian.Uint16(blk[80:]), binary.LittleEndian.Uint16(blk[82:])
	} else {
		sc, mn = scaleMinK4(blk[4:16], e/32)
		hd, hm = binary.LittleEndian.Uint16(blk[0:]), binary.LittleEndian.Uint16(blk[2:])
	}
	return float32(FP16ToFP32(hd) * float32(sc)), float32(FP16ToFP32(hm) * float32(mn))
}

func TestSearchScaleMin(t *testing.T) {
	grid := make([]float32, 16) // 0.5·l − 1 for l = 0..15: exactly on a grid
	for l := range grid {
		grid[l] = 0.5*float32(l) - 1
	}
	tests := []struct {
		name   string
		x      []float32
		nmax   int
		useMAD bool
		d, m   float32
		L      []uint8 // nil: not checked
	}{
		{"zeros", make([]float32, 16), 15, false, 0, 0, make([]uint8, 16)},
		{"equal negative", []float32{-2, -2, -2, -2}, 3, true, 0, 2, []uint8{0, 0, 0, 0}},
		{"equal positive", []float32{3, 3, 3, 3}, 3, true, 1, 0, []uint8{3, 3, 3, 3}},
		{"grid", grid, 15, false, 0.5, 1, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
		{"grid mad", grid, 15, true, 0.5, 1, []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
		{"two levels", []float32{-1, 1, -1, 1}, 3, false, 2.0 / 3, 1, []uint8{0, 3, 0, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float32, len(tc.x))
			for i, v := range tc.x {
				w[i] = 1 + float32(math.Abs(float64(v)))
			}
			L := make([]uint8, len(tc.x))
			for i := range L {
				L[i] = 99 // must be overwritten
			}
			laux := make([]uint8, len(tc.x))
			d, m := searchScaleMin(tc.x, w, tc.nmax, -0.5, 0.1, 15, tc.useMAD, L, laux)
			if d != tc.d || m != tc.m {
				t.Errorf("got d=%g m=%g, want d=%g m=%g", d, m, tc.d, tc.m)
			}
			if !bytes.Equal(L, tc.L) {
				t.Errorf("levels %v, want %v", L, tc.L)
			}
		})
	}
}

// TestSearchScaleMinImproves checks on random sub-blocks that the search
// returns levels in range, reports the scale and min that go with them, and
// never does worse than its first candidate (the plain min/max grid).
func TestSearchScaleMinImproves(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 4))
	for _, at := range asymTypes {
		t.Run(at.typ.String(), func(t *testing.T) {
			x := make([]float32, at.subSize)
			w := make([]float32, at.subSize)
			L := make([]uint8, at.subSize)
			laux := make([]uint8, at.subSize)
			naiveL := make([]uint8, at.subSize)
			useMAD := at.typ == gguf.Q2_K
			improved := 0
			for range 2000 {
				shift := r.NormFloat64()
				for i := range x {
					x[i] = float32(r.NormFloat64() + shift)
					w[i] = float32(math.Abs(float64(x[i])))
				}
				d, m := searchScaleMin(x, w, at.nmax, -0.5, 0.1, 15, useMAD, L, laux)
				for i, l := range L {
					if int(l) > at.nmax {
						t.Fatalf("level %d out of range at %d", l, i)
					}
				}
				if !(d > 0) || !(m >= 0) {
					t.Fatalf("d=%g m=%g for %v", d, m, x)
				}
				lo, hi := float32(0), x[0]
				for _, v := range x {
					lo, hi = min(lo, v), max(hi, v)
				}
				iscale := float32(at.nmax) / (hi - lo)
				for i, v := range x {
					naiveL[i] = uint8(max(0, min(at.nmax, nearestInt(iscale*(v-lo)))))
				}
				naive := asymError(x, w, naiveL, 1/iscale, lo, useMAD)
				got := asymError(x, w, L, d, -m, useMAD)
				if got > naive {
					t.Fatalf("search error %g worse than the first candidate's %g", got, naive)
				}
				if got < naive {
					improved++
				}
			}
			if improved < 1000 {
				t.Errorf("the search beat the first candidate on only %d of 2000 sub-blocks", improved)
			}
		})
	}
}

func TestScaleMinK4Packing(t *testing.T) {
	sc := []uint8{1, 2, 3, 4, 17, 33, 48, 63}
	m := []uint8{0, 5, 10, 15, 20, 40, 60, 63}
	// By hand from the layout at k4Scales: e.g. byte 0 = sc0 | (sc4>>4)<<6 =
	// 1 | 1<<6, byte 8 = sc4&15 | (m4&15)<<4 = 1 | 4<<4.
	want := []byte{0x41, 0x82, 0xc3, 0xc4, 0x40, 0x85, 0xca, 0xcf, 0x41, 0x81, 0xc0, 0xff}
	q := bytes.Repeat([]byte{0xaa}, 12) // stale bytes must not leak through
	for j := range 8 {
		packScaleMinK4(q, j, sc[j], m[j])
	}
	if !bytes.Equal(q, want) {
		t.Errorf("packed % x, want % x", q, want)
	}
	for j := range 8 {
		if gs, gm := scaleMinK4(want, j); gs != sc[j] || gm != m[j] {
			t.Errorf("sub-block %d: unpacked (%d, %d), want (%d, %d)", j, gs, gm, sc[j], m[j])
		}
	}
	// Every 6-bit pair survives in every position.
	for v := range 64 {
		for j := range 8 {
			for k := range 8 {
				packScaleMinK4(q, k, uint8((v+k)%64), uint8((63-v+k)%64))
			}
			if gs, gm := scaleMinK4(q, j); int(gs) != (v+j)%64 || int(gm) != (63-v+j)%64 {
				t.Fatalf("value %d sub-block %d: unpacked (%d, %d)", v, j, gs, gm)
			}
		}
	}
}

// TestAsymKGrid quantizes one super-block that lies exactly on a grid:
// every sub-block holds q − off for levels q covering 0..nmax, so each
// sub-block's scale is 1 and min off, both map to the top code (15 or 63),
// and the levels must come back as given, each in its documented place.
func TestAsymKGrid(t *testing.T) {
	tests := []struct {
		at      asymType
		off     float32
		level   func(e int) int
		header  []byte // d and dmin as stored, computed by hand below
		scales  []byte
		maxDiff float32
	}{
		// d = fp16(1/15) = 2^-4·(1+68/1024) = 0x2c44, dmin likewise.
		{asymTypes[0], 1, func(e int) int { return (e%4 + e/32) % 4 }, []byte{0x44, 0x2c, 0x44, 0x2c},
			bytes.Repeat([]byte{0xff}, 16), 0.001},
		// d = fp16(1/63) = 2^-6·(1+16/1024) = 0x2410, dmin = fp16(4/63) = 0x2c10;
		// all 6-bit codes are 63, so every scale byte is 0xff.
		{asymTypes[1], 4, func(e int) int { return (e + e/32) % 16 }, []byte{0x10, 0x24, 0x10, 0x2c},
			bytes.Repeat([]byte{0xff}, 12), 0.005},
		{asymTypes[2], 4, func(e int) int { return (e + e/32) % 32 }, []byte{0x10, 0x24, 0x10, 0x2c},
			bytes.Repeat([]byte{0xff}, 12), 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.at.typ.String(), func(t *testing.T) {
			x := make([]float32, 256)
			for e := range x {
				x[e] = float32(tc.level(e)) - tc.off
			}
			b, y := roundTrip(tc.at.typ, x)
			var header, scales []byte
			if tc.at.typ == gguf.Q2_K {
				header, scales = b[80:84], b[:16]
			} else {
				header, scales = b[:4], b[4:16]
			}
			if !bytes.Equal(header, tc.header) {
				t.Errorf("d, dmin bytes % x, want % x", header, tc.header)
			}
			if !bytes.Equal(scales, tc.scales) {
				t.Errorf("scale bytes % x, want % x", scales, tc.scales)
			}
			for e := range x {
				if got, want := tc.at.level(b, e), tc.level(e); got != want {
					t.Fatalf("element %d: level %d, want %d", e, got, want)
				}
				if diff := float32(math.Abs(float64(y[e] - x[e]))); diff > tc.maxDiff {
					t.Fatalf("element %d: %g decoded as %g", e, x[e], y[e])
				}
			}
		})
	}
}

// TestAsymKDequantizeLayout decodes random blocks and checks every value
// against the layout comments: (d·sc)·q − dmin·m with the level and scales
// read where the comments say.
func TestAsymKDequantizeLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, at := range asymTypes {
		t.Run(at.typ.String(), func(t *testing.T) {
			bb := at.typ.BlockBytes()
			b := make([]byte, 4*bb)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			for blk := range 4 {
				// finite positive d and dmin: 2^-8..2^7 with a random mantissa
				hdr := 0
				if at.typ == gguf.Q2_K {
					hdr = 80
				}
				for k := range 2 {
					h := uint16(7+r.IntN(16))<<10 | uint16(r.IntN(1024))
					binary.LittleEndian.PutUint16(b[blk*bb+hdr+2*k:], h)
				}
			}
			y := make([]float32, 4*256)
			formats[at.typ].dequantize(y, b)
			for i, got := range y {
				blk := b[i/256*bb : (i/256+1)*bb]
				d, m := at.scaleMin(blk, i%256)
				want := float32(d*float32(at.level(blk, i%256))) - m
				if got != want {
					t.Fatalf("element %d: %g, want %g", i, got, want)
				}
			}
		})
	}
}

// TestAsymKZeros checks all-zero super-blocks and sub-blocks: they encode
// to zeros, decode to exact zeros, and do not disturb their neighbours.
func TestAsymKZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	for _, at := range asymTypes {
		t.Run(at.typ.String(), func(t *testing.T) {
			bb := at.typ.BlockBytes()
			// Blocks: random, zeros (with -0s), random with a zero sub-block.
			x := make([]float32, 3*256)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			for i := 256; i < 512; i++ {
				x[i] = float32(math.Copysign(0, float64(i%2)-0.5))
			}
			zeroSub := 512 + 3*at.subSize
			clear(x[zeroSub : zeroSub+at.subSize])

			b, y := roundTrip(at.typ, x)
			if zb := b[bb : 2*bb]; !bytes.Equal(zb, make([]byte, bb)) {
				t.Errorf("zero super-block encoded as % x", zb)
			}
			for i := 256; i < 512; i++ {
				if y[i] != 0 {
					t.Fatalf("element %d of the zero super-block decodes as %g", i, y[i])
				}
			}
			for i := zeroSub; i < zeroSub+at.subSize; i++ {
				if y[i] != 0 {
					t.Fatalf("element %d of the zero sub-block decodes as %g", i, y[i])
				}
			}
			for k := range 3 {
				one, _ := roundTrip(at.typ, x[256*k:256*(k+1)])
				if !bytes.Equal(one, b[k*bb:(k+1)*bb]) {
					t.Errorf("super-block %d encodes differently alone and in a row", k)
				}
			}
		})
	}
}

// TestAsymKExtremeScales checks data whose scales leave fp16's range. As in
// llama.cpp, d and dmin round to 0 below it (the block then decodes to 0)
// and to +Inf above it; just inside, where they are fp16 subnormals, the
// decoded values are coarse but stay finite and of the data's magnitude.
func TestAsymKExtremeScales(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	dOffset := map[gguf.Type]int{gguf.Q2_K: 80, gguf.Q4_K: 0, gguf.Q5_K: 0}
	for _, at := range asymTypes {
		t.Run(at.typ.String(), func(t *testing.T) {
			bb := at.typ.BlockBytes()
			x := make([]float32, 4*256)
			gauss := func(sigma float64) {
				for i := range x {
					x[i] = float32(sigma * r.NormFloat64())
				}
			}

			gauss(1e-10)
			b, y := roundTrip(at.typ, x)
			for k := range 4 {
				if h := b[k*bb+dOffset[at.typ]:][:4]; !bytes.Equal(h, []byte{0, 0, 0, 0}) {
					t.Errorf("1e-10: super-block %d: d, dmin % x, want zeros", k, h)
				}
			}
			for i, v := range y {
				if v != 0 {
					t.Fatalf("1e-10: element %d decodes as %g, want 0", i, v)
				}
			}

			gauss(1e-6)
			_, y = roundTrip(at.typ, x)
			for i, v := range y {
				if math.IsNaN(float64(v)) || math.Abs(float64(v-x[i])) > 1e-5 {
					t.Fatalf("1e-6: element %d: %g decoded as %g", i, x[i], v)
				}
			}

			gauss(3e4)
			_, y = roundTrip(at.typ, x)
			for i, v := range y {
				if math.Abs(float64(v-x[i])) > 3e4*1.3 {
					t.Fatalf("3e4: element %d: %g decoded as %g", i, x[i], v)
				}
			}

			gauss(1e8)
			b, _ = roundTrip(at.typ, x)
			for k := range 4 {
				h := b[k*bb+dOffset[at.typ]:]
				if d, dmin := binary.LittleEndian.Uint16(h), binary.LittleEndian.Uint16(h[2:]); d != 0x7c00 || dmin != 0x7c00 {
					t.Errorf("1e8: super-block %d: d = %#04x, dmin = %#04x, want +Inf (0x7c00)", k, d, dmin)
				}
			}
		})
	}
}

// TestAsymKNonFinite only checks that NaN and ±Inf inputs do not panic (the
// C code gives them no meaning either).
func TestAsymKNonFinite(t *testing.T) {
	x := make([]float32, 2*256)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	inf := float32(math.Inf(1))
	x[3], x[40], x[300], x[301] = float32(math.NaN()), inf, -inf, float32(math.NaN())
	for _, at := range asymTypes {
		roundTrip(at.typ, x)
	}
}
