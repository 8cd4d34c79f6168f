package tokenizer

import (
	"bytes"
	"strings"
)

// SentencePiece-style tokenization (tokenizer.ggml.model "llama"), as
// llama.cpp's llm_tokenizer_spm_session: spaces are written as ▁, adjacent
// pieces merge while their concatenation is a token (highest score first),
// and whatever is not a token in the end is spelled with byte tokens.

// escapedSpace is SentencePiece's visible space, U+2581 "▁".
const escapedSpace = "\u2581"

// spmSession is the scratch space of one Encode call.
type spmSession struct {
	t      *Tokenizer
	text   []byte
	merger merger
	memo   wordMemo
}

// encode appends the tokens of text, a fragment without special tokens.
// prefixSpace adds the dummy-prefix space.
func (s *spmSession) encode(text string, prefixSpace bool, out []int32) []int32 {
	s.text = s.text[:0]
	if prefixSpace {
		s.text = append(s.text, escapedSpace...)
	}
	for i := 0; i < len(text); i++ {
		if text[i] == ' ' {
			s.text = append(s.text, escapedSpace...)
		} else {
			s.text = append(s.text, text[i])
		}
	}
	// llama.cpp merges the whole text at once. Merging it word by word gives
	// the same tokens with a far smaller queue: every merged piece is a
	// token, so the characters on both sides of a ▁ can only end up in one
	// piece if some token has the first one followed by ▁ (joinsSpace).
	start := 0
	for i := 0; i < len(s.text); {
		next := i + min(utf8SeqLen(s.text[i]), len(s.text)-i)
		if bytes.HasPrefix(s.text[next:], []byte(escapedSpace)) && !s.t.joinsSpace[string(s.text[i:next])] {
			out = s.encodeWord(s.text[start:next], out)
			start = next
		}
		i = next
	}
	return s.encodeWord(s.text[start:], out)
}

// encodeWord appends the tokens of part of the escaped text.
func (s *spmSession) encodeWord(text []byte, out []int32) []int32 {
	if ids, ok := s.memo.lookup(text); ok {
		return append(out, ids...)
	}
	start := len(out)
	s.merger.merge(text)
	for i := s.merger.first(); i >= 0; i = s.merger.symbols[i].next {
		out = s.t.appendPiece(s.merger.bytes(i), out)
	}
	s.memo.store(text, out[start:])
	return out
}

// spaceJoiners returns the characters that some token has right before a ▁
// (Tokenizer.joinsSpace), e.g. ▁ itself in "▁▁".
func spaceJoiners(tokens []tokenData) map[string]bool {
	joiners := map[string]bool{}
	for _, tok := range tokens {
		text := tok.text
		for i := 0; i < len(text); {
			next := i + min(utf8SeqLen(text[i]), len(text)-i)
			if strings.HasPrefix(text[next:], escapedSpace) {
				joiners[text[i:next]] = true
			}
			i = next
		}
	}
	return joiners
}

// score is the merge priority of SentencePiece: two pieces merge when their
// concatenation is a token, the one with the highest score first.
func (s *spmSession) score(pair []byte, _ int) (float64, bool) {
	id, ok := s.t.ids[string(pair)]
	if !ok {
		return 0, false
	}
	return float64(s.t.tokens[id].score), true
}
