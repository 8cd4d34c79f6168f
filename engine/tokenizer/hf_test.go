package tokenizer

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// The Llama 3 and Qwen pre-tokenizers have llama.cpp vectors in the shared
// test data but no GGUF vocabulary: only the Hugging Face tokenizer.json. As
// llama.cpp's convert_hf_to_gguf.py would, hfVocabGGUF writes a vocab-only
// GGUF from it (tokens by id, added tokens CONTROL if special else
// USER_DEFINED, the merges, the pre-tokenizer name), which FromGGUF then
// loads like any model.

// hfTokenizerJSON is the part of a tokenizer.json the conversion reads.
type hfTokenizerJSON struct {
	AddedTokens []struct {
		ID      int32  `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Model struct {
		Vocab  map[string]int32  `json:"vocab"`
		Merges []json.RawMessage `json:"merges"` // "a b", or ["a", "b"] in newer files
	} `json:"model"`
}

// hfVocabGGUF converts dir/tokenizer.json.gz and returns the GGUF's path.
func hfVocabGGUF(t *testing.T, dir, pre string) string {
	t.Helper()
	file, err := os.Open(filepath.Join(dir, "tokenizer.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	gz, err := gzip.NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	var hf hfTokenizerJSON
	if err := json.NewDecoder(gz).Decode(&hf); err != nil {
		t.Fatal(err)
	}
	var config struct {
		BOS any `json:"bos_token"`
		EOS any `json:"eos_token"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &config); err != nil {
		t.Fatal(err)
	}

	n := len(hf.Model.Vocab)
	for _, a := range hf.AddedTokens {
		n = max(n, int(a.ID)+1)
	}
	tokens := make([]string, n)
	types := make([]int32, n)
	ids := map[string]int32{}
	for text, id := range hf.Model.Vocab {
		tokens[id], types[id] = text, 1
	}
	for _, a := range hf.AddedTokens {
		tokens[a.ID], types[a.ID] = a.Content, 4
		if a.Special {
			types[a.ID] = 3
		}
	}
	for id, text := range tokens {
		if text == "" {
			t.Fatalf("%s: no token with id %d", dir, id)
		}
		ids[text] = int32(id)
	}
	merges := make([]string, len(hf.Model.Merges))
	for i, raw := range hf.Model.Merges {
		var pair []string
		if err := json.Unmarshal(raw, &merges[i]); err != nil {
			if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
				t.Fatalf("%s: merge %d: %s", dir, i, raw)
			}
			merges[i] = pair[0] + " " + pair[1]
		}
	}

	kv := map[string]gguf.Value{
		KeyModel:      gguf.String("gpt2"),
		KeyPre:        gguf.String(pre),
		KeyTokens:     gguf.Array(tokens),
		KeyTokenTypes: gguf.Array(types),
		KeyMerges:     gguf.Array(merges),
	}
	for key, special := range map[string]any{KeyBOS: config.BOS, KeyEOS: config.EOS} {
		if text, ok := special.(string); ok {
			kv[key] = gguf.Uint32(uint32(ids[text]))
		}
	}
	return writeGGUF(t, kv)
}

// TestHFVectors checks the llama-bpe and qwen2 pre-tokenizers against
// llama.cpp's vectors for Llama 3 and Qwen.
func TestHFVectors(t *testing.T) {
	if testing.Short() {
		t.Skip("converts two 10 MB tokenizer.json files")
	}
	tests := []struct{ dir, pre, vectors string }{
		{"hf-tokenizers/llama3", "llama-bpe", "ggml-vocab-llama-bpe.gguf"},
		{"hf-tokenizers/qwen3", "qwen2", "ggml-vocab-qwen2.gguf"},
	}
	for _, tc := range tests {
		t.Run(tc.pre, func(t *testing.T) {
			dir := refdata.Path(t, tc.dir)
			tok := loadFile(t, hfVocabGGUF(t, dir, tc.pre))
			base := filepath.Join(dir, tc.vectors)
			vectors := refdata.Vectors(t, base)
			checkVectors(t, tok, vectors)
			for i, v := range vectors {
				if got := tok.Decode(tok.Encode(v.Text, false, false)); got != v.Text {
					t.Errorf("string %d: Decode(Encode(%q)) = %q", i, v.Text, got)
				}
			}
			if strings.HasPrefix(tc.pre, "llama") && !tok.AddBOS() {
				t.Error("llama-bpe: AddBOS() = false, llama.cpp's default is true")
			}
		})
	}
}
