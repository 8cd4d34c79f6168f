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

// vector is one test string of llama.cpp's test-tokenizer-0 format with its
// expected ids (no BOS, parse_special=false).
type vector struct {
	text string
	ids  []int32
}

// readVectors reads X.inp and X.out (section 0 of the test data README).
func readVectors(t testing.TB, inpPath, outPath string) []vector {
	t.Helper()
	inp, err := os.ReadFile(inpPath)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if texts[len(texts)-1] != "" {
		t.Fatalf("%s does not end with the separator", inpPath)
	}
	texts = texts[:len(texts)-1]
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%d strings in %s but %d lines in %s", len(texts), inpPath, len(lines), outPath)
	}
	vectors := make([]vector, len(texts))
	for i, text := range texts {
		vectors[i].text = text
		for _, field := range strings.Fields(lines[i]) {
			id, err := strconv.ParseInt(field, 10, 32)
			if err != nil {
				t.Fatalf("%s line %d: %v", outPath, i+1, err)
			}
			vectors[i].ids = append(vectors[i].ids, int32(id))
		}
	}
	return vectors
}

func vocabVectors(t testing.TB, name string) []vector {
	t.Helper()
	base := refdata.Path(t, "vocab/ggml-vocab-"+name+".gguf")
	return readVectors(t, base+".inp", base+".out")
}

// checkVectors encodes every vector and reports the pass count.
func checkVectors(t *testing.T, tok *Tokenizer, vectors []vector) {
	t.Helper()
	passed := 0
	for i, v := range vectors {
		got := tok.Encode(v.text, false, false)
		if slices.Equal(got, v.ids) {
			passed++
			continue
		}
		t.Errorf("string %d %q:\n got  %v\n want %v", i, v.text, got, v.ids)
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
				if got := tok.Decode(tok.Encode(v.text, false, false)); got != v.text {
					t.Errorf("string %d: Decode(Encode(%q)) = %q", i, v.text, got)
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
