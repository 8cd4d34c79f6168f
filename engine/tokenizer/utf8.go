package tokenizer

// llama.cpp reads and writes UTF-8 with its own small routines, which are
// more lenient than Go's: they check only the length bits and the
// continuation bytes, so overlong forms and surrogates decode to a code point
// (and encode back to the same bytes). Tokenization must see the same code
// points, so these mirror them instead of using unicode/utf8.

// utf8SeqLen is the length of the UTF-8 sequence a lead byte announces,
// judged by its high four bits only (llama.cpp's unicode_len_utf8): a stray
// continuation byte counts as a one-byte character.
func utf8SeqLen(lead byte) int {
	switch lead >> 4 {
	case 0xC, 0xD:
		return 2
	case 0xE:
		return 3
	case 0xF:
		return 4
	}
	return 1
}

// decodeCodepoint decodes the code point at the start of s (not empty) like
// llama.cpp's unicode_cpt_from_utf8. A malformed byte gives U+FFFD and size
// 1, as in llama.cpp's unicode_cpts_from_utf8. Sequences above U+10FFFF
// (lead bytes F4 90.. to F7) are malformed here; llama.cpp decodes them but
// then fails to encode them again, so no text with them tokenizes there.
func decodeCodepoint(s string) (r rune, size int) {
	const bad = 0xFFFD
	b0 := s[0]
	cont := func(i int) bool { return i < len(s) && s[i]&0xC0 == 0x80 }
	switch {
	case b0 < 0x80:
		return rune(b0), 1
	case b0&0x40 == 0:
		return bad, 1
	case b0&0x20 == 0:
		if !cont(1) {
			return bad, 1
		}
		return rune(b0&0x1F)<<6 | rune(s[1]&0x3F), 2
	case b0&0x10 == 0:
		if !cont(1) || !cont(2) {
			return bad, 1
		}
		return rune(b0&0x0F)<<12 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F), 3
	case b0&0x08 == 0:
		if !cont(1) || !cont(2) || !cont(3) {
			return bad, 1
		}
		r = rune(b0&0x07)<<18 | rune(s[1]&0x3F)<<12 | rune(s[2]&0x3F)<<6 | rune(s[3]&0x3F)
		if r > 0x10FFFF {
			return bad, 1
		}
		return r, 4
	}
	return bad, 1
}

// decodeCodepoints splits s into code points with decodeCodepoint.
func decodeCodepoints(s string, dst []rune) []rune {
	for len(s) > 0 {
		r, n := decodeCodepoint(s)
		dst = append(dst, r)
		s = s[n:]
	}
	return dst
}

// appendCodepoint appends the UTF-8 encoding of r (at most U+10FFFF) like
// llama.cpp's unicode_cpt_to_utf8: plain bit packing, surrogates included,
// where Go's utf8.AppendRune would write U+FFFD.
func appendCodepoint(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r < 0x800:
		return append(dst, 0xC0|byte(r>>6), 0x80|byte(r&0x3F))
	case r < 0x10000:
		return append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	}
	return append(dst, 0xF0|byte(r>>18), 0x80|byte(r>>12&0x3F), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
}
