package quant

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

func TestIQ4_NLRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 4))
	for _, sigma := range []float64{1e-3, 1, 300} {
		x := make([]float32, 4096*gguf.QK)
		for i := range x {
			x[i] = float32(r.NormFloat64() * sigma)
		}
		_, y := roundTrip(gguf.IQ4_NL, x)
		var se float64
		for b := 0; b < len(x); b += gguf.QK {
			var amax float64
			for _, v := range x[b : b+gguf.QK] {
				amax = math.Max(amax, math.Abs(float64(v)))
			}
			for i := b; i < b+gguf.QK; i++ {
				e := math.Abs(float64(x[i] - y[i]))
				se += e * e
				// The widest gap of the grid is 24 of the 127 levels below
				// the largest magnitude, and the weighted fit may pick a
				// smaller scale than max/127: 0.141·max is the worst seen
				// over 6.4 million normal values.
				if e > 0.16*amax {
					t.Fatalf("sigma %g: element %d: %g decoded as %g (block max %g)", sigma, i, x[i], y[i], amax)
				}
			}
		}
		if rmse := math.Sqrt(se/float64(len(x))) / sigma; rmse > 0.085 { // 0.076 measured
			t.Errorf("sigma %g: relative RMSE %.4f, want <= 0.085", sigma, rmse)
		}
	}
}

// TestIQ4_NLZero: a block of zeros, or of values below ggml's GROUP_MAX_EPS,
// gets d = 0 and every index 8 (the level +1 nearest to 0·id), as in C.
func TestIQ4_NLZero(t *testing.T) {
	want := append([]byte{0, 0}, bytes.Repeat([]byte{0x88}, 16)...)
	tiny := make([]float32, gguf.QK)
	for j := range tiny {
		tiny[j] = float32(j%3-1) * 9e-16
	}
	for name, x := range map[string][]float32{"zeros": make([]float32, gguf.QK), "tiny": tiny} {
		b, y := roundTrip(gguf.IQ4_NL, x)
		if !bytes.Equal(b, want) {
			t.Errorf("%s: got % x, want % x", name, b, want)
		}
		for i, v := range y {
			if v != 0 {
				t.Fatalf("%s: element %d decoded as %g", name, i, v)
			}
		}
	}
}

// TestIQ4_NLHandChecked pins blocks whose bytes were worked out by hand.
func TestIQ4_NLHandChecked(t *testing.T) {
	grid := func(d float32) []float32 { // element j = d·value[j%16]
		x := make([]float32, gguf.QK)
		for j := range x {
			x[j] = d * iq4nlValues[j%16]
		}
		return x
	}
	single := func(v float32) []float32 { // v at element 0, zeros elsewhere
		x := make([]float32, gguf.QK)
		x[0] = v
		return x
	}
	seq := "00112233445566778899aabbccddeeff" // byte j: index j for elements j and j+16
	tests := []struct {
		name string
		x    []float32
		want string
	}{
		// On the grid, d = 0.5 (fp16 0x3800), -127·d the largest magnitude.
		{"grid d=0.5", grid(0.5), "0038" + seq},
		// The sign of d follows that of the largest element: -0.25 is fp16 0xb400.
		{"grid d=-0.25", grid(-0.25), "00b4" + seq},
		// One non-zero 2: the first fit, level 113, gives d = 2/113 and the
		// score d·Σwqx = 16 exactly; level -127 (d = -2/127) ties at 16 but
		// must beat it strictly, so d = 2/113 stays: fp16 0x2488
		// (2^-6·(1+136/1024)). Element 0 gets index 15, the zeros index 8.
		{"single 2", single(2), "8824" + "8f" + strings.Repeat("88", 15)},
		{"single -2", single(-2), "88a4" + "8f" + strings.Repeat("88", 15)},
	}
	for _, tc := range tests {
		b, _ := roundTrip(gguf.IQ4_NL, tc.x)
		if got := hex.EncodeToString(b); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestIQ4_NLGrid: values d·value[q] with d an fp16 number and the level -127
// present (so -127·d has the largest magnitude, which makes d a candidate of
// the search) come back exactly, with the same d and levels.
func TestIQ4_NLGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 5))
	const nb = 2000
	x := make([]float32, nb*gguf.QK)
	q := make([]int, len(x))
	ds := make([]float32, nb)
	for b := range nb {
		ds[b] = FP16ToFP32(FP32ToFP16(float32(r.NormFloat64() * math.Pow(10, r.Float64()*6-4))))
		for j := range gguf.QK {
			i := b*gguf.QK + j
			if j != b%gguf.QK {
				q[i] = r.IntN(15) + 1
			}
			x[i] = ds[b] * iq4nlValues[q[i]]
		}
	}
	blocks, y := roundTrip(gguf.IQ4_NL, x)
	for b := range nb {
		blk := blocks[b*iq4nlBytes : (b+1)*iq4nlBytes]
		if d := FP16ToFP32(uint16(blk[0]) | uint16(blk[1])<<8); d != ds[b] {
			t.Fatalf("block %d: d = %g, want %g", b, d, ds[b])
		}
		for j := range gguf.QK {
			i := b*gguf.QK + j
			if y[i] != x[i] {
				t.Fatalf("block %d element %d: %g (level %d) decoded as %g", b, j, x[i], q[i], y[i])
			}
		}
	}
}

