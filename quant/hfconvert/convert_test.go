package hfconvert

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
	"nibble/quant"
)

// TestConvertReference converts the shared HF copy of ts5m as llama.cpp's
// convert_hf_to_gguf.py --outtype bf16 did: every metadata key with the same
// type and value, in the same order, and the same tensors (names, types,
// shapes, order, bytes).
func TestConvertReference(t *testing.T) {
	dir := refdata.Path(t, "hf/ts5m")
	want, err := gguf.Open(refdata.Path(t, "hf/ts5m-convert-BF16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()

	out := filepath.Join(t.TempDir(), "ts5m-BF16.gguf")
	res, err := Convert(context.Background(), dir, out, Options{Type: "BF16"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tensors != 57 || res.Params != 5770496 || res.Arch != "llama" || res.Type != "BF16" {
		t.Errorf("result %+v", res)
	}
	got, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	compareMetadata(t, got, want)
	compareTensors(t, got, want)
}

func compareMetadata(t *testing.T, got, want *gguf.File) {
	t.Helper()
	var gotKeys, wantKeys []string
	for _, kv := range got.KV {
		gotKeys = append(gotKeys, kv.Key)
	}
	for _, kv := range want.KV {
		wantKeys = append(wantKeys, kv.Key)
		v, ok := got.Get(kv.Key)
		if !ok {
			t.Errorf("key %s missing", kv.Key)
		} else if !reflect.DeepEqual(v, kv.Value) {
			t.Errorf("key %s = %.80v, want %.80v", kv.Key, v, kv.Value)
		}
	}
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("keys\n got %v\nwant %v", gotKeys, wantKeys)
	}
}

func compareTensors(t *testing.T, got, want *gguf.File) {
	t.Helper()
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for i, w := range want.Tensors {
		g := got.Tensors[i]
		if g.Name != w.Name || g.Type != w.Type || !slices.Equal(g.Dims, w.Dims) {
			t.Errorf("tensor %d: %s %v %v, want %s %v %v", i, g.Name, g.Type, g.Dims, w.Name, w.Type, w.Dims)
			continue
		}
		if !bytes.Equal(got.TensorData(g), want.TensorData(w)) {
			t.Errorf("tensor %s: data differs", w.Name)
		}
	}
}

// TestConvertMix checks that converting straight to a mix gives the file
// `nibble quantize` makes from llama.cpp's conversion, byte for byte.
func TestConvertMix(t *testing.T) {
	if testing.Short() {
		t.Skip("quantizes ts5m twice")
	}
	dir := refdata.Path(t, "hf/ts5m")
	ref := refdata.Path(t, "hf/ts5m-convert-BF16.gguf")
	tmp := t.TempDir()
	for _, mixName := range []string{"Q4_K_M", "Q8_0"} {
		t.Run(mixName, func(t *testing.T) {
			mix, err := quant.LookupMix(mixName)
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(tmp, "want-"+mixName+".gguf")
			if _, err := quant.QuantizeFile(context.Background(), ref, want, quant.Options{Mix: mix}); err != nil {
				t.Fatal(err)
			}
			got := filepath.Join(tmp, "got-"+mixName+".gguf")
			res, err := Convert(context.Background(), dir, got, Options{Type: mixName})
			if err != nil {
				t.Fatal(err)
			}
			if res.Type != mixName {
				t.Errorf("result type %s", res.Type)
			}
			a, _ := os.ReadFile(got)
			b, _ := os.ReadFile(want)
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs from quantizing llama.cpp's conversion (%d vs %d bytes)", got, len(a), len(b))
			}
			left, _ := filepath.Glob(filepath.Join(tmp, ".*"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestConvertFloatTypes checks F16 and F32 output against llama.cpp's BF16
// conversion: the same tensors, matrices converted from BF16 by widening
// (F32) or round-to-nearest-even (F16), norms F32 in both.
func TestConvertFloatTypes(t *testing.T) {
	dir := refdata.Path(t, "hf/ts5m")
	ref, err := gguf.Open(refdata.Path(t, "hf/ts5m-convert-BF16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	for _, tc := range []struct {
		typ      string
		want     gguf.Type
		fileType uint32
	}{{"F16", gguf.F16, 1}, {"F32", gguf.F32, 0}, {"", gguf.F16, 1}} {
		out := filepath.Join(t.TempDir(), "out.gguf")
		if _, err := Convert(context.Background(), dir, out, Options{Type: tc.typ}); err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if ft, _ := f.Uint("general.file_type"); ft != uint64(tc.fileType) {
			t.Errorf("%q: file_type %d, want %d", tc.typ, ft, tc.fileType)
		}
		for i, r := range ref.Tensors {
			g := f.Tensors[i]
			wantType := tc.want
			if r.Type == gguf.F32 {
				wantType = gguf.F32
			}
			if g.Name != r.Name || g.Type != wantType {
				t.Fatalf("%q: tensor %d is %s %v, want %s %v", tc.typ, i, g.Name, g.Type, r.Name, wantType)
			}
			x := make([]float32, r.Elements())
			if err := quant.Dequantize(r.Type, x, ref.TensorData(r)); err != nil {
				t.Fatal(err)
			}
			want := make([]byte, g.Bytes())
			if err := quant.Quantize(wantType, want, x); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.TensorData(g), want) {
				t.Errorf("%q: tensor %s differs", tc.typ, g.Name)
			}
		}
		f.Close()
	}
}

// stTensor is a tensor to write into a test safetensors file.
type stTensor struct {
	name  string
	shape []uint64 // PyTorch order
	data  []float32
}

// writeSafetensors writes tensors as BF16 (rounded to nearest even).
func writeSafetensors(t testing.TB, path string, tensors []stTensor) {
	t.Helper()
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, tn := range tensors {
		begin := len(data)
		for _, v := range tn.data {
			data = binary.LittleEndian.AppendUint16(data, quant.FP32ToBF16(v))
		}
		header[tn.name] = map[string]any{"dtype": "BF16", "shape": tn.shape, "data_offsets": []int{begin, len(data)}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	b = append(append(b, h...), data...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ramp returns n values i*step.
func ramp(n int, step float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i) * step
	}
	return x
}

// tinyModel writes a one-layer HF folder of arch with config extra keys,
// copying the ts5m tokenizer files (the tokenizer is not under test here).
func tinyModel(t *testing.T, hfArch string, extra map[string]any, tensors []stTensor) string {
	t.Helper()
	src := refdata.Path(t, "hf/ts5m")
	dir := filepath.Join(t.TempDir(), "Tiny-Test-1M-Chat")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tokenizer.model", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	cfg := map[string]any{"architectures": []string{hfArch}, "hidden_size": 8, "intermediate_size": 16,
		"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "rms_norm_eps": 1e-6,
		"rope_theta": 1000000.0, "max_position_embeddings": 64, "vocab_size": 2048}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"), tensors)
	return dir
}

// layerTensors is one layer of a tiny model: embd 8, 2 heads of 4, 1 KV head.
func layerTensors(qkNorm, bias bool) []stTensor {
	ts := []stTensor{
		{"model.embed_tokens.weight", []uint64{2048, 8}, ramp(2048*8, 1e-3)},
		{"model.norm.weight", []uint64{8}, ramp(8, 1)},
		{"model.layers.0.input_layernorm.weight", []uint64{8}, ramp(8, 1)},
		{"model.layers.0.post_attention_layernorm.weight", []uint64{8}, ramp(8, 1)},
		{"model.layers.0.self_attn.q_proj.weight", []uint64{8, 8}, ramp(64, 1)},
		{"model.layers.0.self_attn.k_proj.weight", []uint64{4, 8}, ramp(32, 1)},
		{"model.layers.0.self_attn.v_proj.weight", []uint64{4, 8}, ramp(32, 1)},
		{"model.layers.0.self_attn.o_proj.weight", []uint64{8, 8}, ramp(64, 1)},
		{"model.layers.0.mlp.gate_proj.weight", []uint64{16, 8}, ramp(128, 1)},
		{"model.layers.0.mlp.up_proj.weight", []uint64{16, 8}, ramp(128, 1)},
		{"model.layers.0.mlp.down_proj.weight", []uint64{8, 16}, ramp(128, 1)},
		{"model.layers.0.self_attn.rotary_emb.inv_freq", []uint64{2}, ramp(2, 1)},
	}
	if qkNorm {
		ts = append(ts, stTensor{"model.layers.0.self_attn.q_norm.weight", []uint64{4}, ramp(4, 1)},
			stTensor{"model.layers.0.self_attn.k_norm.weight", []uint64{4}, ramp(4, 1)})
	}
	if bias {
		ts = append(ts, stTensor{"model.layers.0.self_attn.q_proj.bias", []uint64{8}, ramp(8, 1)},
			stTensor{"model.layers.0.self_attn.k_proj.bias", []uint64{4}, ramp(4, 1)},
			stTensor{"model.layers.0.self_attn.v_proj.bias", []uint64{4}, ramp(4, 1)})
	}
	return ts
}

// TestConvertArchitectures converts tiny models of each family and checks
// what the script does differently for each: names, permutation, F32 rules,
// tied output, Llama 3 rope_freqs, rope scaling keys, general.* from the
// folder name.
func TestConvertArchitectures(t *testing.T) {
	llama3 := map[string]any{"rope_scaling": map[string]any{"factor": 32.0, "low_freq_factor": 1.0,
		"high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}, "rope_theta": 500000.0}
	yarn := map[string]any{"rope_scaling": map[string]any{"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}
	mistral := map[string]any{"head_dim": 4, "rope_scaling": map[string]any{"type": "linear", "factor": 2.0}}
	for _, tc := range []struct {
		name, hfArch string
		extra        map[string]any
		qkNorm, bias bool
		wantTensors  []string // in order
		wantKV       map[string]any
		absentKV     []string
		permuted     bool
	}{
		{name: "llama3", hfArch: "LlamaForCausalLM", extra: llama3, permuted: true,
			wantTensors: []string{"rope_freqs.weight", "token_embd.weight", "blk.0.attn_norm.weight", "blk.0.ffn_down.weight",
				"blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_norm.weight", "blk.0.attn_k.weight",
				"blk.0.attn_output.weight", "blk.0.attn_q.weight", "blk.0.attn_v.weight", "output_norm.weight"},
			wantKV: map[string]any{"general.architecture": "llama", "general.name": "Tiny Test 1M Chat", "general.basename": "Tiny-Test",
				// 1M is far from the 17K parameters: the script takes it for a context length.
				"general.size_label": "17K", "general.finetune": "1m-Chat", "llama.vocab_size": uint32(2048),
				"llama.rope.dimension_count": uint32(4), "llama.rope.freq_base": float32(500000)},
			absentKV: []string{"llama.rope.scaling.type", "llama.attention.key_length"}},
		{name: "mistral", hfArch: "MistralForCausalLM", extra: mistral, permuted: true,
			wantKV: map[string]any{"llama.attention.key_length": uint32(4), "llama.attention.value_length": uint32(4),
				"llama.rope.scaling.type": "linear", "llama.rope.scaling.factor": float32(2)}},
		{name: "qwen2", hfArch: "Qwen2ForCausalLM", extra: yarn, bias: true,
			wantKV: map[string]any{"general.architecture": "qwen2", "qwen2.rope.scaling.type": "yarn",
				"qwen2.rope.scaling.factor": float32(4), "qwen2.rope.scaling.original_context_length": uint32(32768),
				"qwen2.attention.layer_norm_rms_epsilon": float32(1e-6)},
			absentKV: []string{"qwen2.vocab_size", "qwen2.rope.dimension_count"}},
		{name: "qwen3", hfArch: "Qwen3ForCausalLM", extra: map[string]any{"head_dim": 4}, qkNorm: true,
			wantKV: map[string]any{"general.architecture": "qwen3", "qwen3.attention.key_length": uint32(4)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := layerTensors(tc.qkNorm, tc.bias)
			dir := tinyModel(t, tc.hfArch, tc.extra, src)
			out := filepath.Join(t.TempDir(), "out.gguf")
			if _, err := Convert(context.Background(), dir, out, Options{Type: "F16"}); err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var names []string
			for _, tn := range f.Tensors {
				names = append(names, tn.Name)
				want := gguf.F16
				if len(tn.Dims) == 1 || strings.HasSuffix(tn.Name, ".bias") {
					want = gguf.F32
				}
				if tn.Type != want {
					t.Errorf("%s is %v, want %v", tn.Name, tn.Type, want)
				}
			}
			if tc.wantTensors != nil && !slices.Equal(names, tc.wantTensors) {
				t.Errorf("tensors\n got %v\nwant %v", names, tc.wantTensors)
			}
			if slices.Contains(names, "output.weight") {
				t.Errorf("output.weight written for a checkpoint without lm_head")
			}
			if tc.qkNorm && !slices.Contains(names, "blk.0.attn_q_norm.weight") {
				t.Errorf("no attn_q_norm in %v", names)
			}
			if tc.bias && !slices.Contains(names, "blk.0.attn_q.bias") {
				t.Errorf("no attn_q.bias in %v", names)
			}
			for k, v := range tc.wantKV {
				got, ok := f.Get(k)
				if !ok || !reflect.DeepEqual(got.V, v) {
					t.Errorf("%s = %v (present %v), want %v", k, got.V, ok, v)
				}
			}
			for _, k := range tc.absentKV {
				if _, ok := f.Get(k); ok {
					t.Errorf("%s written", k)
				}
			}
			// attn_q is 8 rows of 8 holding ramp values; the permutation
			// (2 heads of 4 rows) orders rows 0 2 1 3 4 6 5 7.
			q, _ := f.Tensor("blk.0.attn_q.weight")
			x := make([]float32, 64)
			quant.Dequantize(q.Type, x, f.TensorData(q))
			rowOrder := []int{0, 1, 2, 3, 4, 5, 6, 7}
			if tc.permuted {
				rowOrder = []int{0, 2, 1, 3, 4, 6, 5, 7}
			}
			for r, s := range rowOrder {
				if x[r*8] != float32(s*8) {
					t.Errorf("attn_q row %d starts %v, want source row %d", r, x[r*8], s)
				}
			}
			if tc.name == "llama3" {
				rf, _ := f.Tensor("rope_freqs.weight")
				v := make([]float32, 2)
				quant.Dequantize(gguf.F32, v, f.TensorData(rf))
				// head_dim 4, base 500000: wavelengths 2π and 2π·√500000 ≈ 4443 (between 2048 and 8192: blended).
				if v[0] != 1 || !(v[1] > 1 && v[1] < 32) {
					t.Errorf("rope_freqs %v", v)
				}
			}
		})
	}
}

// TestConvertErrors checks that a folder Convert cannot use is reported in
// plain words naming what is wrong, and leaves no output.
func TestConvertErrors(t *testing.T) {
	tensors := layerTensors(false, false)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string
		typ   string
		want  string
	}{
		{"no config", func(t *testing.T) string { return t.TempDir() }, "", "has no config.json"},
		{"architecture", func(t *testing.T) string { return tinyModel(t, "GPT2LMHeadModel", nil, tensors) }, "",
			"unsupported architecture GPT2LMHeadModel (supported: LLaMAForCausalLM, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)"},
		{"type", func(t *testing.T) string { return tinyModel(t, "LlamaForCausalLM", nil, tensors) }, "Q9_X", "Q9_X"},
		{"unknown tensor", func(t *testing.T) string {
			return tinyModel(t, "LlamaForCausalLM", nil, append(slices.Clone(tensors), stTensor{"model.extra.weight", []uint64{1}, []float32{1}}))
		}, "", "cannot map tensor model.extra.weight"},
		{"layer out of range", func(t *testing.T) string {
			return tinyModel(t, "LlamaForCausalLM", nil, append(slices.Clone(tensors), stTensor{"model.layers.1.input_layernorm.weight", []uint64{8}, ramp(8, 1)}))
		}, "", "cannot map tensor model.layers.1.input_layernorm.weight"},
		{"missing layer count", func(t *testing.T) string {
			return tinyModel(t, "LlamaForCausalLM", map[string]any{"num_hidden_layers": nil}, tensors)
		}, "", "num_hidden_layers is null"},
		{"no weights", func(t *testing.T) string {
			dir := tinyModel(t, "LlamaForCausalLM", nil, tensors)
			os.Remove(filepath.Join(dir, "model.safetensors"))
			return dir
		}, "", "no model.safetensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outDir := t.TempDir()
			_, err := Convert(context.Background(), tc.setup(t), filepath.Join(outDir, "out.gguf"), Options{Type: tc.typ})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
			if left, _ := os.ReadDir(outDir); len(left) > 0 {
				t.Errorf("left %d files behind", len(left))
			}
		})
	}
}

// TestCancel checks that a cancelled conversion stops and leaves nothing.
func TestCancel(t *testing.T) {
	dir := refdata.Path(t, "hf/ts5m")
	ctx, cancel := context.WithCancel(context.Background())
	outDir := t.TempDir()
	_, err := Convert(ctx, dir, filepath.Join(outDir, "out.gguf"), Options{Type: "Q4_0", Progress: func(p Progress) {
		if p.Tensor == 3 {
			cancel()
		}
	}})
	if err != context.Canceled {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if left, _ := os.ReadDir(outDir); len(left) > 0 {
		t.Errorf("left %v behind", left)
	}
}
