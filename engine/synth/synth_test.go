package synth

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nibble/engine/chat"
	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/tokenizer"
	"nibble/quant"
)

// Small shapes of each family: few layers and narrow matrices, but the
// family's tokenizer, special tokens, template, RoPE, ties and biases.
// qwenSmall's rows of 128 are no whole K-quant block, which exercises the
// plan's fallback types.
const (
	tinySmall   = "arch=llama,tokenizer=spm,layers=2,embd=256,heads=4,kv_heads=2,ffn=512,vocab=1000"
	llama3Small = "arch=llama,tokenizer=bpe,layers=2,embd=256,heads=8,kv_heads=2,ffn=512,vocab=2000"
	qwenSmall   = "arch=qwen2,layers=3,embd=128,heads=4,kv_heads=1,ffn=256,vocab=1200"
)

func mustShape(t *testing.T, name string) Shape {
	t.Helper()
	s, err := ParseShape(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMix(t *testing.T, name string) quant.Mix {
	t.Helper()
	m, err := quant.LookupMix(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseShape(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		family  Family
		sizes   [6]int // layers, embd, heads, kv_heads, ffn, vocab
		wantErr string
	}{
		{spec: "TinyLlama-1.1B", family: TinyLlama, sizes: [6]int{22, 2048, 32, 4, 5632, 32000}},
		{spec: "llama-3.2-1b", family: Llama3, sizes: [6]int{16, 2048, 32, 8, 8192, 128256}},
		{spec: " qwen2.5-0.5b ", family: Qwen2, sizes: [6]int{24, 896, 14, 2, 4864, 151936}},
		{spec: tinySmall, family: TinyLlama, sizes: [6]int{2, 256, 4, 2, 512, 1000}},
		{spec: llama3Small, family: Llama3, sizes: [6]int{2, 256, 8, 2, 512, 2000}},
		{spec: qwenSmall, family: Qwen2, sizes: [6]int{3, 128, 4, 1, 256, 1200}},
		{spec: "layers=1", family: TinyLlama, sizes: [6]int{1, 2048, 32, 4, 5632, 32000}},
		{spec: "arch=qwen2, layers = 2", family: Qwen2, sizes: [6]int{2, 896, 14, 2, 4864, 151936}},
		{spec: "llama-4", wantErr: "unknown shape"},
		{spec: "arch=gpt2", wantErr: "not supported"},
		{spec: "arch=qwen2,tokenizer=spm", wantErr: "not supported"},
		{spec: "layers=2,depth=3", wantErr: `unknown key "depth"`},
		{spec: "layers=two", wantErr: "not a size"},
		{spec: "layers=0", wantErr: "not a size"},
		{spec: "layers=2,layers=3", wantErr: "twice"},
		{spec: "layers=2,depth", wantErr: "not key=value"},
		{spec: "embd=100,heads=3", wantErr: "not a multiple of heads"},
		{spec: "heads=8,kv_heads=3,embd=256", wantErr: "not a multiple of kv_heads"},
		{spec: "embd=96,heads=32", wantErr: "must be even"},
		{spec: "arch=llama,tokenizer=bpe,vocab=500", wantErr: "at least 512"},
		{spec: "vocab=300", wantErr: "at least 354"},
		{spec: "arch=qwen2,vocab=548", wantErr: "at least 549"},
	} {
		s, err := ParseShape(tc.spec)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want it to mention %q", tc.spec, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		got := [6]int{s.Layers, s.Embd, s.Heads, s.KVHeads, s.FFN, s.Vocab}
		if s.Family != tc.family || got != tc.sizes {
			t.Errorf("%q: family %v sizes %v, want %v %v", tc.spec, s.Family, got, tc.family, tc.sizes)
		}
	}
}

// TestRealShapesPlan checks the tensor tables of the named shapes at two
// mixes without writing their weights: names, shapes, parameter counts
// (those Hugging Face reports for the real models) and planned types.
func TestRealShapesPlan(t *testing.T) {
	for _, tc := range []struct {
		shape   string
		mix     string
		tensors int
		params  uint64
		types   map[string]gguf.Type // tensor → type; others checked by rule below
		base    gguf.Type            // the type of the other matrices
	}{
		{"tinyllama-1.1b", "Q4_0", 22*9 + 3, 1100048384,
			map[string]gguf.Type{"token_embd.weight": gguf.Q4_0, "output.weight": gguf.Q6_K}, gguf.Q4_0},
		{"llama-3.2-1b", "Q4_0", 16*9 + 3, 1235814400 + 32,
			map[string]gguf.Type{"token_embd.weight": gguf.Q6_K, "rope_freqs.weight": gguf.F32}, gguf.Q4_0},
		{"qwen2.5-0.5b", "Q4_0", 24*12 + 2, 494032768,
			map[string]gguf.Type{"token_embd.weight": gguf.Q8_0, "blk.0.attn_q.bias": gguf.F32}, gguf.Q4_0},
		{"llama-3.2-1b", "Q4_K_M", 16*9 + 3, 1235814400 + 32,
			map[string]gguf.Type{"token_embd.weight": gguf.Q6_K, "blk.0.attn_v.weight": gguf.Q6_K,
				"blk.1.attn_v.weight": gguf.Q6_K, "blk.2.attn_v.weight": gguf.Q4_K, "blk.0.ffn_down.weight": gguf.Q6_K,
				"blk.2.ffn_down.weight": gguf.Q4_K, "blk.4.ffn_down.weight": gguf.Q6_K}, gguf.Q4_K},
		{"tinyllama-1.1b", "F16", 22*9 + 3, 1100048384,
			map[string]gguf.Type{"token_embd.weight": gguf.F16, "output.weight": gguf.F16}, gguf.F16},
	} {
		s := mustShape(t, tc.shape)
		ts, err := s.plan(mustMix(t, tc.mix))
		if err != nil {
			t.Fatalf("%s %s: %v", tc.shape, tc.mix, err)
		}
		var params uint64
		for _, x := range ts {
			params += x.Elements()
		}
		if len(ts) != tc.tensors || params != tc.params {
			t.Errorf("%s: %d tensors, %d parameters; want %d, %d", tc.shape, len(ts), params, tc.tensors, tc.params)
		}
		for _, x := range ts {
			want, ok := tc.types[x.Name]
			switch {
			case ok:
			case len(x.Dims) == 1:
				want = gguf.F32
			case strings.HasSuffix(x.Name, "attn_v.weight") || strings.HasSuffix(x.Name, "ffn_down.weight"):
				continue // the Q4_K_M layer rules; spot-checked in types
			default:
				want = tc.base
			}
			if x.Type != want {
				t.Errorf("%s %s: %s is %v, want %v", tc.shape, tc.mix, x.Name, x.Type, want)
			}
		}
		if tc.mix == "Q4_0" { // write order and shapes, once per shape
			if ts[0].Name != "output.weight" && ts[0].Name != "output_norm.weight" {
				t.Errorf("%s: first tensor %s, want llama-quantize's order (output* first)", tc.shape, ts[0].Name)
			}
			hd := uint64(s.HeadDim())
			k := ts[slices.IndexFunc(ts, func(x tensor) bool { return x.Name == "blk.0.attn_k.weight" })]
			if !slices.Equal(k.Dims, []uint64{uint64(s.Embd), uint64(s.KVHeads) * hd}) {
				t.Errorf("%s: attn_k dims %v", tc.shape, k.Dims)
			}
		}
	}
}

// TestRealShapesVocabulary checks the vocabularies of the named shapes: the
// size, the special tokens at their real ids, merges consistent with the
// tokens, and the metadata ids.
func TestRealShapesVocabulary(t *testing.T) {
	for _, tc := range []struct {
		shape    string
		specials map[int]string
		bos, eos int32
		types    map[int]int32
	}{
		{"tinyllama-1.1b", map[int]string{0: "<unk>", 1: "<s>", 2: "</s>", 3: "<0x00>", 13: "<0x0A>", 258: "<0xFF>"}, 1, 2,
			map[int]int32{0: tokenUnknown, 1: tokenControl, 3: tokenByte, 259: tokenNormal, 31999: tokenNormal}},
		{"llama-3.2-1b", map[int]string{0: "!", 128000: "<|begin_of_text|>", 128001: "<|end_of_text|>",
			128006: "<|start_header_id|>", 128007: "<|end_header_id|>", 128008: "<|eom_id|>", 128009: "<|eot_id|>",
			128010: "<|python_tag|>", 128011: "<|reserved_special_token_3|>", 128255: "<|reserved_special_token_247|>"},
			128000, 128009, map[int]int32{0: tokenNormal, 127999: tokenNormal, 128000: tokenControl, 128255: tokenControl}},
		{"qwen2.5-0.5b", map[int]string{151643: "<|endoftext|>", 151644: "<|im_start|>", 151645: "<|im_end|>",
			151657: "<tool_call>", 151664: "<|file_sep|>", 151665: "[PAD151665]", 151935: "[PAD151935]"},
			151643, 151645, map[int]int32{151642: tokenNormal, 151643: tokenControl, 151657: tokenUserDefined, 151665: tokenUnused}},
	} {
		s := mustShape(t, tc.shape)
		v := s.Family.vocabulary(s.Vocab)
		if len(v.tokens) != s.Vocab || len(v.types) != s.Vocab || (v.scores != nil && len(v.scores) != s.Vocab) {
			t.Fatalf("%s: %d tokens, %d types, %d scores; want %d", tc.shape, len(v.tokens), len(v.types), len(v.scores), s.Vocab)
		}
		for id, text := range tc.specials {
			if v.tokens[id] != text {
				t.Errorf("%s: token %d is %q, want %q", tc.shape, id, v.tokens[id], text)
			}
		}
		for id, typ := range tc.types {
			if v.types[id] != typ {
				t.Errorf("%s: token %d (%q) has type %d, want %d", tc.shape, id, v.tokens[id], v.types[id], typ)
			}
		}
		if v.bos != tc.bos || v.eos != tc.eos {
			t.Errorf("%s: bos %d eos %d, want %d %d", tc.shape, v.bos, v.eos, tc.bos, tc.eos)
		}
		ids := map[string]int{}
		for i, text := range v.tokens {
			if j, dup := ids[text]; dup {
				t.Fatalf("%s: token %q has ids %d and %d", tc.shape, text, j, i)
			}
			ids[text] = i
		}
		for _, m := range v.merges {
			left, right, ok := strings.Cut(m, " ")
			_, l := ids[left]
			_, r := ids[right]
			_, lr := ids[left+right]
			if !ok || !l || !r || !lr {
				t.Fatalf("%s: merge %q is not of two tokens making a third", tc.shape, m)
			}
		}
		if v.model == "gpt2" && len(v.merges) != int(v.bos)-256 {
			t.Errorf("%s: %d merges, want one per merged token (%d)", tc.shape, len(v.merges), int(v.bos)-256)
		}
	}
}

func TestLlama3RopeFactors(t *testing.T) {
	s := mustShape(t, "llama-3.2-1b")
	got := s.Llama3Rope.Factors(s.RopeBase, s.HeadDim())
	// convert_hf_to_gguf.py's formula evaluated in float64 for Llama 3.2:
	// 15 ones, three blended factors, 14 times the factor 32.
	want := slices.Repeat([]float64{1}, 15)
	want = append(want, 1.6513292457638984, 3.2922621029408843, 9.666728978753293)
	want = append(want, slices.Repeat([]float64{32}, 14)...)
	if len(got) != len(want) {
		t.Fatalf("%d factors, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5*want[i] {
			t.Errorf("factor %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestChatTemplates renders the conversation of engine/chat's test data with
// each family's template and compares with the prompts the real models'
// templates give there.
func TestChatTemplates(t *testing.T) {
	msgs := []chat.Message{
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "Hello! Who are you?"},
		{Role: "assistant", Content: "I am Nibble, a model running on your computer.\n"},
		{Role: "user", Content: "What can you do? Réponds en français."},
	}
	for _, tc := range []struct {
		family Family
		golden string // in engine/chat/testdata
	}{
		{TinyLlama, "zephyr.txt"},
		{Llama3, "llama-3.txt"},
		{Qwen2, "qwen2.5.txt"},
	} {
		v := tc.family.vocabulary(tc.family.minVocab())
		tmpl, err := chat.Parse(v.template)
		if err != nil {
			t.Fatalf("%v: %v", tc.family, err)
		}
		got, err := tmpl.Render(msgs, chat.Options{AddGenerationPrompt: true, BOS: v.tokens[v.bos], EOS: v.tokens[v.eos]})
		if err != nil {
			t.Fatalf("%v: %v", tc.family, err)
		}
		want, err := os.ReadFile(filepath.Join("..", "chat", "testdata", tc.golden))
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%v renders\n%q\nwant (%s)\n%q", tc.family, got, tc.golden, want)
		}
	}
}

// TestWriteLoadsAndRuns writes small models of each family and checks that
// the engine loads them and computes finite logits, that the tokenizer
// round-trips text, and that the file's types are quant's plan for the mix.
func TestWriteLoadsAndRuns(t *testing.T) {
	const text = "Hello world! The baker asked the computer 3 questions about bread, and it said: «très bien» 🍞."
	for _, tc := range []struct {
		spec, mix string
	}{
		{tinySmall, "Q4_0"},
		{tinySmall, "F16"},
		{llama3Small, "Q4_K_M"},
		{llama3Small, "Q8_0"},
		{qwenSmall, "Q4_K_M"},
		{qwenSmall, "F32"},
	} {
		t.Run(tc.mix+"/"+tc.spec, func(t *testing.T) {
			s, mix := mustShape(t, tc.spec), mustMix(t, tc.mix)
			path := filepath.Join(t.TempDir(), "m.gguf")
			res, err := Write(context.Background(), path, s, Options{Mix: mix, Seed: 7, Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if st, _ := os.Stat(path); res.Bytes != st.Size() || res.Params != f.ParamCount() || res.Tensors != len(f.Tensors) {
				t.Errorf("result %+v; file has %d bytes, %d params, %d tensors", res, st.Size(), f.ParamCount(), len(f.Tensors))
			}

			plan, err := mix.Plan(f, f.Tensors)
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range f.Tensors {
				if x.Type != plan[i] {
					t.Errorf("%s is %v, quant plans %v", x.Name, x.Type, plan[i])
				}
			}
			if ft, _ := f.Uint("general.file_type"); uint32(ft) != mix.FileType {
				t.Errorf("general.file_type %d, want %d", ft, mix.FileType)
			}
			if qv, _ := f.Uint("general.quantization_version"); qv != 2 {
				t.Errorf("general.quantization_version %d, want 2", qv)
			}

			tok, err := tokenizer.FromGGUF(f)
			if err != nil {
				t.Fatal(err)
			}
			ids := tok.Encode(text, false, false)
			if got := tok.Decode(ids); got != text {
				t.Errorf("round trip gives %q", got)
			}
			if len(ids) >= len(text) {
				t.Errorf("%d tokens for %d bytes: the merges do not merge", len(ids), len(text))
			}

			m, err := model.Load(f, model.Options{ContextLength: 16, Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			st := m.NewState()
			prompt := tok.Encode("Once upon a time", true, false)
			logits := make([]float32, len(prompt)*s.Vocab)
			if err := st.Forward(prompt, 0, logits); err != nil {
				t.Fatal(err)
			}
			last := make([]float32, s.Vocab)
			if err := st.Forward([]int32{tok.EOS()}, len(prompt), last); err != nil {
				t.Fatal(err)
			}
			for i, x := range append(logits, last...) {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("logit %d is %v", i, x)
				}
			}
			if slices.Min(last) == slices.Max(last) {
				t.Errorf("all logits are %v", last[0])
			}
		})
	}
}

// TestWriteIsDeterministic writes a model three times: the same seed gives
// the same bytes whatever the thread count, another seed other weights.
func TestWriteIsDeterministic(t *testing.T) {
	s, mix := mustShape(t, qwenSmall), mustMix(t, "Q4_K_M")
	dir := t.TempDir()
	write := func(name string, seed uint64, threads int) []byte {
		path := filepath.Join(dir, name)
		if _, err := Write(context.Background(), path, s, Options{Mix: mix, Seed: seed, Threads: threads}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := write("a", 1, 1), write("b", 1, 3), write("c", 2, 2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed with 1 and 3 threads gives different files")
	}
	if len(a) != len(c) || bytes.Equal(a, c) {
		t.Errorf("seeds 1 and 2: %d and %d bytes, equal: %v; want the same size, other bytes", len(a), len(c), bytes.Equal(a, c))
	}
}

func TestWriteCancelLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, filepath.Join(dir, "m.gguf"), mustShape(t, tinySmall), Options{Mix: mustMix(t, "Q4_0")})
	if err != context.Canceled {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %d files behind", len(entries))
	}
}

// TestWriteTinyLlama writes the real TinyLlama shape at Q4_0 (about 600
// MiB) and loads it; it takes a while, so not under -short.
func TestWriteTinyLlama(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 600 MiB model")
	}
	s := mustShape(t, "tinyllama-1.1b")
	path := filepath.Join(t.TempDir(), "tinyllama.gguf")
	res, err := Write(context.Background(), path, s, Options{Mix: mustMix(t, "Q4_0"), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Params != 1100048384 || res.Bytes < 600<<20 || res.Bytes > 660<<20 {
		t.Errorf("%d params in %d bytes, want 1100048384 in about 630 MiB", res.Params, res.Bytes)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := model.Load(f, model.Options{ContextLength: 8})
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float32, s.Vocab)
	if err := m.NewState().Forward([]int32{1, 15043}, 0, logits); err != nil {
		t.Fatal(err)
	}
	for i, x := range logits {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("logit %d is %v", i, x)
		}
	}
}
