package quant

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

func openGGUF(t *testing.T, rel string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(refdata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestPlanMatchesLlamaQuantize plans every mix for ts5m-F32.gguf and compares
// each tensor's type with the file llama-quantize made for that mix.
func TestPlanMatchesLlamaQuantize(t *testing.T) {
	src := openGGUF(t, "models/ts5m-F32.gguf")
	for _, m := range Mixes() {
		t.Run(m.Name, func(t *testing.T) {
			ref := openGGUF(t, "models/ts5m-"+m.Name+".gguf")
			if ft, ok := ref.Uint("general.file_type"); !ok || ft != uint64(m.FileType) {
				t.Errorf("reference general.file_type = %d, %v; mix says %d", ft, ok, m.FileType)
			}
			plan, err := m.Plan(src, src.Tensors)
			if err != nil {
				t.Fatal(err)
			}
			if len(plan) != len(src.Tensors) || len(ref.Tensors) != len(src.Tensors) {
				t.Fatalf("plan has %d types, source %d tensors, reference %d", len(plan), len(src.Tensors), len(ref.Tensors))
			}
			for i, st := range src.Tensors {
				rt, ok := ref.Tensor(st.Name)
				if !ok {
					t.Errorf("%s: not in the reference file", st.Name)
					continue
				}
				if plan[i] != rt.Type {
					t.Errorf("%s: planned %v, llama-quantize wrote %v", st.Name, plan[i], rt.Type)
				}
			}
		})
	}
}

// TestWriteOrderMatchesLlamaQuantize checks that WriteOrder of the source
// tensors is the order of the tensors in every llama-quantize output.
// ts5m-F32.gguf itself is the trainer's export, not llama-quantize's.
func TestWriteOrderMatchesLlamaQuantize(t *testing.T) {
	src := openGGUF(t, "models/ts5m-F32.gguf")
	var got []string
	for _, i := range WriteOrder(src.Tensors) {
		got = append(got, src.Tensors[i].Name)
	}
	if got[0] != "output.weight" || got[3] != "blk.0.attn_k.weight" {
		t.Errorf("order starts %v", got[:4])
	}
	for _, m := range Mixes() {
		if m.Name == "F32" {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			ref := openGGUF(t, "models/ts5m-"+m.Name+".gguf")
			var want []string
			for _, rt := range ref.Tensors {
				want = append(want, rt.Name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("WriteOrder:\n%v\nllama-quantize wrote:\n%v", got, want)
			}
		})
	}
}

// TestWriteOrderLayers checks the numeric layer sort on names the ts5m
// files cannot show: layer 10 after layer 9, and names that only look like
// layers.
func TestWriteOrderLayers(t *testing.T) {
	names := []string{"blk.10.attn_q.weight", "token_embd.weight", "blk.9.ffn_up.weight", "blk.x.weight",
		"blk.9.attn_q.weight", "output.weight", "blk.2.attn_q.weight", "output_norm.weight"}
	want := []string{"blk.x.weight", "output.weight", "output_norm.weight", "token_embd.weight",
		"blk.2.attn_q.weight", "blk.9.attn_q.weight", "blk.9.ffn_up.weight", "blk.10.attn_q.weight"}
	tensors := make([]gguf.TensorInfo, len(names))
	for i, n := range names {
		tensors[i] = gguf.TensorInfo{Name: n, Dims: []uint64{32}}
	}
	var got []string
	for _, i := range WriteOrder(tensors) {
		got = append(got, names[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("WriteOrder = %v, want %v", got, want)
	}
}

// TestPlanStories260K checks the row-width fallbacks on stories260K, whose
// rows are 64 wide (172 for ffn_down): no K-quant fits, and ffn_down does
// not even fit 32-element blocks. llama.cpp has no quantized file of it to
// compare with, so the expectations are worked out by hand from
// llama_tensor_get_type at c392e50:
//   - output.weight: width not a multiple of 256, so Q8_0 in every mix;
//   - Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, Q2_K/Q3_K → IQ4_NL, and F16
//     where the fallback does not fit 172 either;
//   - 5 layers: useMoreBits picks layers 2 and 4 (Q4_K_M's attn_v gets Q6_K
//     there, hence Q8_0); Q3_K_M's attn_v gets Q5_K in layers 0-1, Q4_K after;
//   - the 32-element mixes have no fallback: llama-quantize stops at the
//     first ffn_down it visits ("Unsupported tensor size encountered").
func TestPlanStories260K(t *testing.T) {
	src := openGGUF(t, "models/stories260K-f32.gguf")
	type want struct {
		byKind map[string]gguf.Type // by tensor kind: the name without "blk.N."
		attnV  []gguf.Type          // attn_v per layer, if it varies
		err    string               // the error names this tensor
	}
	kinds := func(output, embd, q, k, v, o, gate, up, down gguf.Type) map[string]gguf.Type {
		return map[string]gguf.Type{
			"output.weight": output, "token_embd.weight": embd, "attn_q.weight": q, "attn_k.weight": k,
			"attn_v.weight": v, "attn_output.weight": o, "ffn_gate.weight": gate, "ffn_up.weight": up,
			"ffn_down.weight": down,
		}
	}
	const (
		f16  = gguf.F16
		f32  = gguf.F32
		bf16 = gguf.BF16
		q50  = gguf.Q5_0
		q51  = gguf.Q5_1
		q80  = gguf.Q8_0
		iq4  = gguf.IQ4_NL
	)
	fails := want{err: "blk.0.ffn_down.weight"}
	tests := map[string]want{
		"F32":    {byKind: kinds(f32, f32, f32, f32, f32, f32, f32, f32, f32)},
		"F16":    {byKind: kinds(f16, f16, f16, f16, f16, f16, f16, f16, f16)},
		"BF16":   {byKind: kinds(bf16, bf16, bf16, bf16, bf16, bf16, bf16, bf16, bf16)},
		"Q8_0":   fails,
		"Q6_K":   {byKind: kinds(q80, q80, q80, q80, q80, q80, q80, q80, f16)},
		"Q5_1":   fails,
		"Q5_K_M": {byKind: kinds(q80, q51, q51, q51, 0, q51, q51, q51, f16), attnV: []gguf.Type{q51, q51, q80, q51, q80}},
		"Q5_K_S": {byKind: kinds(q80, q51, q51, q51, q51, q51, q51, q51, f16)},
		"Q5_0":   fails,
		"Q4_1":   fails,
		"Q4_K_M": {byKind: kinds(q80, q50, q50, q50, 0, q50, q50, q50, f16), attnV: []gguf.Type{q50, q50, q80, q50, q80}},
		"Q4_K_S": {byKind: kinds(q80, q50, q50, q50, 0, q50, q50, q50, f16), attnV: []gguf.Type{q51, q51, q51, q51, q50}},
		"Q4_0":   fails,
		"Q3_K_L": {byKind: kinds(q80, iq4, iq4, iq4, q51, q51, iq4, iq4, f16)},
		"Q3_K_M": {byKind: kinds(q80, iq4, iq4, iq4, 0, q50, iq4, iq4, f16), attnV: []gguf.Type{q51, q51, q50, q50, q50}},
		"Q3_K_S": {byKind: kinds(q80, iq4, iq4, iq4, iq4, iq4, iq4, iq4, f16)},
		"Q2_K":   {byKind: kinds(q80, iq4, iq4, iq4, iq4, iq4, iq4, iq4, f16)},
	}
	if len(tests) != len(mixes) {
		t.Fatalf("%d cases for %d mixes", len(tests), len(mixes))
	}
	for _, m := range Mixes() {
		t.Run(m.Name, func(t *testing.T) {
			w := tests[m.Name]
			plan, err := m.Plan(src, src.Tensors)
			if w.err != "" {
				if err == nil || !strings.Contains(err.Error(), w.err) {
					t.Fatalf("Plan error = %v, want one naming %s", err, w.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range src.Tensors {
				kind := st.Name
				layer, isBlock := blockIndex(kind)
				if isBlock {
					kind = strings.TrimPrefix(kind, fmt.Sprintf("blk.%d.", layer))
				}
				want, known := w.byKind[kind]
				switch {
				case strings.HasSuffix(kind, "norm.weight"):
					want = gguf.F32
				case kind == "attn_v.weight" && w.attnV != nil:
					want = w.attnV[layer]
				case !known:
					t.Fatalf("unexpected tensor %s", st.Name)
				}
				if plan[i] != want {
					t.Errorf("%s: planned %v, want %v", st.Name, plan[i], want)
				}
			}
		})
	}
}

// synthModel builds the tensor list of a llama-style model with n layers,
// width-256 rows and the given facts, for the rules the reference files
// cannot exercise. experts > 0 gives MoE tensors (ffn_*_exps, router).
func synthModel(layers, heads, headsKV, experts int, withOutput bool) ([]gguf.TensorInfo, modelFacts) {
	var ts []gguf.TensorInfo
	add := func(name string, dims ...uint64) {
		ts = append(ts, gguf.TensorInfo{Name: name, Type: gguf.F16, Dims: dims})
	}
	add("token_embd.weight", 256, 1000)
	add("output_norm.weight", 256)
	if withOutput {
		add("output.weight", 256, 1000)
	}
	for i := range layers {
		p := fmt.Sprintf("blk.%d.", i)
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_output"} {
			add(p+n+".weight", 256, 256)
		}
		add(p+"attn_norm.weight", 256)
		add(p+"ffn_norm.weight", 256)
		if experts > 0 {
			add(p+"ffn_gate_inp.weight", 256, uint64(experts))
			add(p+"ffn_gate_exps.weight", 256, 512, uint64(experts))
			add(p+"ffn_up_exps.weight", 256, 512, uint64(experts))
			add(p+"ffn_down_exps.weight", 512, 256, uint64(experts))
		} else {
			add(p+"ffn_gate.weight", 256, 512)
			add(p+"ffn_up.weight", 256, 512)
			add(p+"ffn_down.weight", 512, 256)
		}
	}
	facts := modelFacts{arch: "llama", layers: layers, experts: experts}
	for range layers {
		facts.heads = append(facts.heads, heads)
		facts.headsKV = append(facts.headsKV, headsKV)
	}
	return ts, facts
}

// TestPlanRules checks llama_tensor_get_type's rules for model shapes the
// reference files do not have, each expectation read from the source:
// tied embeddings, GQA >= 4, a 70B llama, 8 experts, falcon, an F16 source.
func TestPlanRules(t *testing.T) {
	tests := []struct {
		name  string
		mix   string
		model func() ([]gguf.TensorInfo, modelFacts)
		want  map[string]gguf.Type // by tensor name; others unchecked
	}{
		{"tied embeddings take the output's type", "Q4_K_M",
			func() ([]gguf.TensorInfo, modelFacts) { return synthModel(4, 8, 8, 0, false) },
			map[string]gguf.Type{"token_embd.weight": gguf.Q6_K, "blk.0.attn_q.weight": gguf.Q4_K}},
		{"tied embeddings in Q8_0 stay Q8_0", "Q8_0",
			func() ([]gguf.TensorInfo, modelFacts) { return synthModel(4, 8, 8, 0, false) },
			map[string]gguf.Type{"token_embd.weight": gguf.Q8_0}},
		{"Q2_K gives attn_v Q4_K from GQA 4", "Q2_K",
			func() ([]gguf.TensorInfo, modelFacts) { return synthModel(4, 32, 8, 0, true) },
			map[string]gguf.Type{"blk.0.attn_v.weight": gguf.Q4_K, "blk.0.ffn_down.weight": gguf.Q3_K,
				"output.weight": gguf.Q6_K, "token_embd.weight": gguf.Q2_K}},
		{"70B llama gets Q5_K attn_v", "Q3_K_M",
			func() ([]gguf.TensorInfo, modelFacts) { return synthModel(80, 64, 8, 0, true) },
			map[string]gguf.Type{"blk.0.attn_v.weight": gguf.Q5_K, "blk.2.attn_v.weight": gguf.Q5_K,
				"blk.4.ffn_down.weight": gguf.Q5_K, "blk.5.ffn_down.weight": gguf.Q4_K}},
		{"80 layers without GQA are a 65B", "Q3_K_M",
			func() ([]gguf.TensorInfo, modelFacts) { return synthModel(80, 64, 64, 0, true) },
			map[string]gguf.Type{"blk.2.attn_v.weight": gguf.Q4_K}},
		{"8 experts: attn_v and attn_k Q8_0, attn_output Q5_K, router kept", "Q4_K_M",
			func() ([]gguf.TensorInfo, modelFacts) { return synthModel(32, 32, 8, 8, true) },
			map[string]gguf.Type{"blk.1.attn_v.weight": gguf.Q8_0, "blk.1.attn_k.weight": gguf.Q8_0,
				"blk.1.attn_output.weight": gguf.Q5_K, "blk.1.ffn_gate_inp.weight": gguf.F16,
				"blk.0.ffn_down_exps.weight": gguf.Q6_K, "blk.4.ffn_down_exps.weight": gguf.Q4_K, "blk.6.ffn_down_exps.weight": gguf.Q6_K,
				"blk.31.ffn_down_exps.weight": gguf.Q6_K, "blk.1.ffn_up_exps.weight": gguf.Q4_K}},
		{"falcon: output Q8_0, Q3_K_L ffn_down Q4_K", "Q3_K_L",
			func() ([]gguf.TensorInfo, modelFacts) {
				ts, m := synthModel(4, 8, 8, 0, true)
				m.arch = "falcon"
				return ts, m
			},
			map[string]gguf.Type{"output.weight": gguf.Q8_0, "blk.0.ffn_down.weight": gguf.Q4_K,
				"blk.0.attn_output.weight": gguf.Q4_K, "blk.0.attn_v.weight": gguf.Q5_K}},
		{"F16 source to F32: weights converted, norms kept", "F32",
			func() ([]gguf.TensorInfo, modelFacts) { return synthModel(2, 8, 8, 0, true) },
			map[string]gguf.Type{"blk.0.attn_q.weight": gguf.F32, "token_embd.weight": gguf.F32,
				"blk.0.attn_norm.weight": gguf.F16}},
		{"[n, 1] counts as 1-D", "Q4_0",
			func() ([]gguf.TensorInfo, modelFacts) {
				ts, m := synthModel(1, 8, 8, 0, true)
				ts = append(ts, gguf.TensorInfo{Name: "extra.weight", Type: gguf.F32, Dims: []uint64{256, 1}})
				return ts, m
			},
			map[string]gguf.Type{"extra.weight": gguf.F32, "blk.0.attn_q.weight": gguf.Q4_0, "output.weight": gguf.Q6_K}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := LookupMix(tt.mix)
			if err != nil {
				t.Fatal(err)
			}
			tensors, facts := tt.model()
			plan, err := m.plan(tensors, facts)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for i, ti := range tensors {
				if want, ok := tt.want[ti.Name]; ok {
					checked++
					if plan[i] != want {
						t.Errorf("%s: planned %v, want %v", ti.Name, plan[i], want)
					}
				}
			}
			if checked != len(tt.want) {
				t.Errorf("checked %d of %d expected tensors", checked, len(tt.want))
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	m, _ := LookupMix("Q4_K_M")

	// One attn_v missing: llama-quantize's sanity check aborts.
	tensors, facts := synthModel(4, 8, 8, 0, true)
	tensors = slices.DeleteFunc(tensors, func(ti gguf.TensorInfo) bool { return ti.Name == "blk.3.attn_v.weight" })
	if _, err := m.plan(tensors, facts); err == nil || !strings.Contains(err.Error(), "3 attention value tensors for 4") {
		t.Errorf("missing attn_v: err = %v", err)
	}

	// An expert tensor outside the model's layers.
	tensors, facts = synthModel(2, 8, 8, 4, true)
	tensors = append(tensors, gguf.TensorInfo{Name: "blk.7.ffn_down_exps.weight", Type: gguf.F16, Dims: []uint64{512, 256, 4}})
	if _, err := m.plan(tensors, facts); err == nil || !strings.Contains(err.Error(), "blk.7.ffn_down_exps.weight") {
		t.Errorf("expert in layer 7 of 2: err = %v", err)
	}
}

// TestReadModelFacts reads the facts from the reference files and from small
// metadata-only files for the cases they lack.
func TestReadModelFacts(t *testing.T) {
	f := openGGUF(t, "models/ts5m-F32.gguf")
	m, err := readModelFacts(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.arch != "llama" || m.layers != 6 || m.gqa() != 2 || m.experts != 0 || m.attentionLayers() != 6 {
		t.Errorf("ts5m facts = %+v", m)
	}

	dir := t.TempDir()
	tests := []struct {
		name    string
		kv      map[string]gguf.Value
		err     string // substring of the error, "" for success
		gqa     int
		attnLay int
	}{
		{"no architecture", map[string]gguf.Value{"llama.block_count": gguf.Uint32(2)}, "general.architecture", 0, 0},
		{"no block count", map[string]gguf.Value{"general.architecture": gguf.String("llama")}, "llama.block_count", 0, 0},
		{"head_count_kv defaults to head_count", map[string]gguf.Value{
			"general.architecture": gguf.String("llama"), "llama.block_count": gguf.Uint32(2),
			"llama.attention.head_count": gguf.Uint32(8)}, "", 1, 2},
		{"per-layer KV heads", map[string]gguf.Value{
			"general.architecture": gguf.String("deci"), "deci.block_count": gguf.Uint32(3),
			"deci.attention.head_count":    gguf.Array([]int32{32, 32, 32}),
			"deci.attention.head_count_kv": gguf.Array([]int32{8, 0, 4})}, "", 4, 2},
		{"per-layer array of the wrong length", map[string]gguf.Value{
			"general.architecture": gguf.String("deci"), "deci.block_count": gguf.Uint32(3),
			"deci.attention.head_count": gguf.Array([]int32{32, 32})}, "2 entries for 3 layers", 0, 0},
		{"no attention heads (Mamba)", map[string]gguf.Value{
			"general.architecture": gguf.String("mamba"), "mamba.block_count": gguf.Uint32(4)}, "", 0, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("m%d.gguf", i))
			w, err := gguf.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			keys := make([]string, 0, len(tt.kv))
			for k := range tt.kv {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if err := w.SetKV(k, tt.kv[k]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := readModelFacts(f)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.gqa() != tt.gqa || m.attentionLayers() != tt.attnLay {
				t.Errorf("gqa %d, attention layers %d; want %d, %d", m.gqa(), m.attentionLayers(), tt.gqa, tt.attnLay)
			}
		})
	}
}

func TestMixTable(t *testing.T) {
	names := map[string]bool{}
	fileTypes := map[uint32]string{}
	for i, m := range Mixes() {
		if m.Description == "" || m.BitsPerWeight <= 0 {
			t.Errorf("%s: description %q, %v bits per weight", m.Name, m.Description, m.BitsPerWeight)
		}
		if names[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		names[m.Name] = true
		if other, ok := fileTypes[m.FileType]; ok {
			t.Errorf("%s and %s share file type %d", m.Name, other, m.FileType)
		}
		fileTypes[m.FileType] = m.Name
		if i > 0 && mixes[i-1].BitsPerWeight < m.BitsPerWeight {
			t.Errorf("%s (%v bpw) listed after the smaller %s", m.Name, m.BitsPerWeight, mixes[i-1].Name)
		}
		if got, ok := MixForFileType(m.FileType); !ok || got != m {
			t.Errorf("MixForFileType(%d) = %v, %v", m.FileType, got.Name, ok)
		}
		if got, err := LookupMix(strings.ToLower(m.Name)); err != nil || got != m {
			t.Errorf("LookupMix(%q) = %v, %v", strings.ToLower(m.Name), got.Name, err)
		}
	}
	// Figures quoted by the brief and llama.cpp: general.file_type of
	// Q4_K_M, and the bpw derived from "4.58G @ Llama-3-8B".
	if m, _ := LookupMix("Q4_K_M"); m.FileType != 15 || m.BitsPerWeight != 4.90 || m.Base != gguf.Q4_K {
		t.Errorf("Q4_K_M = %+v", m)
	}
	if m, err := LookupMix("q4_k"); err != nil || m.Name != "Q4_K_M" {
		t.Errorf("alias q4_k = %v, %v", m.Name, err)
	}
	if _, ok := MixForFileType(19); ok {
		t.Error("file type 19 (IQ2_XXS) should be unknown")
	}
	_, err := LookupMix("Q4_K_X")
	if err == nil {
		t.Fatal("LookupMix accepted Q4_K_X")
	}
	for name := range names {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %s", err, name)
		}
	}
}
