package tokenizer

import "strings"

// fragment is a part of the text being encoded: text[start:end] still to be
// tokenized, or a special token found in the text.
type fragment struct {
	start, end int
	token      int32 // -1 for text
}

// splitSpecial cuts text at the texts of special tokens, as llama.cpp's
// tokenizer_st_partition: each special token in turn, longest text first,
// is searched in the text fragments left by the ones before it. Without
// parseSpecial only user-defined tokens are cut out.
func (t *Tokenizer) splitSpecial(text string, parseSpecial bool) []fragment {
	if text == "" {
		return nil
	}
	fragments := []fragment{{start: 0, end: len(text), token: -1}}
	for _, id := range t.specials {
		tok := &t.tokens[id]
		if !parseSpecial && tok.attr&(attrControl|attrUnknown) != 0 {
			continue
		}
		if !strings.Contains(text, tok.text) {
			continue // cheap test first: the usual case for most special tokens
		}
		var next []fragment
		for _, f := range fragments {
			if f.token >= 0 {
				next = append(next, f)
				continue
			}
			next = cutAt(text, f, id, tok, next)
		}
		fragments = next
	}
	return fragments
}

// cutAt appends text fragment f cut at every occurrence of special token id.
func cutAt(text string, f fragment, id int32, tok *tokenData, dst []fragment) []fragment {
	for start := f.start; start < f.end; {
		i := strings.Index(text[start:f.end], tok.text)
		if i < 0 {
			return append(dst, fragment{start: start, end: f.end, token: -1})
		}
		if i > 0 {
			dst = append(dst, fragment{start: start, end: start + i, token: -1})
		}
		dst = append(dst, fragment{token: id})
		start += i + len(tok.text)
		if tok.attr&attrRStrip != 0 {
			for start < f.end && isCSpace(text[start]) {
				start++
			}
		}
	}
	return dst
}

// isCSpace is C's isspace, which llama.cpp uses to strip around special
// tokens.
func isCSpace(b byte) bool {
	return b == ' ' || '\t' <= b && b <= '\r'
}
