package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

func TestSpecialTokenIDs(t *testing.T) {
	tests := []struct {
		vocab    string
		bos, eos int32
		addBOS   bool
		eog      []int32 // all of them
		notEOG   []int32
	}{
		{"ts5m", 1, 2, true, []int32{2}, []int32{0, 1, 3}},
		{"llama-spm", 1, 2, true, []int32{2}, []int32{0, 1}},
		{"phi-3", 1, 32000, true, []int32{32000, 32007}, []int32{1, 2, 32001, 32010}},
		{"gpt-2", 50256, 50256, false, []int32{50256}, []int32{0, 11}},
		{"deepseek-llm", 100000, 100001, true, []int32{100001}, []int32{100000}},
		{"falcon", 11, 11, false, []int32{11}, []int32{0, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.vocab, func(t *testing.T) {
			tok := loadVocab(t, tc.vocab)
			if tok.BOS() != tc.bos || tok.EOS() != tc.eos || tok.AddBOS() != tc.addBOS {
				t.Errorf("BOS %d EOS %d AddBOS %v, want %d %d %v", tok.BOS(), tok.EOS(), tok.AddBOS(), tc.bos, tc.eos, tc.addBOS)
			}
			for _, id := range tc.eog {
				if !tok.IsEOG(id) {
					t.Errorf("IsEOG(%d %q) = false", id, tok.TokenText(id))
				}
			}
			for _, id := range tc.notEOG {
				if tok.IsEOG(id) {
					t.Errorf("IsEOG(%d %q) = true", id, tok.TokenText(id))
				}
			}
			if len(tok.eog) != len(tc.eog) {
				t.Errorf("%d EOG tokens, want %d", len(tok.eog), len(tc.eog))
			}
		})
	}
}

func TestAddSpecial(t *testing.T) {
	tok := loadVocab(t, "ts5m")
	plain := tok.Encode("Once upon a time", false, false)
	if got := tok.Encode("Once upon a time", true, false); !slices.Equal(got, append([]int32{1}, plain...)) {
		t.Errorf("with BOS: %v, want 1 then %v", got, plain)
	}
	if got := tok.Encode("", true, false); !slices.Equal(got, []int32{1}) {
		t.Errorf(`Encode("", true) = %v, want [1]`, got)
	}
	if got := tok.Encode("", false, false); len(got) != 0 {
		t.Errorf(`Encode("", false) = %v, want []`, got)
	}
}

func TestParseSpecial(t *testing.T) {
	tok := loadVocab(t, "ts5m")
	hi := tok.Encode("Hi", false, false) // "▁Hi": the dummy prefix comes back after a special token
	want := append(append([]int32{1}, hi...), 2)
	if got := tok.Encode("<s>Hi</s>", false, true); !slices.Equal(got, want) {
		t.Errorf("parseSpecial: %v, want %v", got, want)
	}
	if got := tok.Encode("<s>Hi</s>", false, false); slices.Contains(got, 1) || slices.Contains(got, 2) {
		t.Errorf("without parseSpecial: %v has control tokens", got)
	}

	// Phi-3's special tokens eat the whitespace after them.
	phi := loadVocab(t, "phi-3")
	want = append([]int32{32010}, phi.Encode("Hi", false, false)...)
	if got := phi.Encode("<|user|>\n Hi", false, true); !slices.Equal(got, want) {
		t.Errorf("phi-3 <|user|>: %v, want %v", got, want)
	}
	// Its "</s>" is user-defined: cut out even without parseSpecial.
	want = slices.Concat(phi.Encode("a", false, false), []int32{2}, phi.Encode("b", false, false))
	if got := phi.Encode("a</s> b", false, false); !slices.Equal(got, want) {
		t.Errorf("phi-3 </s>: %v, want %v", got, want)
	}
}

func TestPieceAndDecode(t *testing.T) {
	ts5m := loadVocab(t, "ts5m")
	gpt2 := loadVocab(t, "gpt-2")
	tests := []struct {
		tok   *Tokenizer
		id    int32
		piece string
	}{
		{ts5m, 1, "<s>"},
		{ts5m, 3 + '\n', "\n"}, // <0x0A>
		{ts5m, 3 + 0xF0, "\xF0"},
		{ts5m, 392, " Once"},
		{ts5m, -1, ""},
		{ts5m, 2048, ""},
		{gpt2, 262, " the"},
		{gpt2, 50256, "<|endoftext|>"},
	}
	for _, tc := range tests {
		if got := string(tc.tok.Piece(tc.id)); got != tc.piece {
			t.Errorf("Piece(%d) = %q, want %q", tc.id, got, tc.piece)
		}
	}
	if got := ts5m.TokenText(392); got != "▁Once" {
		t.Errorf("TokenText(392) = %q", got)
	}
	if id, ok := ts5m.TokenID("▁Once"); !ok || id != 392 {
		t.Errorf("TokenID(▁Once) = %d, %v", id, ok)
	}

	// Decode drops control tokens; like llama.cpp it strips the dummy
	// prefix from the first token only, so after BOS the space stays.
	if got := ts5m.Decode([]int32{1, 392, 412, 261, 372, 2}); got != " Once upon a time" {
		t.Errorf("Decode with BOS = %q", got)
	}
	if got := ts5m.Decode([]int32{392, 412, -5, 99999, 261, 372}); got != "Once upon a time" {
		t.Errorf("Decode = %q", got)
	}
	if got := gpt2.Decode(gpt2.Encode(" Hello , world", false, false)); got != " Hello , world" {
		t.Errorf("gpt-2 Decode keeps spaces: %q", got)
	}
}

// streamTexts split characters over several tokens: byte fallback for
// emoji (SPM), byte-level tokens cutting UTF-8 sequences (BPE).
var streamTexts = []string{
	"🦙 llama 🦙🦙 done",
	"Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
	"🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅",
	"ស្វែងយល់ 中文 日本語 한국어 Ελληνικά",
}

func TestStreamDecoder(t *testing.T) {
	for _, name := range vocabs {
		t.Run(name, func(t *testing.T) {
			tok := loadVocab(t, name)
			held := false
			for _, text := range streamTexts {
				ids := tok.Encode(text, true, false)
				d := tok.NewStreamDecoder()
				var got strings.Builder
				for _, id := range ids {
					s := d.Next(id)
					if !utf8.ValidString(s) {
						t.Errorf("%q: Next(%d) = %q, not whole characters", text, id, s)
					}
					held = held || (s == "" && len(tok.Piece(id)) > 0)
					got.WriteString(s)
				}
				got.WriteString(d.Flush())
				if want := tok.Decode(ids); got.String() != want {
					t.Errorf("stream %q, Decode %q", got.String(), want)
				}
			}
			if !held {
				t.Error("no token was held back: the texts do not test buffering")
			}
		})
	}

	// An incomplete character waits for Flush.
	tok := loadVocab(t, "ts5m")
	d := tok.NewStreamDecoder()
	for _, b := range []byte("🦙")[:2] {
		if s := d.Next(3 + int32(b)); s != "" {
			t.Errorf("Next = %q, want nothing yet", s)
		}
	}
	if s := d.Flush(); s != "\xF0\x9F" {
		t.Errorf("Flush = %q", s)
	}
}

// TestSPMWordByWord checks that merging the text word by word (spm.go)
// gives what llama.cpp's merge of the whole text gives.
func TestSPMWordByWord(t *testing.T) {
	text, err := os.ReadFile(refdata.Path(t, "text/heldout-a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{string(text), "a  b   c\t\n  d ▁▁x ▁ ", "   ", "▁", "  \n\n  "}
	for _, v := range vocabVectors(t, "ts5m") {
		if v.Text != "" { // an empty text has no fragment to merge
			texts = append(texts, v.Text)
		}
	}
	for _, name := range []string{"ts5m", "llama-spm", "phi-3"} {
		tok := loadVocab(t, name)
		for _, text := range texts {
			s := spmSession{t: tok}
			s.merger.priority = s.score
			s.merger.merge([]byte(escapedSpace + strings.ReplaceAll(text, " ", escapedSpace)))
			var whole []int32
			for i := s.merger.first(); i >= 0; i = s.merger.symbols[i].next {
				whole = tok.appendPiece(s.merger.bytes(i), whole)
			}
			if got := tok.Encode(text, false, false); !slices.Equal(got, whole) {
				t.Errorf("%s %.40q: word by word %v, whole text %v", name, text, got, whole)
			}
		}
	}
}

// TestLongInputs guards against quadratic work on long runs.
func TestLongInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes long texts")
	}
	const n = 1 << 16
	inputs := []string{
		strings.Repeat(" ", n),
		strings.Repeat("a", n),
		strings.Repeat("\n \t", n/3),
		strings.Repeat("ab ", n/3),
		strings.Repeat("7", n),
		strings.Repeat("🦙", n/4),
	}
	for _, name := range []string{"ts5m", "gpt-2", "deepseek-llm", "falcon"} {
		tok := loadVocab(t, name)
		for _, in := range inputs {
			if got := tok.Decode(tok.Encode(in, false, false)); got != in {
				t.Errorf("%s: %.10q... does not round-trip", name, in)
			}
		}
	}
}

// writeGGUF writes a GGUF with the given metadata and no tensors.
func writeGGUF(t *testing.T, kv map[string]gguf.Value) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vocab.gguf")
	w, err := gguf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for key, v := range kv {
		if err := w.SetKV(key, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFromGGUFErrors(t *testing.T) {
	tokens := gguf.Array([]string{"a", "b", "ab"})
	tests := []struct {
		name string
		kv   map[string]gguf.Value
		want []string // in the error
	}{
		{"no model", map[string]gguf.Value{KeyTokens: tokens}, []string{KeyModel}},
		{"unknown model", map[string]gguf.Value{KeyModel: gguf.String("bert"), KeyTokens: tokens},
			[]string{`"bert"`, `"llama"`, `"gpt2"`}},
		{"unknown pre", map[string]gguf.Value{KeyModel: gguf.String("gpt2"), KeyPre: gguf.String("tekken"), KeyTokens: tokens},
			[]string{KeyPre, `"tekken"`, "llama-bpe", "qwen2"}},
		{"no tokens", map[string]gguf.Value{KeyModel: gguf.String("llama")}, []string{KeyTokens}},
		{"tokens not strings", map[string]gguf.Value{KeyModel: gguf.String("llama"), KeyTokens: gguf.Array([]int32{1})},
			[]string{KeyTokens}},
		{"no merges", map[string]gguf.Value{KeyModel: gguf.String("gpt2"), KeyTokens: tokens}, []string{KeyMerges}},
		{"scores type", map[string]gguf.Value{KeyModel: gguf.String("llama"), KeyTokens: tokens,
			KeyScores: gguf.Array([]string{"x", "y", "z"})}, []string{KeyScores}},
		{"short types", map[string]gguf.Value{KeyModel: gguf.String("llama"), KeyTokens: tokens,
			KeyTokenTypes: gguf.Array([]int32{1})}, []string{KeyTokenTypes}},
		{"duplicate token", map[string]gguf.Value{KeyModel: gguf.String("llama"),
			KeyTokens: gguf.Array([]string{"a", "a"})}, []string{KeyTokens, `"a"`}},
		{"add_bos without bos", map[string]gguf.Value{KeyModel: gguf.String("gpt2"), KeyTokens: tokens,
			KeyMerges: gguf.Array([]string{"a b"}), KeyAddBOS: gguf.Bool(true)}, []string{KeyAddBOS, KeyBOS}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := gguf.Open(writeGGUF(t, tc.kv))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = FromGGUF(f)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

// TestMinimalVocab builds tokenizers from the least metadata llama.cpp
// accepts and checks its defaults.
func TestMinimalVocab(t *testing.T) {
	bpe := loadFile(t, writeGGUF(t, map[string]gguf.Value{
		KeyModel:  gguf.String("gpt2"),
		KeyTokens: gguf.Array([]string{"a", "b", "ab", "Ġ", "Ġab"}),
		KeyMerges: gguf.Array([]string{"a b", "Ġ ab"}),
	}))
	// No pre-tokenizer: "default". Unknown bytes ('c') are dropped, as in llama.cpp.
	if got := bpe.Encode("ab abc", true, false); !slices.Equal(got, []int32{2, 4}) {
		t.Errorf("BPE Encode = %v", got)
	}
	if bpe.BOS() != -1 || bpe.EOS() != -1 || bpe.AddBOS() {
		t.Errorf("BPE defaults: BOS %d EOS %d AddBOS %v", bpe.BOS(), bpe.EOS(), bpe.AddBOS())
	}

	spm := loadFile(t, writeGGUF(t, map[string]gguf.Value{
		KeyModel:  gguf.String("llama"),
		KeyTokens: gguf.Array([]string{"<unk>", "<s>", "</s>", "▁", "a", "▁a"}),
	}))
	// No scores, types or byte tokens: every token is normal, and a
	// character without a token becomes <unk>.
	if got := spm.Encode("a b", true, false); !slices.Equal(got, []int32{1, 5, 3, 0}) {
		t.Errorf("SPM Encode = %v", got)
	}
	if spm.BOS() != 1 || spm.EOS() != 2 || !spm.AddBOS() {
		t.Errorf("SPM defaults: BOS %d EOS %d AddBOS %v", spm.BOS(), spm.EOS(), spm.AddBOS())
	}
}

// TestConcurrentUse encodes and decodes from several goroutines at once
// (run with -race).
func TestConcurrentUse(t *testing.T) {
	for _, name := range []string{"ts5m", "gpt-2"} {
		tok := loadVocab(t, name)
		vectors := vocabVectors(t, name)
		done := make(chan bool)
		for range 4 {
			go func() {
				defer func() { done <- true }()
				for _, v := range vectors {
					if got := tok.Encode(v.Text, false, false); !slices.Equal(got, v.IDs) {
						t.Errorf("%s %q: %v", name, v.Text, got)
					}
					tok.Decode(v.IDs)
				}
			}()
		}
		for range 4 {
			<-done
		}
	}
}
