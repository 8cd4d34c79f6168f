package hftokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
	"nibble/engine/tokenizer"
)

// spmFolder makes a model folder with ts5m's tokenizer.model and the given
// files (name → content).
func spmFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	model, err := os.ReadFile(filepath.Join(refdata.Path(t, "hf/ts5m"), "tokenizer.model"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files["tokenizer.model"] = string(model)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSentencePieceRules checks the script's rules one by one on ts5m's
// tokenizer.model (2048 pieces: <unk> <s> </s>, 256 byte tokens, the rest
// normal) with hand-written configs.
func TestSentencePieceRules(t *testing.T) {
	type tokenWant struct {
		id    int
		text  string
		score float32
		typ   int32
	}
	tests := []struct {
		name   string
		cfg    Config
		files  map[string]string
		tokens []tokenWant    // checked entries of tokens/scores/token_type
		want   map[string]any // keys with these values (V)
		absent []string       // keys that must be absent
		nTok   int            // len(tokens)
	}{
		{
			name: "plain: no config files",
			cfg:  Config{Arch: "LlamaForCausalLM"},
			nTok: 2048,
			tokens: []tokenWant{
				{0, "<unk>", 0, tokenizer.TypeUnknown}, {1, "<s>", 0, tokenizer.TypeControl}, {2, "</s>", 0, tokenizer.TypeControl},
				{3, "<0x00>", 0, tokenizer.TypeByte},
			},
			want:   map[string]any{tokenizer.KeyModel: "llama", tokenizer.KeyPre: "default"},
			absent: []string{"tokenizer.ggml.bos_token_id", tokenizer.KeyAddBOS, tokenizer.KeyAddSpacePrefix, tokenizer.KeyChatTemplate, tokenizer.KeyMerges},
		},
		{
			name: "config.json vocab_size pads, added tokens",
			cfg:  Config{Arch: "MistralForCausalLM", VocabSize: 2052},
			files: map[string]string{
				"added_tokens.json": `{"<a>": 2048, "<b>": 9999, "<c>": 2048}`,
				"tokenizer_config.json": `{"added_tokens_decoder": {
					"2049": {"content": "<x▁y>", "special": false},
					"2050": {"content": "<|im_end|>", "special": false},
					"2051": {"content": "<sys>", "special": true}}}`,
			},
			nTok: 2052,
			tokens: []tokenWant{
				{2048, "<c>", -1000, tokenizer.TypeUserDefined}, // the last text for an id wins; 9999 is ignored
				{2049, "<x y>", -1000, tokenizer.TypeUserDefined},
				{2050, "<|im_end|>", -1000, tokenizer.TypeControl}, // looks special
				{2051, "<sys>", -1000, tokenizer.TypeControl},
			},
		},
		{
			name: "padding without added tokens",
			cfg:  Config{Arch: "LlamaForCausalLM", VocabSize: 2050},
			nTok: 2050,
			tokens: []tokenWant{
				{2049, "[PAD2049]", -10000, tokenizer.TypeUnused},
			},
		},
		{
			name: "special ids from config.json, out of range skipped",
			cfg:  Config{Arch: "LlamaForCausalLM"},
			files: map[string]string{
				"config.json":           `{"bos_token_id": 5000, "eos_token_id": [2, 3], "pad_token_id": 0, "unk_token_id": 0}`,
				"tokenizer_config.json": `{"add_bos_token": false, "add_eos_token": true, "add_prefix_space": null}`,
			},
			nTok: 2048,
			want: map[string]any{
				"tokenizer.ggml.unknown_token_id": uint32(0), "tokenizer.ggml.padding_token_id": uint32(0),
				tokenizer.KeyAddBOS: false, tokenizer.KeyAddEOS: true,
				tokenizer.KeyAddSpacePrefix: false, // null is written as false
			},
			absent: []string{"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"},
		},
		{
			name:   "add_prefix_space only for Llama-style models",
			cfg:    Config{Arch: "Qwen2ForCausalLM"},
			files:  map[string]string{"tokenizer_config.json": `{"add_prefix_space": true}`},
			nTok:   2048,
			absent: []string{tokenizer.KeyAddSpacePrefix},
		},
		{
			name: "named chat templates",
			cfg:  Config{Arch: "LlamaForCausalLM"},
			files: map[string]string{"tokenizer_config.json": `{"chat_template": [
				{"name": "default", "template": "D"}, {"name": "tool use", "template": "T"}, {"name": "x", "template": null}]}`},
			nTok: 2048,
			want: map[string]any{
				tokenizer.KeyChatTemplate: "D", tokenizer.KeyChatTemplate + ".tool_use": "T", "tokenizer.chat_templates": []string{"tool_use"},
			},
		},
		{
			name:  "small Granite-style vocabulary starts without BOS",
			cfg:   Config{Arch: "LlamaForCausalLM", VocabSize: 49152},
			files: map[string]string{"tokenizer_config.json": `{"add_bos_token": true}`},
			nTok:  49152,
			want:  map[string]any{tokenizer.KeyAddBOS: false},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.files == nil {
				tc.files = map[string]string{}
			}
			kvs, err := Metadata(spmFolder(t, tc.files), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]gguf.Value{}
			for _, kv := range kvs {
				m[kv.Key] = kv.Value
			}
			tokens, scores, types := m[tokenizer.KeyTokens].V.([]string), m[tokenizer.KeyScores].V.([]float32), m[tokenizer.KeyTokenTypes].V.([]int32)
			if len(tokens) != tc.nTok || len(scores) != tc.nTok || len(types) != tc.nTok {
				t.Fatalf("%d tokens, %d scores, %d types, want %d", len(tokens), len(scores), len(types), tc.nTok)
			}
			for _, w := range tc.tokens {
				if tokens[w.id] != w.text || scores[w.id] != w.score || types[w.id] != w.typ {
					t.Errorf("token %d = %q score %v type %d, want %q %v %d", w.id, tokens[w.id], scores[w.id], types[w.id], w.text, w.score, w.typ)
				}
			}
			for key, want := range tc.want {
				if got, ok := m[key]; !ok || !reflect.DeepEqual(got.V, want) {
					t.Errorf("%s = %v (present %v), want %v", key, got.V, ok, want)
				}
			}
			for _, key := range tc.absent {
				if got, ok := m[key]; ok {
					t.Errorf("%s = %v, want it absent", key, got.V)
				}
			}
		})
	}
}

// TestMetadataErrors checks that bad folders give errors naming the problem.
func TestMetadataErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		setup func(t *testing.T) string
		want  string
	}{
		{"unsupported architecture", Config{Arch: "GPT2LMHeadModel"},
			func(t *testing.T) string { return spmFolder(t, map[string]string{}) }, `unsupported architecture "GPT2LMHeadModel"`},
		{"no tokenizer", Config{Arch: "LlamaForCausalLM"},
			func(t *testing.T) string { return t.TempDir() }, "neither tokenizer.model nor tokenizer.json"},
		{"vocab_size below the pieces", Config{Arch: "LlamaForCausalLM", VocabSize: 1000},
			func(t *testing.T) string { return spmFolder(t, map[string]string{}) }, "more than config.json's vocab_size 1000"},
		{"negative special id", Config{Arch: "LlamaForCausalLM"},
			func(t *testing.T) string {
				return spmFolder(t, map[string]string{"config.json": `{"eos_token_id": -1}`})
			}, "invalid id for special token type eos"},
		{"added token past the vocabulary", Config{Arch: "LlamaForCausalLM"},
			func(t *testing.T) string {
				return spmFolder(t, map[string]string{"tokenizer_config.json": `{"added_tokens_decoder": {"4096": {"content": "x"}}}`})
			}, `bad entry "4096"`},
		{"SentencePiece tokenizer.json only", Config{Arch: "LlamaForCausalLM"},
			func(t *testing.T) string {
				dir := t.TempDir()
				json := `{"model": {"type": "BPE", "byte_fallback": true, "vocab": {}, "merges": []}, "decoder": {"type": "Sequence"}}`
				if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(json), 0o644); err != nil {
					t.Fatal(err)
				}
				return dir
			}, "SentencePiece-style"},
		{"unknown pre-tokenizer", Config{Arch: "Qwen2ForCausalLM"},
			func(t *testing.T) string {
				dir := t.TempDir()
				json := `{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
					"pre_tokenizer": {"type": "Whitespace"}}`
				if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(json), 0o644); err != nil {
					t.Fatal(err)
				}
				return dir
			}, `pre-tokenizer type "Whitespace" is not supported`},
		{"unrecognized check hash", Config{Arch: "Qwen2ForCausalLM"},
			func(t *testing.T) string {
				dir := t.TempDir()
				json := `{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]},
					"pre_tokenizer": {"type": "ByteLevel", "use_regex": true}}`
				if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(json), 0o644); err != nil {
					t.Fatal(err)
				}
				return dir
			}, "pre-tokenizer was not recognized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Metadata(tc.setup(t), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestParseModelProto checks the protobuf reader on hand-made messages.
