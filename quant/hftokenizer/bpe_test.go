package hftokenizer

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
	"nibble/engine/tokenizer"
)

// hfFolder copies a tokenizer folder of the shared test data into a
// temporary model folder, gunzipping tokenizer.json.gz and applying
// replacements (old, new, old, new, …) to it.
func hfFolder(t *testing.T, rel string, replacements ...string) string {
	t.Helper()
	src := refdata.Path(t, rel)
	dir := t.TempDir()
	in, err := os.Open(filepath.Join(src, "tokenizer.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	gz, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(replacements); i += 2 {
		if !bytes.Contains(data, []byte(replacements[i])) {
			t.Fatalf("%s/tokenizer.json has no %q", rel, replacements[i])
		}
		data = bytes.Replace(data, []byte(replacements[i]), []byte(replacements[i+1]), 1)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(src, "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeVocab loads Nibble's tokenizer from the metadata kvs (loadVocab).
func writeVocab(t *testing.T, kvs []gguf.KV) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := loadVocab(kvs)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The post_processor of the npm Llama 3 tokenizer.json, and that of Meta's.
const (
	llama3PostProcessor = `"post_processor": {
    "type": "ByteLevel",
    "add_prefix_space": true,
    "trim_offsets": false,
    "use_regex": true
  },`
	metaPostProcessor = `"post_processor": {"type": "Sequence", "processors": [
    {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
    {"type": "TemplateProcessing",
     "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
     "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
              {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
     "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]},`
)

// TestBPEVectors converts the Llama 3 and Qwen 3 tokenizer.json files and
// checks the result against llama.cpp: the pre-tokenizer name its
// convert_hf_to_gguf.py gives them, and its tokenizer test vectors for them.
func TestBPEVectors(t *testing.T) {
	if testing.Short() {
		t.Skip("converts two 10 MB tokenizer.json files")
	}
	tests := []struct {
		name                    string
		replacements            []string
		dir, arch, vectors, pre string
		nTokens, nMerges        int
		bos, eos                int64
		addBOS                  bool // tokenizer.ggml.add_bos_token written
		template                string
	}{
		// Meta's tokenizer.json (meta-llama/Meta-Llama-3-8B) has a post-processor
		// that adds <|begin_of_text|>, so that the ids llama.cpp hashes
		// start with it; the npm copy of the test data lacks it.
		{"llama-bpe", []string{llama3PostProcessor, metaPostProcessor}, "hf-tokenizers/llama3", "LlamaForCausalLM", "ggml-vocab-llama-bpe.gguf", "llama-bpe", 128256, 280147, 128000, 128001, false, "{% set loop_messages = messages %}"},
		// As it is, the npm copy hashes like Smaug-Llama-3-70B-Instruct's
		// tokenizer, which also adds no BOS: llama.cpp would name it
		// "smaug-bpe", Llama 3's regex without ignore_merges. The vectors,
		// made by Hugging Face with ignore_merges, then differ for one
		// string ("Cửa Việt"), so they are not checked here.
		{"smaug-bpe", nil, "hf-tokenizers/llama3", "LlamaForCausalLM", "", "smaug-bpe", 128256, 280147, 128000, 128001, false, "{% set loop_messages = messages %}"},
		{"qwen2", nil, "hf-tokenizers/qwen3", "Qwen3ForCausalLM", "ggml-vocab-qwen2.gguf", "qwen2", 151669, 151387, -1, 151645, true, "{%- if tools %}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := hfFolder(t, tc.dir, tc.replacements...)
			kvs, err := Metadata(dir, Config{Arch: tc.arch})
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]gguf.Value{}
			for _, kv := range kvs {
				m[kv.Key] = kv.Value
			}
			if got := m[tokenizer.KeyPre].V; got != tc.pre {
				t.Errorf("%s = %v, want %q", tokenizer.KeyPre, got, tc.pre)
			}
			if got := m[tokenizer.KeyModel].V; got != "gpt2" {
				t.Errorf("%s = %v, want gpt2", tokenizer.KeyModel, got)
			}
			if got := len(m[tokenizer.KeyTokens].V.([]string)); got != tc.nTokens {
				t.Errorf("%d tokens, want %d", got, tc.nTokens)
			}
			if got := len(m[tokenizer.KeyMerges].V.([]string)); got != tc.nMerges {
				t.Errorf("%d merges, want %d", got, tc.nMerges)
			}
			for key, want := range map[string]int64{"tokenizer.ggml.bos_token_id": tc.bos, "tokenizer.ggml.eos_token_id": tc.eos} {
				got, ok := m[key].Uint()
				if want < 0 && ok || want >= 0 && (!ok || int64(got) != want) {
					t.Errorf("%s = %v (present %v), want %d", key, got, ok, want)
				}
			}
			if _, ok := m[tokenizer.KeyAddBOS]; ok != tc.addBOS {
				t.Errorf("%s present = %v, want %v", tokenizer.KeyAddBOS, ok, tc.addBOS)
			}
			if s, _ := m[tokenizer.KeyChatTemplate].V.(string); !strings.HasPrefix(s, tc.template) {
				t.Errorf("%s = %.40q…, want it to start with %q", tokenizer.KeyChatTemplate, s, tc.template)
			}

			tok := writeVocab(t, kvs)
			if tc.vectors == "" {
				return
			}
			passed := 0
			vectors := refdata.Vectors(t, filepath.Join(refdata.Path(t, tc.dir), tc.vectors))
			for i, v := range vectors {
				got := tok.Encode(v.Text, false, false)
				if !slices.Equal(got, v.IDs) {
					t.Errorf("string %d %q:\n got  %v\n want %v", i, v.Text, got, v.IDs)
					continue
				}
				passed++
			}
			t.Logf("%d/%d llama.cpp vectors pass", passed, len(vectors))
		})
	}
}
