//go:build !purego && (amd64 || arm64)

package kernels

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"nibble/engine/gguf"
)

// encoderCase is an activation encoder in use (native: not the Go one) and
// the Go one it must match.
type encoderCase struct {
	typ          gguf.Type
	native       bool
	inUse, goEnc func(dst []byte, x []float32)
}

func activationEncoders() []encoderCase {
	q8 := func(f func([]byte, []float32, bool), sum bool) func([]byte, []float32) {
		return func(dst []byte, x []float32) { f(dst, x, sum) }
	}
	return []encoderCase{
		{gguf.Q8_0, isNative(quantizeQ8, portableQ8), q8(quantizeQ8, false), q8(portableQ8, false)},
		{gguf.Q8_1, isNative(quantizeQ8, portableQ8), q8(quantizeQ8, true), q8(portableQ8, true)},
		{gguf.Q8_K, isNative(quantizeQ8K, portableQ8K), quantizeQ8K, portableQ8K},
		{gguf.F16, isNative(quantizeF16, portableF16), quantizeF16, portableF16},
	}
}

// isNative reports whether the encoder in use is not the Go one (not a
// closure: a closure's pointer is its code, the same for every instance).
func isNative(inUse, goVersion any) bool {
	return reflect.ValueOf(inUse).Pointer() != reflect.ValueOf(goVersion).Pointer()
}

// specialValues are the float32 values encoders treat specially: zeros of
// both signs, halfway points of the Q8 levels and of half floats, the
// extremes of float32 and of half floats, subnormals, Inf and NaNs with
// and without payloads (quiet, signalling, negative).
var specialValues = []uint32{
	0x00000000, 0x80000000, // ±0
	0x3f800000, 0xbf800000, 0x40200000, 0xc0600000, // ±1, 2.5, -3.5
	0x42fe0000, 0xc2fe0000, 0x42ff0000, // ±127, 127.5
	0x477fe000, 0x477fefff, 0x477ff000, 0x477fffff, 0x47800000, // 65504 and the way to half Inf
	0x38800000, 0x387fffff, 0x33800000, 0x33000000, 0x33000001, 0x32ffffff, // half normal/subnormal bounds
	0x38801000, 0x38803000, 0x35000000, 0x35400000, // half-float ties
	0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x0000ff00, // float32 subnormals, smallest normal
	0x01000000, 0x1a000000, 0x7f7fffff, 0xff7fffff, 0x7effffff, // tiny normals (127/x overflows), the largest
	0x7f800000, 0xff800000, // ±Inf
	0x7fc00000, 0xffc00000, 0x7fc00005, 0x7fc000ff, 0xffc00080, 0x7f800001, 0x7fbfffff, 0xffffffff, 0x7fe01234, // NaNs
}

// encoderInputs returns the rows the encoders are compared on, each a
// multiple of 256 values: random normal values, values of random scale
// from subnormal to huge, random bit patterns (NaNs, Infs and subnormals
// included), blocks built from the special values, and ties for the
// largest magnitude.
func encoderInputs(r *rand.Rand) [][]float32 {
	const n = 256 * 8
	var rows [][]float32
	rows = append(rows, gaussian(r, 64*n, 1), make([]float32, n))
	wide := make([]float32, 16*n)
	for i := range wide {
		wide[i] = float32(math.Ldexp(r.NormFloat64(), r.IntN(290)-160))
	}
	bits := make([]float32, 16*n)
	for i := range bits {
		bits[i] = math.Float32frombits(r.Uint32())
	}
	rows = append(rows, wide, bits)
	// Each block: mostly zeros or normal values, a few specials at random
	// places, sometimes one special everywhere.
	special := make([]float32, 64*n)
	for b := 0; b < len(special); b += 32 {
		blk := special[b : b+32]
		s := math.Float32frombits(specialValues[r.IntN(len(specialValues))])
		switch r.IntN(4) {
		case 0:
			for i := range blk {
				blk[i] = s
			}
		case 1:
			copy(blk, gaussian(r, 32, float64(r.IntN(200))))
			fallthrough
		default:
			for range 1 + r.IntN(3) {
				blk[r.IntN(32)] = math.Float32frombits(specialValues[r.IntN(len(specialValues))])
			}
		}
	}
	// Ties for the largest magnitude, opposite signs in either order, and
	// levels exactly halfway at scale 1 (amax 127).
	ties := make([]float32, 2*n)
	for b := 0; b < len(ties); b += 256 {
		blk := ties[b : b+256]
		for i := range blk {
			blk[i] = float32(r.IntN(254)-127) + 0.5
		}
		m := float32(127)
		if b%512 != 0 {
			m = -127
		}
		blk[r.IntN(128)], blk[128+r.IntN(128)] = m, -m
	}
	return append(rows, special, ties)
}

