package tokenizer

import "unicode/utf8"

// Decode returns the text of ids, as llama.cpp's llama_detokenize with
// remove_special=false and unparse_special=false: control and unknown
// tokens add nothing, byte tokens their byte, and when the vocabulary adds a
// dummy-prefix space (SPM) the first token loses one leading space, so that
// Decode(Encode(s, false, false)) == s. Like llama.cpp, only the very first
// token is stripped: after a BOS the space stays.
//
// llama.cpp then also applies its clean_up_tokenization_spaces emulation
// for some BPE vocabularies (" ," → ","); Decode does not, since that loses
// spaces the text had (llama.cpp's own streaming output does not either).
func (t *Tokenizer) Decode(ids []int32) string {
	var out []byte
	for i, id := range ids {
		out = t.appendDecoded(out, id, i == 0)
	}
	return string(out)
}

// appendDecoded appends what Decode writes for id; first says whether it is
// the first token.
func (t *Tokenizer) appendDecoded(dst []byte, id int32, first bool) []byte {
	if !t.valid(id) {
		return dst
	}
	tok := &t.tokens[id]
	if tok.attr&(attrControl|attrUnknown) != 0 {
		return dst
	}
	piece := tok.piece
	if first && t.addSpacePrefix && len(piece) > 0 && piece[0] == ' ' {
		piece = piece[1:]
	}
	return append(dst, piece...)
}

// StreamDecoder decodes tokens as they are generated. Its output, the
// strings returned by Next and Flush in order, is exactly Decode of all the
// ids it was given, but Next returns only whole UTF-8 characters: the bytes
// of a character split over several tokens (byte tokens of an emoji, say)
// wait until the character is complete.
//
// Like Decode, the decoder strips the dummy-prefix space of the first token
// (SPM vocabularies). That suits a chat reply; to continue a text instead,
// first feed the decoder the prompt's ids and discard what it returns.
//
// A StreamDecoder is not safe for concurrent use.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte // decoded bytes not returned yet
	started bool
}

// NewStreamDecoder returns a decoder at the start of a text.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{t: t}
}

// Next adds token id and returns the text that is complete now, often ""
// while a character is still incomplete.
func (d *StreamDecoder) Next(id int32) string {
	d.pending = d.t.appendDecoded(d.pending, id, !d.started)
	d.started = true
	n := completeUTF8(d.pending)
	out := string(d.pending[:n])
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns the bytes held back, at the end of the text: the start of
// a character that will not be completed (not valid UTF-8 on its own).
func (d *StreamDecoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completeUTF8 returns the length of the longest prefix of b that does not
// end inside a UTF-8 character that more bytes could still complete. Bytes
// that can never be part of a valid character do not wait.
func completeUTF8(b []byte) int {
	// A character is at most utf8.UTFMax bytes: its start is among the last
	// three bytes if it is incomplete.
	for i := len(b) - 1; i >= 0 && i >= len(b)-(utf8.UTFMax-1); i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}
