package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncodeDecode checks on the ts5m vocabulary that any text encodes
// without panicking, and that valid UTF-8 decodes back to itself. Texts
// with ▁ are only encoded: SentencePiece cannot tell it from an escaped
// space. So is malformed UTF-8: llama.cpp cuts the text into characters by
// their lead bytes, so a stray lead byte can swallow part of the ▁ of the
// next space, which then decodes as bytes of ▁.
func FuzzEncodeDecode(f *testing.F) {
	tok := loadVocab(f, "ts5m")
	for _, v := range vocabVectors(f, "ts5m") {
		f.Add(v.Text)
	}
	f.Add("\xF0\x9F\xA6")
	f.Add("<s> </s> <unk>")
	f.Fuzz(func(t *testing.T, text string) {
		ids := tok.Encode(text, false, false)
		tok.Encode(text, true, true)
		if strings.Contains(text, escapedSpace) || !utf8.ValidString(text) {
			return
		}
		if got := tok.Decode(ids); got != text {
			t.Errorf("Decode(Encode(%q)) = %q (ids %v)", text, got, ids)
		}
	})
}
