package tokenizer

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"nibble/engine/gguf"
)

// GGUF metadata keys of the tokenizer (llama.cpp's LLM_KV_TOKENIZER_*),
// read here and written by the converters (quant/hftokenizer).
const (
	KeyModel          = "tokenizer.ggml.model"
	KeyPre            = "tokenizer.ggml.pre"
	KeyTokens         = "tokenizer.ggml.tokens"
	KeyScores         = "tokenizer.ggml.scores"
	KeyTokenTypes     = "tokenizer.ggml.token_type"
	KeyMerges         = "tokenizer.ggml.merges"
	KeyAddSpacePrefix = "tokenizer.ggml.add_space_prefix"
	KeyAddBOS         = "tokenizer.ggml.add_bos_token"
	KeyAddEOS         = "tokenizer.ggml.add_eos_token"
	KeyBOS            = "tokenizer.ggml.bos_token_id"
	KeyEOS            = "tokenizer.ggml.eos_token_id"
	KeyUnknown        = "tokenizer.ggml.unknown_token_id"
	KeyChatTemplate   = "tokenizer.chat_template"
	keyName           = "general.name"
)

// GGUF token types (tokenizer.ggml.token_type, gguf-py's TokenType).
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// GGUF token types (tokenizer.ggml.token_type) and their attributes.
var tokenTypeAttrs = map[int32]tokenAttr{
	TypeNormal:      attrNormal,
	TypeUnknown:     attrUnknown,
	TypeControl:     attrControl,
	TypeUserDefined: attrUserDefined,
	TypeUnused:      attrUnused,
	TypeByte:        attrByte,
}

// specialRole is a special token llama.cpp finds by metadata key or, when
// the keys are absent, by its text. A token found by its text becomes a
// control token.
type specialRole struct {
	keys  []string // a later key overrides an earlier one
	texts []string
	eog   bool // ends generation
}

