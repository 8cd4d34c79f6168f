package imatrix_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/refdata"
	"nibble/engine/tokenizer"
	"nibble/quant/imatrix"
)

var _ imatrix.Sequence = (*model.State)(nil)

// ts5m loads the shared trained model (F32) and the calibration text's
// tokens, as llama-imatrix reads and tokenizes a -f file (one trailing
// newline dropped, BOS added).
func ts5m(t *testing.T, ctx int) (*gguf.File, *model.Model, *tokenizer.Tokenizer, []int32) {
	t.Helper()
	f, err := gguf.Open(refdata.Path(t, "models/ts5m-F32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := model.Load(f, model.Options{ContextLength: ctx})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(refdata.Path(t, "text/calibration.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return f, m, tok, tok.Encode(strings.TrimSuffix(string(text), "\n"), true, false)
}

// TestCollectTS5M collects the importance matrix of ts5m over part of the
// calibration text and checks it: every blk.* matrix and nothing else, the
// matrices that share an input share their importance exactly, every value
// positive, and blk.0.attn_q's column by column against a direct
// computation of its input (the RMS-normed token embeddings).
func TestCollectTS5M(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates 8 chunks of ts5m")
	}
	const ctx, chunks = 128, 8
	f, m, tok, tokens := ts5m(t, ctx)
	cfg := m.Config()
	o := imatrix.Options{Ctx: ctx, Chunks: chunks, VocabSize: cfg.VocabSize, BOS: tok.BOS(), Dataset: "calibration.txt"}
	im, err := imatrix.Collect(context.Background(), m.NewState(), tokens, o, nil)
	if err != nil {
		t.Fatal(err)
	}

	var want []string
	width := map[string]int{}
	for l := range cfg.Layers {
		for _, w := range []string{"attn_k", "attn_output", "attn_q", "attn_v", "ffn_down", "ffn_gate", "ffn_up"} {
			name := fmt.Sprintf("blk.%d.%s.weight", l, w)
			want = append(want, name)
			width[name] = cfg.EmbeddingLength
			if w == "ffn_down" {
				width[name] = cfg.FeedForwardLength
			}
		}
	}
	slices.Sort(want)
	if !slices.Equal(im.Names(), want) || im.Chunks != chunks || im.ChunkSize != ctx {
		t.Fatalf("names %q, chunks %d, size %d; want %q, %d, %d", im.Names(), im.Chunks, im.ChunkSize, want, chunks, ctx)
	}
	for _, name := range want {
		w := im.Weights(name)
		if len(w) != width[name] || !slices.Equal(im.Entries[name].Counts, []float64{chunks * ctx}) {
			t.Errorf("%s: %d values, counts %v; want %d, %d", name, len(w), im.Entries[name].Counts, width[name], chunks*ctx)
		}
		for j, v := range w {
			if !(v > 0 && v < math.MaxFloat32) {
				t.Errorf("%s column %d: %g", name, j, v)
				break
			}
		}
	}
	for l := range cfg.Layers {
		for _, same := range [][]string{{"attn_q", "attn_k", "attn_v"}, {"ffn_gate", "ffn_up"}} {
			first := im.Weights(fmt.Sprintf("blk.%d.%s.weight", l, same[0]))
			for _, other := range same[1:] {
				if !slices.Equal(im.Weights(fmt.Sprintf("blk.%d.%s.weight", l, other)), first) {
					t.Errorf("layer %d: %s and %s differ", l, other, same[0])
				}
			}
		}
	}

	// blk.0.attn_q's input is attn_norm ⊙ x/rms(x) for x the token's
	// embedding: its mean square per column, in float64.
	emb, norm := f32Tensor(t, f, "token_embd.weight"), f32Tensor(t, f, "blk.0.attn_norm.weight")
	d := cfg.EmbeddingLength
	direct := make([]float64, d)
	for c := range chunks {
		for p, id := range tokens[c*ctx : (c+1)*ctx] {
			if p == 0 {
				id = tok.BOS()
			}
			x := emb[int(id)*d : (int(id)+1)*d]
			var ss float64
			for _, v := range x {
				ss += float64(v) * float64(v)
			}
			scale := 1 / math.Sqrt(ss/float64(d)+float64(cfg.RMSNormEpsilon))
			for j, v := range x {
				y := float64(v) * scale * float64(norm[j])
				direct[j] += y * y / (chunks * ctx)
			}
		}
	}
	for j, v := range im.Weights("blk.0.attn_q.weight") {
		if math.Abs(float64(v)-direct[j]) > 1e-5*direct[j] {
			t.Errorf("blk.0.attn_q column %d: %g, direct computation %g", j, v, direct[j])
		}
	}
}

// TestObserveChangesNothing checks the engine's hook that Collect uses:
// logits are the same bits with and without an observer.
func TestObserveChangesNothing(t *testing.T) {
	_, m, _, tokens := ts5m(t, 256)
	vocab := m.Config().VocabSize
	run := func(observe bool) []float32 {
		s := m.NewState()
		calls := 0
		if observe {
			s.Observe(func(string, []float32, int) { calls++ })
		}
		logits := make([]float32, 100*vocab)
		if err := s.Forward(tokens[:100], 0, logits); err != nil {
			t.Fatal(err)
		}
		if observe && calls == 0 {
			t.Error("the observer was never called")
		}
		return logits
	}
	if !slices.Equal(run(true), run(false)) {
		t.Error("observing changed the logits")
	}
}

// f32Tensor returns the values of an F32 tensor of f.
func f32Tensor(t *testing.T, f *gguf.File, name string) []float32 {
	ti, ok := f.Tensor(name)
	if !ok || ti.Type != gguf.F32 {
		t.Fatalf("no F32 tensor %s", name)
	}
	b := f.TensorData(ti)
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}