// iq4nlGolden reads testdata/iq4_nl.golden: input blocks with llama.cpp's
// bytes, and the SHA-256 of llama.cpp's encoding of ts5m-F32.gguf.
func iq4nlGolden(t *testing.T) (x []float32, want []byte, ts5mSHA string) {
	f, err := os.Open("testdata/iq4_nl.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<16)
	for line := 1; s.Scan(); line++ {
		text := s.Text()
		if text == "" || text[0] == '#' {
			continue
		}
		if sha, ok := strings.CutPrefix(text, "ts5m-F32.gguf sha256 "); ok {
			ts5mSHA = sha
			continue
		}
		in, out, ok := strings.Cut(text, " => ")
		fields := strings.Fields(in)
		blk, err := hex.DecodeString(out)
		if !ok || len(fields) != gguf.QK || err != nil || len(blk) != iq4nlBytes {
			t.Fatalf("testdata/iq4_nl.golden:%d: malformed line", line)
		}
		for _, fld := range fields {
			bits, err := strconv.ParseUint(fld, 16, 32)
			if err != nil {
				t.Fatalf("testdata/iq4_nl.golden:%d: %v", line, err)
			}
			x = append(x, math.Float32frombits(uint32(bits)))
		}
		want = append(want, blk...)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || ts5mSHA == "" {
		t.Fatal("testdata/iq4_nl.golden: no blocks or no ts5m hash")
	}
	return x, want, ts5mSHA
}

// The golden data was made with a C copy of llama.cpp's quantize_iq4_nl path
// at commit c392e5094deaf2d1a7c18683214f007fad3fe42b (ggml/src/ggml-quants.c:
// quantize_row_iq4_nl_impl with super_block_size = block_size = 32,
// quant_weights NULL and ntry 7, best_index_int8, kvalues_iq4nl; fp16 by
// ggml_compute_fp32_to_fp16), compiled with gcc 12.2.0 on x86-64 as
// `gcc -O3 -std=gnu11` without -march flags, as ggml-base is built (no FMA),
// fed the inputs as raw little-endian float32 and writing the 18-byte blocks.
// The blocks are: all zeros, below and exactly at GROUP_MAX_EPS, a tie for
// the largest magnitude, then blocks of ts5m-F32.gguf and of random normal,
// Cauchy and sparse data (scales 1e-5..1e3) chosen because the same C built
// with -march=native (FMA) encodes them differently, so they catch a fused
// multiply-add or a changed order of operations. The hash covers every F32
// tensor of ../shared/testdata/models/ts5m-F32.gguf, in file order, encoded
// by that C build and concatenated (180,328 blocks; Nibble matched all of
// them, and 2.2 million random blocks, on amd64 and on arm64 under qemu).

func TestIQ4_NLGolden(t *testing.T) {
	x, want, _ := iq4nlGolden(t)
	got := make([]byte, len(want))
	QuantizeIQ4_NL(got, x)
	for b := 0; b < len(want)/iq4nlBytes; b++ {
		g, w := got[b*iq4nlBytes:(b+1)*iq4nlBytes], want[b*iq4nlBytes:(b+1)*iq4nlBytes]
		if !bytes.Equal(g, w) {
			t.Errorf("golden block %d: got %x, llama.cpp %x", b, g, w)
		}
	}
}

func TestIQ4_NLGoldenTs5m(t *testing.T) {
	_, _, wantSHA := iq4nlGolden(t)
	src, err := gguf.Open(refdata.Path(t, "models/ts5m-F32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	h := sha256.New()
	for _, ti := range src.Tensors {
		if ti.Type != gguf.F32 {
			continue
		}
		x := f32View(src.TensorData(ti))
		if len(x)%gguf.QK != 0 {
			continue
		}
		b := make([]byte, len(x)/gguf.QK*iq4nlBytes)
		QuantizeIQ4_NL(b, x)
		h.Write(b)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
		t.Errorf("ts5m IQ4_NL encoding: sha256 %s, llama.cpp %s", got, wantSHA)
	}
}