// specialRoles are llama.cpp's (c392e50) end-of-turn, end-of-message and
// fill-in-the-middle tokens.
var specialRoles = []specialRole{
	{keys: []string{"tokenizer.ggml.eot_token_id"}, eog: true, texts: []string{
		"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
		"<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>"}},
	{keys: []string{"tokenizer.ggml.eom_token_id"}, eog: true, texts: []string{"<|eom_id|>"}},
	{keys: []string{"tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id"}, texts: []string{
		"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>"}},
	{keys: []string{"tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id"}, texts: []string{
		"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>"}},
	{keys: []string{"tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id"}, texts: []string{
		"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>"}},
	{keys: []string{"tokenizer.ggml.fim_pad_token_id"}, eog: true, texts: []string{
		"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"}},
	{keys: []string{"tokenizer.ggml.fim_rep_token_id"}, eog: true, texts: []string{
		"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}},
	{keys: []string{"tokenizer.ggml.fim_sep_token_id"}, eog: true, texts: []string{"<|file_sep|>"}},
}

// eogTexts are the texts llama.cpp makes end-of-generation tokens whatever
// the metadata says.
var eogTexts = []string{
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
	"<|eom_id|>", "<EOT>", "_<EOT>",
}

// FromGGUF builds the tokenizer described by f's tokenizer.ggml.* metadata,
// with llama.cpp's defaults for what is absent. It returns an error naming
// the key when required metadata is missing or malformed, and one listing
// the supported values for an unknown tokenizer.ggml.model or
// tokenizer.ggml.pre.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	t, err := load(f)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	return t, nil
}

func load(f *gguf.File) (*Tokenizer, error) {
	model, ok := f.String(KeyModel)
	if !ok {
		return nil, missing(KeyModel)
	}
	t := &Tokenizer{eog: map[int32]bool{}}
	var bos, eos, unk int32 // llama.cpp's defaults per model type
	switch model {
	case "llama":
		t.spm = true
		bos, eos, unk = 1, 2, 0
		t.addSpacePrefix, t.addBOS = true, true
	case "gpt2":
		bos, eos, unk = 11, 11, -1
		pre, _ := f.String(KeyPre)
		p, err := lookupPreTokenizer(pre)
		if err != nil {
			return nil, err
		}
		t.pre, t.addBOS = p, p.addBOS
	default:
		return nil, fmt.Errorf("unsupported %s %q (supported: \"llama\" (SentencePiece), \"gpt2\" (byte-level BPE))", KeyModel, model)
	}
	if v, ok := f.Bool(KeyAddSpacePrefix); ok {
		t.addSpacePrefix = v
	}
	if err := t.loadTokens(f); err != nil {
		return nil, err
	}
	if t.spm {
		t.joinsSpace = spaceJoiners(t.tokens)
	} else if err := t.loadMerges(f); err != nil {
		return nil, err
	}

	t.bos = t.tokenID(f, bos, KeyBOS)
	t.eos = t.tokenID(f, eos, KeyEOS)
	t.unk = t.tokenID(f, unk, KeyUnknown)
	if v, ok := f.Bool(KeyAddBOS); ok {
		t.addBOS = v
	}
	if v, ok := f.Bool(KeyAddEOS); ok {
		t.addEOS = v
	}
	if t.addBOS && t.bos < 0 {
		return nil, fmt.Errorf("%s is true but %s is not set", KeyAddBOS, KeyBOS)
	}
	if t.addEOS && t.eos < 0 {
		return nil, fmt.Errorf("%s is true but %s is not set", KeyAddEOS, KeyEOS)
	}

	t.findSpecialRoles(f)
	t.findSpecials(f)
	for b := range t.byteIDs {
		t.byteIDs[b] = t.byteToken(byte(b))
	}
	for i := range t.tokens {
		t.tokens[i].piece = t.pieceOf(&t.tokens[i])
	}
	return t, nil
}

func missing(key string) error { return fmt.Errorf("missing metadata %s", key) }

// loadTokens reads the token texts, scores and types.
func (t *Tokenizer) loadTokens(f *gguf.File) error {
	texts, ok := f.Strings(KeyTokens)
	if !ok {
		if _, present := f.Get(KeyTokens); present {
			return fmt.Errorf("%s is not an array of strings", KeyTokens)
		}
		return missing(KeyTokens)
	}
	n := len(texts)
	var scores []float32
	if v, ok := f.Get(KeyScores); ok {
		switch s := v.V.(type) {
		case []float32:
			scores = s
		case []int32: // llama.cpp accepts integer scores too
			scores = make([]float32, len(s))
			for i, x := range s {
				scores[i] = float32(x)
			}
		default:
			return fmt.Errorf("%s is not an array of float32", KeyScores)
		}
		if len(scores) < n {
			return fmt.Errorf("%s has %d entries for %d tokens", KeyScores, len(scores), n)
		}
	}
	var types []int32
	if v, ok := f.Get(KeyTokenTypes); ok {
		if types, ok = v.V.([]int32); !ok {
			return fmt.Errorf("%s is not an array of int32", KeyTokenTypes)
		}
		if len(types) < n {
			return fmt.Errorf("%s has %d entries for %d tokens", KeyTokenTypes, len(types), n)
		}
	}

	t.tokens = make([]tokenData, n)
	t.ids = make(map[string]int32, n)
	for i, text := range texts {
		if text == "" {
			text = "[EMPTY_" + strconv.Itoa(i) + "]" // as llama.cpp names an empty token
		}
		if j, dup := t.ids[text]; dup {
			return fmt.Errorf("%s: token %q has ids %d and %d", KeyTokens, text, j, i)
		}
		t.ids[text] = int32(i)
		tok := &t.tokens[i]
		tok.text = text
		tok.attr = attrNormal
		if scores != nil {
			tok.score = scores[i]
		}
		if types != nil {
			tok.attr = tokenTypeAttrs[types[i]] // 0 for undefined types: decoded as nothing
		}
	}
	return nil
}

// loadMerges reads the BPE merges, "left right" in rank order. Like
// llama.cpp, the first space after the first byte separates the two, and a
// repeated merge keeps its first rank.
func (t *Tokenizer) loadMerges(f *gguf.File) error {
	merges, ok := f.Strings(KeyMerges)
	if !ok {
		return missing(KeyMerges)
	}
	t.merges = make(map[string]int32, len(merges))
	for rank, m := range merges {
		if len(m) < 2 || !strings.Contains(m[1:], " ") {
			continue
		}
		if _, dup := t.merges[m]; !dup {
			t.merges[m] = int32(rank)
		}
	}
	return nil
}

// tokenID reads a special token id: def (-1 for none) unless key holds an id
// in the vocabulary. Like llama.cpp, an id outside the vocabulary is
// ignored, and so is a default outside it.
func (t *Tokenizer) tokenID(f *gguf.File, def int32, key string) int32 {
	if !t.valid(def) {
		def = -1
	}
	if v, ok := f.Uint(key); ok && v < uint64(len(t.tokens)) {
		return int32(v)
	}
	return def
}

// findSpecialRoles finds the end-of-generation tokens and the special tokens
// llama.cpp recognizes by their text, marking those control tokens.
func (t *Tokenizer) findSpecialRoles(f *gguf.File) {
	for _, role := range specialRoles {
		id := int32(-1)
		for _, key := range role.keys {
			id = t.tokenID(f, id, key)
		}
		if id < 0 {
			// llama.cpp takes the first match in hash-map order; with
			// several candidates (rare) this takes the lowest id.
			for _, text := range role.texts {
				if c, ok := t.ids[text]; ok && (id < 0 || c < id) {
					id = c
				}
			}
			if id >= 0 {
				t.tokens[id].attr |= attrControl
			}
		}
		if id >= 0 && role.eog {
			t.eog[id] = true
		}
	}
	for _, text := range eogTexts {
		if id, ok := t.ids[text]; ok {
			t.eog[id] = true
			t.tokens[id].attr |= attrControl
		}
	}
	if t.eos >= 0 {
		t.eog[t.eos] = true
	}
}

// findSpecials lists the tokens splitSpecial cuts out of text, and applies
// llama.cpp's per-model special token attributes.
func (t *Tokenizer) findSpecials(f *gguf.File) {
	for id, tok := range t.tokens {
		if tok.attr&(attrControl|attrUserDefined|attrUnknown) != 0 {
			t.specials = append(t.specials, int32(id))
		}
	}
	slices.SortStableFunc(t.specials, func(a, b int32) int {
		return cmp.Compare(len(t.tokens[b].text), len(t.tokens[a].text))
	})

	// Phi-3 (recognized by its name, like llama.cpp does) eats the
	// whitespace after its special tokens, except after <unk>, <s> and
	// <|endoftext|>.
	name, _ := f.String(keyName)
	name = strings.ToLower(name)
	if strings.Contains(name, "phi-3") || strings.Contains(name, "phi3") {
		for _, id := range t.specials {
			t.tokens[id].attr |= attrRStrip
		}
		t.setAttr("</s>", attrRStrip, true)
		for _, text := range []string{"<unk>", "<s>", "<|endoftext|>"} {
			t.setAttr(text, attrRStrip, false)
		}
	}
}

// setAttr sets or clears attr on the token with the given text, if any.
func (t *Tokenizer) setAttr(text string, attr tokenAttr, on bool) {
	id, ok := t.ids[text]
	if !ok {
		return
	}
	if on {
		t.tokens[id].attr |= attr
	} else {
		t.tokens[id].attr &^= attr
	}
}

// byteToken is byteIDs[b]. For SPM it is llama.cpp's byte_to_token:
// "<0xXX>", else the byte itself as a one-character token; without either
// llama.cpp fails to tokenize, here the byte becomes the unknown token (or
// nothing if there is none). For BPE it is the byte as a one-byte token.
func (t *Tokenizer) byteToken(b byte) int32 {
	const hex = "0123456789ABCDEF"
	if t.spm {
		if id, ok := t.ids[string([]byte{'<', '0', 'x', hex[b>>4], hex[b&15], '>'})]; ok {
			return id
		}
	}
	if id, ok := t.ids[string([]byte{b})]; ok {
		return id
	}
	if t.spm {
		return t.unk
	}
	return -1
}

// pieceOf is what tok stands for: llama.cpp's token_to_piece with
// special=true (the piece cache llama.cpp builds at load).
func (t *Tokenizer) pieceOf(tok *tokenData) string {
	switch {
	case tok.attr&(attrControl|attrUnknown|attrUserDefined) != 0:
		return tok.text
	case tok.attr&attrNormal != 0:
		if t.spm {
			return strings.ReplaceAll(tok.text, escapedSpace, " ")
		}
		return string(decodeByteLevel(tok.text))
	case tok.attr&attrByte != 0:
		return string([]byte{byteTokenValue(tok.text)})
	}
	return "" // unused and undefined tokens stand for nothing
}

// byteTokenValue is the byte a byte token such as "<0x0A>" stands for: the
// hex digits at its positions 3 and 4, read like C's strtol would.
func byteTokenValue(text string) byte {
	var v byte
	for i := 3; i < 5 && i < len(text); i++ {
		d, err := strconv.ParseUint(text[i:i+1], 16, 8)
		if err != nil {
			break
		}
		v = v<<4 | byte(d)
	}
	return v
}