// TestNativeEncodersMatchPortable compares every native activation encoder
// with the Go one byte for byte, on rows of every length up to a few blocks
// (F16 has blocks of one value) and on the inputs of encoderInputs.
func TestNativeEncodersMatchPortable(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	inputs := encoderInputs(r)
	var native int
	for _, e := range activationEncoders() {
		t.Run(e.typ.String(), func(t *testing.T) {
			if !e.native {
				t.Skip("no native encoder on this CPU/build")
			}
			native++
			check := func(x []float32) {
				t.Helper()
				size, _ := e.typ.RowBytes(len(x))
				got, want := make([]byte, size+1), make([]byte, size+1)
				got[size], want[size] = 42, 42
				e.inUse(got[:size], x)
				e.goEnc(want[:size], x)
				if bytes.Equal(got, want) {
					return
				}
				for i := range got {
					if got[i] != want[i] {
						bb := e.typ.BlockBytes()
						b := i / bb
						t.Fatalf("%d values: byte %d (block %d, offset %d) = %#x, Go gives %#x; block input %x",
							len(x), i, b, i%bb, got[i], want[i], x[b*e.typ.BlockElems():min(len(x), (b+1)*e.typ.BlockElems())])
					}
				}
			}
			for blocks := range 5 {
				check(make([]float32, blocks*e.typ.BlockElems()))
				check(gaussian(r, blocks*e.typ.BlockElems(), 3))
			}
			if e.typ == gguf.F16 {
				for n := range 40 {
					check(gaussian(r, n, 1000))
				}
				specials := make([]float32, len(specialValues))
				for i, b := range specialValues {
					specials[i] = math.Float32frombits(b)
				}
				check(specials)
			}
			for _, x := range inputs {
				check(x)
			}
		})
	}
	t.Logf("%d native encoders compared", native)
}

// BenchmarkQuantizeVec encodes a row of 2048 activations as each type a
// native encoder may handle; MB/s counts the float32 input.
func BenchmarkQuantizeVec(b *testing.B) {
	x := gaussian(rand.New(rand.NewPCG(1, 2)), 2048, 1)
	for _, typ := range []gguf.Type{gguf.Q8_0, gguf.Q8_K, gguf.F16} {
		b.Run(typ.String(), func(b *testing.B) {
			dst := encode(b, typ, x)
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				QuantizeVec(typ, dst, x)
			}
		})
	}
}

// TestRoundF16NativeMatchesGo compares roundF16 (native) with roundF16Go
// bit for bit, in place and not, on rows of every length up to 40 and on
// the special values and encoderInputs (NaNs with payloads included).
func TestRoundF16NativeMatchesGo(t *testing.T) {
	if !isNative(roundF16, roundF16Go) {
		t.Skip("no native RoundF16 on this CPU/build")
	}
	r := rand.New(rand.NewPCG(23, 24))
	rows := encoderInputs(r)
	for n := range 41 {
		rows = append(rows, gaussian(r, n, 1000))
	}
	specials := make([]float32, len(specialValues))
	for i, b := range specialValues {
		specials[i] = math.Float32frombits(b)
	}
	rows = append(rows, specials)
	for _, x := range rows {
		want := make([]float32, len(x))
		roundF16Go(want, x)
		got := append(make([]float32, 0, len(x)+1), x...)
		roundF16(got, got)
		notInPlace := make([]float32, len(x)+1)
		notInPlace[len(x)] = 42
		roundF16(notInPlace[:len(x)], x)
		if notInPlace[len(x)] != 42 {
			t.Fatalf("%d values: wrote past dst", len(x))
		}
		compareBits(t, "roundF16 in place", x, got, want)
		compareBits(t, "roundF16", x, notInPlace[:len(x)], want)
	}
}
