package tokenizer

import (
	"os"
	"testing"

	"nibble/engine/refdata"
)

// BenchmarkEncode encodes the held-out TinyStories text (39.6 KB) whole, as
// the engine does for perplexity.
func BenchmarkEncode(b *testing.B) {
	text, err := os.ReadFile(refdata.Path(b, "text/heldout-a.txt"))
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"ts5m", "gpt-2"} {
		b.Run(name, func(b *testing.B) {
			tok := loadVocab(b, name)
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				tok.Encode(string(text), true, false)
			}
		})
	}
}
