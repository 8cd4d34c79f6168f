package tokenizer

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// vocabs are the vocab-only GGUFs of the shared test data with llama.cpp's
// test vectors next to them.
var vocabs = []string{"llama-spm", "phi-3", "gpt-2", "deepseek-llm", "falcon", "ts5m"}

// loadVocab opens vocab/ggml-vocab-<name>.gguf and builds its tokenizer.
func loadVocab(t testing.TB, name string) *Tokenizer {
	t.Helper()
	return loadModel(t, "vocab/ggml-vocab-"+name+".gguf")
}

// loadModel builds the tokenizer of a GGUF file of the shared test data.
func loadModel(t testing.TB, rel string) *Tokenizer {
	t.Helper()
	return loadFile(t, refdata.Path(t, rel))
}

func loadFile(t testing.TB, path string) *Tokenizer {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func vocabVectors(t testing.TB, name string) []refdata.Vector {
	t.Helper()
	base := refdata.Path(t, "vocab/ggml-vocab-"+name+".gguf")
	return refdata.Vectors(t, base)
}

// checkVectors encodes every vector and reports the pass count.
func checkVectors(t *testing.T, tok *Tokenizer, vectors []refdata.Vector) {
	t.Helper()
	passed := 0
	for i, v := range vectors {
		got := tok.Encode(v.Text, false, false)
		if slices.Equal(got, v.IDs) {
			passed++
			continue
		}
		t.Errorf("string %d %q:\n got  %v\n want %v", i, v.Text, got, v.IDs)
	}
	t.Logf("%d/%d llama.cpp vectors pass", passed, len(vectors))
}

func TestLlamaCppVectors(t *testing.T) {
	for _, name := range vocabs {
		t.Run(name, func(t *testing.T) {
			checkVectors(t, loadVocab(t, name), vocabVectors(t, name))
		})
	}
}

// TestRoundTrip checks Decode(Encode(s)) == s for every test string.
func TestRoundTrip(t *testing.T) {
	for _, name := range vocabs {
		t.Run(name, func(t *testing.T) {
			tok := loadVocab(t, name)
			for i, v := range vocabVectors(t, name) {
				if got := tok.Decode(tok.Encode(v.Text, false, false)); got != v.Text {
					t.Errorf("string %d: Decode(Encode(%q)) = %q", i, v.Text, got)
				}
			}
		})
	}
}

// TestModelPrompts checks the prompts llama.cpp tokenized (add_special=true)
// for the logits reference data, with the tokenizers of the models
// themselves.
func TestModelPrompts(t *testing.T) {
	tests := []struct {
		model, prompt string
	}{
		{"models/ts5m-F32.gguf", "logits/ts5m"},
		{"models/stories260K-f32.gguf", "logits/stories260K"},
	}
	for _, tc := range tests {
		t.Run(tc.prompt, func(t *testing.T) {
			tok := loadModel(t, tc.model)
			text, err := os.ReadFile(refdata.Path(t, tc.prompt+".prompt.txt"))
			if err != nil {
				t.Fatal(err)
			}
			want := readIDs(t, refdata.Path(t, tc.prompt+".tokens"))
			if got := tok.Encode(string(text), true, false); !slices.Equal(got, want) {
				t.Errorf("Encode:\n got  %v\n want %v", got, want)
			}
		})
	}
	t.Run("heldout-a token count", func(t *testing.T) {
		// README section 5: llama-perplexity tokenizes the file (with BOS)
		// into 11,044 tokens. It reads it with -f, which drops the last
		// newline of a file.
		tok := loadModel(t, "models/ts5m-F32.gguf")
		text, err := os.ReadFile(refdata.Path(t, "text/heldout-a.txt"))
		if err != nil {
			t.Fatal(err)
		}
		text = bytes.TrimSuffix(text, []byte("\n"))
		if got := len(tok.Encode(string(text), true, false)); got != 11044 {
			t.Errorf("%d tokens, want 11044", got)
		}
	})
	t.Run("ts5m once upon a time", func(t *testing.T) {
		tok := loadModel(t, "models/ts5m-F32.gguf")
		want := []int32{1, 392, 412, 261, 372}
		if got := tok.Encode("Once upon a time", true, false); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// TestGreedyText checks that the pieces of llama.cpp's greedy continuations
// are the text llama.cpp printed for them.
func TestGreedyText(t *testing.T) {
	tests := []struct{ model, greedy string }{
		{"models/ts5m-F32.gguf", "logits/ts5m-F32"},
		{"models/stories260K-f32.gguf", "logits/stories260K-F32"},
	}
	for _, tc := range tests {
		t.Run(tc.greedy, func(t *testing.T) {
			tok := loadModel(t, tc.model)
			want, err := os.ReadFile(refdata.Path(t, tc.greedy+".greedy.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			for _, id := range readIDs(t, refdata.Path(t, tc.greedy+".greedy")) {
				got = append(got, tok.Piece(id)...)
			}
			if string(got) != string(want) {
				t.Errorf("pieces:\n got  %q\n want %q", got, want)
			}
		})
	}
}

// readIDs reads a file of space-separated token ids.
func readIDs(t testing.TB, path string) []int32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, field := range strings.Fields(string(data)) {
		id, err := strconv.ParseInt(field, 10, 32)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ids = append(ids, int32(id))
	}
	return ids
}
