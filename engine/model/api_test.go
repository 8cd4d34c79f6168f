package model

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// loadSynth writes the synthetic model s, changed by edit, and loads it.
func loadSynth(t *testing.T, s synth, opts Options, edit func(kv []gguf.KV, ts []synthTensor) ([]gguf.KV, []synthTensor)) (*Model, error) {
	t.Helper()
	kv, ts := s.build(1)
	if edit != nil {
		kv, ts = edit(kv, ts)
	}
	f, err := gguf.Open(writeGGUF(t, t.TempDir(), kv, ts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return Load(f, opts)
}

func setKV(key string, v gguf.Value) func([]gguf.KV, []synthTensor) ([]gguf.KV, []synthTensor) {
	return func(kv []gguf.KV, ts []synthTensor) ([]gguf.KV, []synthTensor) {
		kv = slices.DeleteFunc(kv, func(e gguf.KV) bool { return e.Key == key })
		return append(kv, gguf.KV{Key: key, Value: v}), ts
	}
}

func dropKV(key string) func([]gguf.KV, []synthTensor) ([]gguf.KV, []synthTensor) {
	return func(kv []gguf.KV, ts []synthTensor) ([]gguf.KV, []synthTensor) {
		return slices.DeleteFunc(kv, func(e gguf.KV) bool { return e.Key == key }), ts
	}
}

func dropTensor(name string) func([]gguf.KV, []synthTensor) ([]gguf.KV, []synthTensor) {
	return func(kv []gguf.KV, ts []synthTensor) ([]gguf.KV, []synthTensor) {
		return kv, slices.DeleteFunc(ts, func(x synthTensor) bool { return x.name == name })
	}
}

func TestLoadErrors(t *testing.T) {
	llama, qwen2 := synthCases[0].s, synthCases[3].s
	cases := []struct {
		name string
		s    synth
		edit func([]gguf.KV, []synthTensor) ([]gguf.KV, []synthTensor)
		want []string // substrings of the error
	}{
		{"unknown architecture", llama, setKV("general.architecture", gguf.String("gpt2")), []string{`"gpt2"`, "llama, qwen2, qwen3"}},
		{"no architecture", llama, dropKV("general.architecture"), []string{"general.architecture"}},
		{"missing key", llama, dropKV("llama.block_count"), []string{"llama.block_count", "missing"}},
		{"missing epsilon", qwen2, dropKV("qwen2.attention.layer_norm_rms_epsilon"), []string{"qwen2.attention.layer_norm_rms_epsilon"}},
		{"key of wrong type", llama, setKV("llama.embedding_length", gguf.String("64")), []string{"llama.embedding_length"}},
		{"missing tensor", llama, dropTensor("blk.1.ffn_up.weight"), []string{"missing tensor blk.1.ffn_up.weight"}},
		{"missing qwen2 bias", qwen2, dropTensor("blk.0.attn_k.bias"), []string{"missing tensor blk.0.attn_k.bias"}},
		{"missing embeddings", llama, dropTensor("token_embd.weight"), []string{"token_embd.weight"}},
		{"wrong shape", llama, func(kv []gguf.KV, ts []synthTensor) ([]gguf.KV, []synthTensor) {
			for i := range ts {
				if ts[i].name == "blk.0.attn_k.weight" {
					ts[i].dims = []uint64{ts[i].dims[1], ts[i].dims[0]}
				}
			}
			return kv, ts
		}, []string{"blk.0.attn_k.weight", "shape"}},
		{"unused tensor", llama, func(kv []gguf.KV, ts []synthTensor) ([]gguf.KV, []synthTensor) {
			return kv, append(ts, synthTensor{name: "blk.0.ffn_gate_inp.weight", dims: []uint64{4}, data: make([]float32, 4)})
		}, []string{"blk.0.ffn_gate_inp.weight", "not used"}},
		{"mixture of experts", llama, setKV("llama.expert_count", gguf.Uint32(8)), []string{"llama.expert_count"}},
		{"yarn", llama, setKV("llama.rope.scaling.type", gguf.String("yarn")), []string{"yarn"}},
		{"heads not a multiple", llama, setKV("llama.attention.head_count_kv", gguf.Uint32(3)), []string{"multiple"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadSynth(t, c.s, Options{}, c.edit)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfig(t *testing.T) {
	m, err := loadSynth(t, synthCases[4].s, Options{ContextLength: 9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Arch: "qwen3", VocabSize: 160, EmbeddingLength: 64, Layers: 2, FeedForwardLength: 128, Heads: 4,
		KVHeads: 2, HeadDim: 24, RMSNormEpsilon: 1e-6, RopeDims: 24, RopeNeox: true, RopeFreqBase: 1e6,
		RopeFreqScale: 1, TrainContextLength: 16, ContextLength: 9}
	if got := m.Config(); got != want {
		t.Errorf("Config\n got %+v\nwant %+v", got, want)
	}
}

func TestForwardErrors(t *testing.T) {
	m, err := loadSynth(t, synthCases[0].s, Options{ContextLength: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewState()
	vocab := m.Config().VocabSize
	if err := s.Forward([]int32{1, 2, 3}, 0, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		tokens []int32
		pos    int
		logits int
		want   string
	}{
		{"no tokens", nil, 3, 0, "no tokens"},
		{"position behind", []int32{1}, 2, 0, "position 2"},
		{"position ahead", []int32{1}, 4, 0, "position 4"},
		{"context full", make([]int32, 6), 3, 0, "context full"},
		{"token id", []int32{int32(vocab)}, 3, 0, "token id"},
		{"negative token id", []int32{-1}, 3, 0, "token id"},
		{"logits size", []int32{1, 2}, 3, vocab + 1, "logits buffer"},
	} {
		if err := s.Forward(c.tokens, c.pos, make([]float32, c.logits)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if s.Len() != 3 {
		t.Errorf("failed calls changed the state: Len %d, want 3", s.Len())
	}
}

// TestTruncate rewinds the cache and evaluates other tokens: the logits must
// be those of a fresh evaluation, bit for bit.
func TestTruncate(t *testing.T) {
	m, err := loadSynth(t, synthCases[3].s, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	vocab := m.Config().VocabSize
	a := []int32{5, 6, 7, 8, 9, 10, 11}
	b := []int32{5, 6, 7, 100, 101}
	want := make([]float32, len(b)*vocab)
	if err := m.NewState().Forward(b, 0, want); err != nil {
		t.Fatal(err)
	}
	s := m.NewState()
	if err := s.Forward(a, 0, nil); err != nil {
		t.Fatal(err)
	}
	s.Truncate(3)
	s.Truncate(5) // beyond Len: no effect
	if s.Len() != 3 {
		t.Fatalf("Len %d after Truncate(3), want 3", s.Len())
	}
	got := make([]float32, 2*vocab)
	if err := s.Forward(b[3:], 3, got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want[3*vocab:]) {
		t.Error("logits after Truncate differ from a fresh evaluation")
	}
	// The last-token-only form: the same bits as a fresh evaluation of that
	// form, and nearly the last row of all logits. (Not exactly that row:
	// like llama.cpp, it runs the last layer's feed-forward network and the
	// output projection on that one row, in the single-token order.)
	wantLast := make([]float32, vocab)
	if err := m.NewState().Forward(b, 0, wantLast); err != nil {
		t.Fatal(err)
	}
	last := make([]float32, vocab)
	s.Truncate(3)
	if err := s.Forward(b[3:], 3, last); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(last, wantLast) {
		t.Error("last-token logits after Truncate differ from a fresh evaluation")
	}
	for i, v := range last {
		if w := want[4*vocab+i]; math.Abs(float64(v-w)) > 1e-4*(1+math.Abs(float64(w))) {
			t.Fatalf("last-token logit %d is %g, the last row of all logits has %g", i, v, w)
		}
	}
}

// TestEstimateMemory checks the estimate against what NewState allocates
// (default threads) and that Forward allocates nothing with one thread.
func TestEstimateMemory(t *testing.T) {
	m := loadRef(t, "models/ts5m-Q4_K_M.gguf", Options{ContextLength: 200})
	f, err := gguf.Open(refdata.Path(t, "models/ts5m-Q4_K_M.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	est, err := EstimateMemory(f, 200, false)
	if err != nil {
		t.Fatal(err)
	}
	// KV cache: 2 × 6 layers × 200 positions × 128 values × 2 bytes.
	if kv := uint64(2 * 6 * 200 * 128 * 2); est < kv || est > 3*kv {
		t.Errorf("estimate %d bytes, want the KV cache %d plus a few buffers", est, kv)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := m.NewState()
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got < est || got > est+16*8192 { // large allocations round up to whole pages
		t.Errorf("NewState allocated %d bytes, EstimateMemory says %d", got, est)
	}
	tokens := readIDs(t, "logits/ts5m.tokens")
	logits := make([]float32, m.Config().VocabSize)
	tokens = tokens[:16]
	m1 := loadRef(t, "models/ts5m-Q4_K_M.gguf", Options{ContextLength: 200, Threads: 1})
	s = m1.NewState()
	allocs := testing.AllocsPerRun(5, func() {
		s.Truncate(0)
		if err := s.Forward(tokens, 0, logits); err != nil {
			t.Fatal(err)
		}
		if err := s.Forward(tokens[:1], len(tokens), logits); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Forward allocated %v times per run", allocs)
	}
}

// TestConcurrentStates runs two States of one Model at the same time, both
// sharing the worker pool, and checks each gets the logits it gets alone.
func TestConcurrentStates(t *testing.T) {
	m := loadRef(t, "models/ts5m-Q4_0.gguf", Options{ContextLength: 128, Threads: 2})
	tokens := readIDs(t, "logits/ts5m.tokens")[:32]
	run := func(s *State, toks []int32) []float32 {
		logits := make([]float32, m.Config().VocabSize)
		if err := s.Forward(toks, 0, logits); err != nil {
			t.Error(err)
		}
		for i := range 8 { // and a few single tokens
			if err := s.Forward(toks[i:i+1], len(toks)+i, logits); err != nil {
				t.Error(err)
			}
		}
		return logits
	}
	alone := [2][]float32{run(m.NewState(), tokens), run(m.NewState(), tokens[1:])}
	for range 5 {
		var got [2][]float32
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() { got[i] = run(m.NewState(), tokens[i:]) })
		}
		wg.Wait()
		for i := range got {
			if !slices.Equal(got[i], alone[i]) {
				t.Fatalf("State %d: logits differ when another State runs at the same time", i)
			}
		}
	}
}
