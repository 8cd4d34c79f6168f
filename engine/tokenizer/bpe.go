package tokenizer

import "fmt"

// Byte-level BPE (tokenizer.ggml.model "gpt2"), as llama.cpp's
// llm_tokenizer_bpe_session: the pre-tokenizer cuts the text into words,
// each word's UTF-8 bytes are written as printable characters (GPT-2's
// byte↔unicode table), and merges by rank run inside each word.

// byteRunes is GPT-2's bytes_to_unicode table: printable Latin-1 bytes stand
// for themselves, the others (controls, space, 0x7F-0xA0, 0xAD) for U+0100
// onwards in byte order.
var byteRunes = func() (table [256]rune) {
	next := rune(256)
	for b := range table {
		if '!' <= b && b <= '~' || 0xA1 <= b && b <= 0xAC || 0xAE <= b && b <= 0xFF {
			table[b] = rune(b)
		} else {
			table[b] = next
			next++
		}
	}
	return table
}()

// byteChars holds the UTF-8 encoding of byteRunes[b].
var byteChars = func() (table [256]string) {
	for b, r := range byteRunes {
		table[b] = string(r)
	}
	return table
}()

// runeBytes inverts byteRunes; -1 for runes that stand for no byte.
var runeBytes = func() []int16 {
	table := make([]int16, 256+68)
	for i := range table {
		table[i] = -1
	}
	for b, r := range byteRunes {
		table[r] = int16(b)
	}
	return table
}()

// runeByte returns the byte GPT-2's table maps r from.
func runeByte(r rune) (byte, bool) {
	if r < 0 || int(r) >= len(runeBytes) || runeBytes[r] < 0 {
		return 0, false
	}
	return byte(runeBytes[r]), true
}

// decodeByteLevel turns the text of a byte-level token back into the bytes
// it stands for, like llama.cpp's llama_decode_text, including its marker
// for a character outside GPT-2's table.
func decodeByteLevel(text string) []byte {
	var out []byte
	for s := text; len(s) > 0; {
		r, n := decodeCodepoint(s)
		s = s[n:]
		if b, ok := runeByte(r); ok {
			out = append(out, b)
			continue
		}
		out = append(out, "[UNK_BYTE_0x"...)
		for _, b := range appendCodepoint(nil, r) {
			out = fmt.Appendf(out, "%02x", b)
		}
		out = append(out, text...)
		out = append(out, ']')
	}
	return out
}

// bpeSession is the scratch space of one Encode call.
type bpeSession struct {
	t       *Tokenizer
	cpts    []rune
	classes []charClass
	bytes   []byte // one word's UTF-8
	encoded []byte // the same, written with byteChars
	key     []byte // "left right", the key of Tokenizer.merges
	merger  merger
	memo    wordMemo
}

// encode appends the tokens of text, a fragment without special tokens.
func (s *bpeSession) encode(text string, out []int32) []int32 {
	if cap(s.cpts) < len(text) {
		s.cpts = make([]rune, 0, len(text))
		s.classes = make([]charClass, 0, len(text))
	}
	s.cpts = decodeCodepoints(text, s.cpts[:0])
	s.classes = s.classes[:0]
	for _, r := range s.cpts {
		s.classes = append(s.classes, classify(r))
	}
	all := word{s.cpts, s.classes}
	start := 0
	for _, n := range s.t.pre.split(all) {
		out = s.encodeWord(all.cpts[start:start+n], out)
		start += n
	}
	return out
}

// encodeWord appends the tokens of one pre-tokenized word.
func (s *bpeSession) encodeWord(cpts []rune, out []int32) []int32 {
	// llama.cpp rebuilds the word's UTF-8 from its code points, so each
	// malformed byte of the input is U+FFFD by now.
	s.bytes = s.bytes[:0]
	for _, r := range cpts {
		s.bytes = appendCodepoint(s.bytes, r)
	}
	if ids, ok := s.memo.lookup(s.bytes); ok {
		return append(out, ids...)
	}
	start := len(out)
	out = s.mergeWord(out)
	s.memo.store(s.bytes, out[start:])
	return out
}

// mergeWord appends the tokens of the word in s.bytes.
func (s *bpeSession) mergeWord(out []int32) []int32 {
	s.encoded = s.encoded[:0]
	for _, b := range s.bytes {
		s.encoded = append(s.encoded, byteChars[b]...)
	}
	t := s.t
	if id, ok := t.ids[string(s.encoded)]; ok && t.pre.ignoreMerges {
		return append(out, id)
	}
	s.merger.merge(s.encoded)
	for i := s.merger.first(); i >= 0; i = s.merger.symbols[i].next {
		out = t.appendPiece(s.merger.bytes(i), out)
	}
	return out
}

// rank is the merge priority of BPE: the earlier in tokenizer.ggml.merges,
// the sooner.
func (s *bpeSession) rank(pair []byte, split int) (float64, bool) {
	s.key = append(append(append(s.key[:0], pair[:split]...), ' '), pair[split:]...)
	r, ok := s.t.merges[string(s.key)]
	return -float64(r), ok
}
