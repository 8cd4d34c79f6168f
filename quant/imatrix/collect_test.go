package imatrix

import (
	"context"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"nibble/engine/kernels"
)

// fakeSeq is a Sequence whose every weight input is one row per token, the
// token id and the position as the two columns; it records each call.
type fakeSeq struct {
	observe   func(string, []float32, int)
	cache     int     // positions held
	calls     [][]int // per Forward: pos, len
	firstToks []int32 // the token at position 0 of each chunk
}

func (s *fakeSeq) Truncate(n int) { s.cache = min(s.cache, n) }

func (s *fakeSeq) Observe(f func(string, []float32, int)) { s.observe = f }

func (s *fakeSeq) Forward(tokens []int32, pos int, logits []float32) error {
	if pos != s.cache || len(logits) != 2*len(tokens) {
		return errors.New("bad Forward")
	}
	s.calls = append(s.calls, []int{pos, len(tokens)})
	if pos == 0 {
		s.firstToks = append(s.firstToks, tokens[0])
	}
	x := make([]float32, 0, 2*len(tokens))
	for i, t := range tokens {
		x = append(x, float32(t), float32(pos+i))
	}
	for _, w := range []string{"blk.0.attn_q.weight", "output.weight", "token_embd.weight"} {
		s.observe(w, x, 2)
	}
	s.cache += len(tokens)
	return nil
}

// TestCollectChunks checks the chunking against llama-imatrix's: BOS first
// in every chunk, an empty cache per chunk, micro-batches of 512 of which
// those under 16 tokens are ignored, the text's leftover tokens unused, and
// which weights are collected.
func TestCollectChunks(t *testing.T) {
	tokens := make([]int32, 1100)
	for i := range tokens {
		tokens[i] = int32(i % 7)
	}
	tests := []struct {
		name   string
		o      Options
		chunks int
		rows   int   // rows collected per chunk
		calls  []int // Forward lengths of one chunk
	}{
		{"two chunks of 520: the last 8 tokens of each are no micro-batch", Options{Ctx: 520}, 2, 512, []int{64, 64, 64, 64, 64, 64, 64, 64, 8}},
		{"one chunk by --chunks", Options{Ctx: 65, Chunks: 1}, 1, 65, []int{63, 2}},
		{"output.weight too", Options{Ctx: 100, Chunks: 3, ProcessOutput: true}, 3, 100, []int{64, 36}},
	}
	for _, tt := range tests {
		seq := &fakeSeq{}
		tt.o.VocabSize, tt.o.BOS, tt.o.Dataset = 2, 100, "text.txt"
		var done []int
		m, err := Collect(context.Background(), seq, tokens, tt.o, func(d, n int) { done = append(done, d, n) })
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := slices.Repeat([]int32{100}, tt.chunks); !slices.Equal(seq.firstToks, want) {
			t.Errorf("%s: first tokens %v, want %v", tt.name, seq.firstToks, want)
		}
		var lens []int
		for _, c := range seq.calls[:len(seq.calls)/tt.chunks] {
			lens = append(lens, c[1])
		}
		if !slices.Equal(lens, tt.calls) {
			t.Errorf("%s: Forward lengths %v, want %v", tt.name, lens, tt.calls)
		}
		if want := []int{1, tt.chunks}; !slices.Equal(done[:2], want) || done[len(done)-2] != tt.chunks {
			t.Errorf("%s: progress %v", tt.name, done)
		}
		names := []string{"blk.0.attn_q.weight"}
		if tt.o.ProcessOutput {
			names = append(names, "output.weight")
		}
		if !reflect.DeepEqual(m.Names(), names) || m.Chunks != tt.chunks || m.ChunkSize != tt.o.Ctx || !slices.Equal(m.Datasets, []string{"text.txt"}) {
			t.Errorf("%s: names %v, chunks %d, size %d, datasets %v", tt.name, m.Names(), m.Chunks, m.ChunkSize, m.Datasets)
		}
		// The expected sums: column 0 the squared token ids (BOS first),
		// column 1 the squared positions, over the collected rows.
		var want [2]float32
		for c := range tt.chunks {
			for p := range tt.rows {
				tok := float32(tokens[c*tt.o.Ctx+p])
				if p == 0 {
					tok = 100
				}
				want[0] += tok * tok
				want[1] += float32(p * p)
			}
		}
		e := m.Entries["blk.0.attn_q.weight"]
		if !slices.Equal(e.Sums, want[:]) || !slices.Equal(e.Counts, []float64{float64(tt.chunks * tt.rows)}) {
			t.Errorf("%s: sums %v counts %v, want %v and %d", tt.name, e.Sums, e.Counts, want, tt.chunks*tt.rows)
		}
		if seq.observe != nil {
			t.Errorf("%s: the sequence is still observed", tt.name)
		}
	}
}

func TestCollectErrors(t *testing.T) {
	tokens := make([]int32, 100)
	tests := []struct {
		name string
		o    Options
	}{
		{"context under 16", Options{Ctx: 8, VocabSize: 2}},
		{"text under two chunks", Options{Ctx: 64, VocabSize: 2}},
		{"no vocabulary", Options{Ctx: 32}},
	}
	for _, tt := range tests {
		if _, err := Collect(context.Background(), &fakeSeq{}, tokens, tt.o, nil); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, &fakeSeq{}, tokens, Options{Ctx: 32, VocabSize: 2}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestAddSquare checks the accumulation step of collector.observe,
// kernels.FMA32(x, x, s), as s + x·x rounded once against exact arithmetic,
// on random values over a wide range of magnitudes.
func TestAddSquare(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		s := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(80)-40))
		x := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(40)-20))
		exact := new(big.Float).SetPrec(200).SetFloat64(float64(x))
		exact.Mul(exact, exact).Add(exact, new(big.Float).SetFloat64(float64(s)))
		if want, _ := exact.Float32(); kernels.FMA32(x, x, s) != want {
			t.Fatalf("FMA32(%g, %g, %g) = %g, want %g", x, x, s, kernels.FMA32(x, x, s), want)
		}
	}
}
