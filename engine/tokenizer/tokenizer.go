package tokenizer

// Tokenizer converts between text and the token ids of one vocabulary.
// Build it with FromGGUF. It is immutable and safe for concurrent use.
type Tokenizer struct {
	spm    bool // SentencePiece-style; else byte-level BPE
	tokens []tokenData
	ids    map[string]int32 // token text → id, every token type included

	joinsSpace map[string]bool  // SPM: characters some token has before a ▁
	merges     map[string]int32 // BPE: "left right" → rank
	pre        preTokenizer     // BPE

	// byteIDs[b] is the token that spells byte b when a piece is no token:
	// SPM's byte fallback (<0xXX>); for BPE, llama.cpp's lookup of the byte
	// as a one-byte token. -1 if there is none.
	byteIDs [256]int32

	// specials are the tokens split out of the text before tokenizing
	// (control, user-defined and unknown ones), longest text first.
	specials []int32

	bos, eos, unk  int32 // -1 if the vocabulary has none
	addBOS, addEOS bool
	addSpacePrefix bool // SPM's dummy prefix; Decode drops it again
	eog            map[int32]bool
}

// tokenData is one vocabulary entry.
type tokenData struct {
	text  string
	score float32
	attr  tokenAttr
	piece string // what the token stands for, special tokens as their text
}

// tokenAttr holds llama.cpp's token attributes, a bit set: the GGUF token
// type, plus CONTROL on tokens llama.cpp recognizes as special by their
// text, and RSTRIP.
type tokenAttr uint16

const (
	attrUnknown tokenAttr = 1 << iota
	attrUnused
	attrNormal
	attrControl
	attrUserDefined
	attrByte
	attrRStrip // whitespace after the token's text belongs to it (Phi-3's special tokens)
)

// Encode returns the token ids of text. addSpecial adds BOS and EOS as the
// vocabulary asks (AddBOS). parseSpecial lets the texts of control tokens
// such as "<s>" or "<|im_end|>" in text stand for those tokens; without it
// they are tokenized as ordinary text. User-defined tokens are always
// recognized, as in llama.cpp.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int32 {
	out := make([]int32, 0, len(text)/4+2)
	if addSpecial && t.addBOS {
		out = append(out, t.bos)
	}
	fragments := t.splitSpecial(text, parseSpecial)
	if t.spm {
		s := spmSession{t: t}
		s.merger.priority = s.score
		// llama.cpp adds the dummy-prefix space to the text at the start and
		// after every special token.
		afterSpecial := true
		for _, f := range fragments {
			if f.token >= 0 {
				out = append(out, f.token)
				afterSpecial = true
				continue
			}
			out = s.encode(text[f.start:f.end], t.addSpacePrefix && afterSpecial, out)
			afterSpecial = false
		}
	} else {
		s := bpeSession{t: t}
		s.merger.priority = s.rank
		for _, f := range fragments {
			if f.token >= 0 {
				out = append(out, f.token)
				continue
			}
			out = s.encode(text[f.start:f.end], out)
		}
	}
	if addSpecial && t.addEOS {
		out = append(out, t.eos)
	}
	return out
}

// appendPiece appends the token for a merged piece, or if it is none the
// tokens of its bytes (byteIDs), as both of llama.cpp's sessions do.
func (t *Tokenizer) appendPiece(piece []byte, out []int32) []int32 {
	if id, ok := t.ids[string(piece)]; ok {
		return append(out, id)
	}
	for _, b := range piece {
		if id := t.byteIDs[b]; id >= 0 {
			out = append(out, id)
		}
	}
	return out
}

// VocabSize returns the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// BOS returns the beginning-of-sequence token, -1 if there is none.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence token, -1 if there is none.
func (t *Tokenizer) EOS() int32 { return t.eos }

// AddBOS reports whether Encode with addSpecial starts with BOS.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// IsEOG reports whether generation should stop at id: EOS, the end-of-turn
// and end-of-message tokens, and the other tokens llama.cpp treats so.
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// TokenText returns the vocabulary's text for id ("▁the", "<0x0A>",
// "Ġthe"), "" for an id outside the vocabulary.
func (t *Tokenizer) TokenText(id int32) string {
	if !t.valid(id) {
		return ""
	}
	return t.tokens[id].text
}

// TokenID returns the token whose vocabulary text is text.
func (t *Tokenizer) TokenID(text string) (int32, bool) {
	id, ok := t.ids[text]
	return id, ok
}

// Piece returns the bytes token id stands for: its text with ▁ as a space
// (SPM) or its bytes (byte-level BPE, byte tokens), and for control and
// other special tokens their text ("</s>"). It is llama.cpp's
// llama_token_to_piece with special=true. An id outside the vocabulary has
// no bytes.
func (t *Tokenizer) Piece(id int32) []byte {
	if !t.valid(id) {
		return nil
	}
	return []byte(t.tokens[id].piece)
}

func (t *Tokenizer) valid(id int32) bool { return id >= 0 && int(id) < len(t.tokens) }
