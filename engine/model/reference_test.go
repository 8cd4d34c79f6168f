package model

import (
	"encoding/binary"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// The reference data was made by llama.cpp c392e50 (see the README of the
// shared test data): logits of one batch over the whole prompt, and greedy
// continuations decoded one token at a time.

// ts5mTypes are the quantization variants of ts5m, each with reference logits.
var ts5mTypes = []string{"F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_1", "Q5_0",
	"Q4_K_M", "Q4_K_S", "Q4_1", "Q4_0", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K"}

func readIDs(t testing.TB, rel string) []int32 {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		ids = append(ids, int32(n))
	}
	return ids
}

func readLogits(t testing.TB, rel string) []float32 {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}

// loadRef opens a reference model and loads it; both are released when the
// test ends.
func loadRef(t testing.TB, rel string, opts Options) *Model {
	t.Helper()
	f, err := gguf.Open(refdata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := Load(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// argmax returns the index of the largest value, the lowest on a tie (as
// llama.cpp's greedy sampler).
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// compare returns the largest |got-want| and the smallest per-row cosine
// similarity.
func compare(got, want []float32, vocab int) (maxDiff, minCos float64) {
	minCos = 1
	for r := 0; r < len(want); r += vocab {
		g, w := got[r:r+vocab], want[r:r+vocab]
		var dot, gg, ww float64
		for i := range w {
			maxDiff = max(maxDiff, math.Abs(float64(g[i]-w[i])))
			dot += float64(g[i]) * float64(w[i])
			gg += float64(g[i]) * float64(g[i])
			ww += float64(w[i]) * float64(w[i])
		}
		minCos = min(minCos, dot/math.Sqrt(gg*ww))
	}
	return maxDiff, minCos
}

// gap returns the margin between the largest and the second largest value.
func gap(x []float32) float64 {
	top := argmax(x)
	second := math.Inf(-1)
	for i, v := range x {
		if i != top {
			second = max(second, float64(v))
		}
	}
	return float64(x[top]) - second
}

// TestLogitsMatchLlamaCpp evaluates each reference prompt in one Forward
// call, logits for every position, and compares with llama.cpp's.
//
// The engine reproduces llama.cpp's graph and its roundings, but the kernels
// package adds the products of a matrix multiplication in ggml's generic C
// order, while the reference build used AVX-512 kernels (tinyBLAS for
// batches, SIMD dot products, tinyBLAS_Q0 and repacked Q4_0 for quantized
// types) that add them in other orders. The resulting ulp differences flip an
// occasional rounding to F16 or to an 8-bit level, which moves logits by up
// to ~3e-3 for float weights and ~0.1 for quantized ones, and can swap the
// top two tokens where llama.cpp's own margin is that thin. Hence: float
// weights within floatTol, and the argmax identical wherever llama.cpp's
// top-two gap is at least tieGap. (Summing batched F32 and F16 products in
// tinyBLAS's order makes ts5m-F32 and ts5m-F16 bit-identical to llama.cpp.)
func TestLogitsMatchLlamaCpp(t *testing.T) {
	const floatTol, tieGap = 5e-3, 0.05
	type tc struct {
		model, tokens, logits string
		float                 bool // F32 or F16 weights
	}
	cases := []tc{{"models/stories260K-f32.gguf", "logits/stories260K.tokens", "logits/stories260K-F32.logits.bin", true}}
	for _, typ := range ts5mTypes {
		cases = append(cases, tc{"models/ts5m-" + typ + ".gguf", "logits/ts5m.tokens", "logits/ts5m-" + typ + ".logits.bin",
			typ == "F32" || typ == "F16"})
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.logits, "logits/"), func(t *testing.T) {
			tokens := readIDs(t, c.tokens)
			want := readLogits(t, c.logits)
			m := loadRef(t, c.model, Options{ContextLength: 128})
			vocab := m.Config().VocabSize
			if len(want) != len(tokens)*vocab {
				t.Fatalf("%d reference logits for %d tokens × %d", len(want), len(tokens), vocab)
			}
			got := make([]float32, len(want))
			if err := m.NewState().Forward(tokens, 0, got); err != nil {
				t.Fatal(err)
			}
			maxDiff, minCos := compare(got, want, vocab)
			var flips, nearTies int
			for r := 0; r < len(want); r += vocab {
				g, w := got[r:r+vocab], want[r:r+vocab]
				if argmax(g) == argmax(w) {
					continue
				}
				if gap(w) < tieGap {
					nearTies++
				} else {
					flips++
					t.Errorf("position %d: argmax %d, llama.cpp %d with a margin of %.3g", r/vocab, argmax(g), argmax(w), gap(w))
				}
			}
			t.Logf("max |Δlogit| %.3g, min cosine %.8f, argmax differs at %d/%d positions (%d near-ties)",
				maxDiff, minCos, flips+nearTies, len(tokens), nearTies)
			if c.float && maxDiff > floatTol {
				t.Errorf("max |Δlogit| %g > %g", maxDiff, floatTol)
			}
		})
	}
}

// TestGreedyMatchesLlamaCpp feeds the prompt, then decodes greedily one
// token at a time, which exercises the KV cache over many single-token calls.
func TestGreedyMatchesLlamaCpp(t *testing.T) {
	cases := []struct{ model, prompt, greedy string }{
		{"models/stories260K-f32.gguf", "logits/stories260K.tokens", "logits/stories260K-F32.greedy"},
	}
	for _, typ := range []string{"F32", "Q8_0", "Q4_0", "Q4_K_M"} {
		cases = append(cases, struct{ model, prompt, greedy string }{
			"models/ts5m-" + typ + ".gguf", "logits/ts5m.tokens", "logits/ts5m-" + typ + ".greedy"})
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.greedy, "logits/"), func(t *testing.T) {
			prompt, want := readIDs(t, c.prompt), readIDs(t, c.greedy)
			m := loadRef(t, c.model, Options{ContextLength: len(prompt) + len(want)})
			s := m.NewState()
			logits := make([]float32, m.Config().VocabSize)
			if err := s.Forward(prompt, 0, logits); err != nil {
				t.Fatal(err)
			}
			got := make([]int32, len(want))
			for i := range got {
				got[i] = int32(argmax(logits))
				if err := s.Forward(got[i:i+1], s.Len(), logits); err != nil {
					t.Fatal(err)
				}
			}
			if !slicesEqual(got, want) {
				t.Errorf("greedy continuation\n got %v\nwant %v", got, want)
			}
		})
	}
}

func slicesEqual(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