func TestParseModelProto(t *testing.T) {
	// piece {piece: "ab", score: 1.5, type: BYTE}, then an unknown varint
	// field 7 and a trainer_spec (field 2) that must be skipped.
	piece := []byte{0x0a, 2, 'a', 'b', 0x15, 0, 0, 0xc0, 0x3f, 0x18, 6}
	good := append([]byte{0x0a, byte(len(piece))}, piece...)
	good = append(good, 0x38, 0x96, 0x01, 0x12, 2, 0x18, 2)
	pieces, err := parseModelProto(good)
	if err != nil {
		t.Fatal(err)
	}
	if want := []spmPiece{{"ab", 1.5, tokenizer.TypeByte}}; !reflect.DeepEqual(pieces, want) {
		t.Errorf("pieces = %v, want %v", pieces, want)
	}
	// A piece without a type is NORMAL.
	if pieces, err := parseModelProto([]byte{0x0a, 3, 0x0a, 1, 'x'}); err != nil || pieces[0].typ != tokenizer.TypeNormal {
		t.Errorf("untyped piece: %v, %v", pieces, err)
	}
	for name, data := range map[string][]byte{
		"truncated length":    {0x0a, 5, 0x0a},
		"bad piece type":      {0x0a, 2, 0x18, 9},
		"pieces not bytes":    {0x08, 1},
		"score not fixed32":   {0x0a, 2, 0x10, 1},
		"group wire type":     {0x0b},
		"field number 0":      {0x02, 0},
		"truncated fixed32":   {0x0a, 3, 0x15, 0, 0},
		"unterminated varint": {0x38, 0x80},
	} {
		if _, err := parseModelProto(data); !errors.Is(err, errProto) {
			t.Errorf("%s: error %v, want errProto", name, err)
		}
	}
}

// FuzzParseModelProto: the reader must never panic, whatever the bytes.
func FuzzParseModelProto(f *testing.F) {
	f.Add([]byte{0x0a, 11, 0x0a, 2, 'a', 'b', 0x15, 0, 0, 0xc0, 0x3f, 0x18, 6})
	f.Add([]byte{0x0a, 5, 0x0a})
	f.Fuzz(func(t *testing.T, data []byte) {
		pieces, err := parseModelProto(data)
		if err != nil && !errors.Is(err, errProto) {
			t.Fatalf("error %v does not wrap errProto", err)
		}
		for _, p := range pieces {
			if p.typ < tokenizer.TypeNormal || p.typ > tokenizer.TypeByte {
				t.Fatalf("piece type %d accepted", p.typ)
			}
		}
	})
}

func TestPythonList(t *testing.T) {
	for _, tc := range []struct {
		ids  []int32
		want string
	}{{nil, "[]"}, {[]int32{7}, "[7]"}, {[]int32{128000, 1, 22}, "[128000, 1, 22]"}} {
		if got := pythonList(tc.ids); got != tc.want {
			t.Errorf("pythonList(%v) = %q, want %q", tc.ids, got, tc.want)
		}
	}
}
