package hftokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"nibble/engine/gguf"
	"nibble/engine/tokenizer"
)

// sentencePiece writes the vocabulary of the tokenizer.model at path as the
// script's _set_vocab_sentencepiece does.
func (f *folder) sentencePiece(m *meta, path string) error {
	pieces, err := readSentencePiece(path)
	if err != nil {
		return err
	}
	n := f.cfg.VocabSize
	if n == 0 {
		n = len(pieces)
	}
	if len(pieces) > n {
		return fmt.Errorf("tokenizer.model has %d pieces, more than config.json's vocab_size %d", len(pieces), n)
	}
	tokens := make([]string, n)
	scores := make([]float32, n)
	types := make([]int32, n)
	for id := range n {
		tokens[id], scores[id], types[id] = padToken(id), -10000, tokenizer.TypeUnused
	}
	for id, p := range pieces {
		tokens[id], scores[id] = p.text, p.score
		switch p.typ {
		case tokenizer.TypeUnknown, tokenizer.TypeControl, tokenizer.TypeUnused, tokenizer.TypeByte:
			types[id] = p.typ
		default: // the script has no case for USER_DEFINED pieces
			types[id] = tokenizer.TypeNormal
		}
	}
	if err := f.addedTokensJSON(tokens, scores, types); err != nil {
		return err
	}
	if err := f.addedTokensDecoder(tokens, scores, types); err != nil {
		return err
	}

	m.set(tokenizer.KeyModel, gguf.String("llama"))
	m.set(tokenizer.KeyPre, gguf.String("default"))
	m.set(tokenizer.KeyTokens, gguf.Array(tokens))
	m.set(tokenizer.KeyScores, gguf.Array(scores))
	m.set(tokenizer.KeyTokenTypes, gguf.Array(types))
	s, err := newSpecialVocab(f, specialTypes, n)
	if err != nil {
		return err
	}
	s.addTo(m, f)
	return nil
}

// addedTokensJSON applies added_tokens.json ({"text": id, …}): user-defined
// tokens with score -1000; ids past the vocabulary are ignored.
func (f *folder) addedTokensJSON(tokens []string, scores []float32, types []int32) error {
	var raw json.RawMessage
	found, err := readJSON(f.dir, "added_tokens.json", &raw)
	if err != nil || !found {
		return err
	}
	added, err := textIDs(raw)
	if err != nil {
		return fmt.Errorf("added_tokens.json: %w", err)
	}
	for _, a := range added {
		if a.id < 0 || a.id >= int64(len(tokens)) {
			continue
		}
		tokens[a.id], scores[a.id], types[a.id] = a.text, -1000, tokenizer.TypeUserDefined
	}
	return nil
}

// textID is one entry of a {"text": id, …} object.
type textID struct {
	text string
	id   int64
}

// textIDs decodes a {"text": id, …} object in file order, so that, as in
// Python, the last of two texts with one id wins.
func textIDs(data []byte) ([]textID, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var entries []textID
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		e := textID{text: t.(string)}
		if err := d.Decode(&e.id); err != nil {
			return nil, fmt.Errorf("%q: %w", e.text, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// addedTokensDecoder applies tokenizer_config.json's added_tokens_decoder
// ({"id": {"content": …, "special": …}, …}): special tokens (or ones that
// look special) become control tokens, the others user-defined with their
// ▁ turned back into spaces; all get score -1000.
func (f *folder) addedTokensDecoder(tokens []string, scores []float32, types []int32) error {
	raw, ok := f.tokConfig["added_tokens_decoder"]
	if !ok {
		return nil
	}
	var decoder map[string]struct {
		Content *string `json:"content"`
		Special bool    `json:"special"`
	}
	if err := json.Unmarshal(raw, &decoder); err != nil {
		return fmt.Errorf("tokenizer_config.json: added_tokens_decoder: %w", err)
	}
	keys := make([]string, 0, len(decoder))
	for key := range decoder {
		keys = append(keys, key)
	}
	slices.Sort(keys) // deterministic; the ids are distinct anyway
	for _, key := range keys {
		d := decoder[key]
		id, err := strconv.Atoi(key)
		if err != nil || id < 0 || id >= len(tokens) || d.Content == nil {
			return fmt.Errorf("tokenizer_config.json: added_tokens_decoder: bad entry %q (vocabulary size %d)", key, len(tokens))
		}
		text := *d.Content
		if d.Special || looksSpecial(text) {
			types[id] = tokenizer.TypeControl
		} else {
			text = strings.ReplaceAll(text, "▁", " ")
			types[id] = tokenizer.TypeUserDefined
		}
		tokens[id], scores[id] = text, -1000
	}
	return nil
}
