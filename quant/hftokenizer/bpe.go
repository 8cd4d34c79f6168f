package hftokenizer

import (
	"encoding/json"
	"fmt"
	"strings"

	"nibble/engine/gguf"
	"nibble/engine/tokenizer"
)

// tokenizerJSON is the part of a Hugging Face tokenizer.json read here.
type tokenizerJSON struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       struct {
		Type string `json:"type"`
	} `json:"decoder"`
	Model struct {
		Type         string            `json:"type"`
		Vocab        json.RawMessage   `json:"vocab"` // an object for BPE
		Merges       []json.RawMessage `json:"merges"`
		ByteFallback bool              `json:"byte_fallback"`
	} `json:"model"`
}

// addedToken is one of tokenizer.json's added_tokens.
type addedToken struct {
	ID      int64  `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

// sentencePieceStyle reports whether t is a SentencePiece model saved as
// tokenizer.json (BPE with byte fallback), which the script converts with
// gguf-py's LlamaHfVocab rather than as byte-level BPE.
func (t *tokenizerJSON) sentencePieceStyle() bool {
	return t.Model.Type == "BPE" && t.Model.ByteFallback && t.Decoder.Type == "Sequence"
}

// bytePairs writes the byte-level BPE vocabulary of tokenizer.json as the
// script's _set_vocab_gpt2 does (get_vocab_base, get_vocab_base_pre, then
// SpecialVocab with merges).
//
// One shortcut: for an added token that is not "normalized" the script
// writes decode(encode(text)), which is the text itself for every byte-level
// BPE tokenizer, where added tokens are matched before the model runs and
// decoded back verbatim.
func (f *folder) bytePairs(m *meta) error {
	t := f.tok
	if t.Model.Type != "BPE" || t.Model.ByteFallback {
		return fmt.Errorf("tokenizer.json: model type %q (byte_fallback %v) is not byte-level BPE", t.Model.Type, t.Model.ByteFallback)
	}
	// The vocabulary as transformers' get_vocab sees it: the model's plus the
	// added tokens.
	var vocab map[string]int64
	if err := json.Unmarshal(t.Model.Vocab, &vocab); err != nil {
		return fmt.Errorf("tokenizer.json: model.vocab: %w", err)
	}
	added := map[int64]addedToken{}
	for _, a := range t.AddedTokens {
		vocab[a.Content] = a.ID
		added[a.ID] = a
	}
	n := f.cfg.VocabSize
	if n == 0 {
		n = len(vocab)
	}
	texts := make([]string, n)
	has := make([]bool, n)
	for text, id := range vocab {
		if id < 0 || id >= int64(n) {
			return fmt.Errorf("tokenizer.json: token %q has id %d, outside the vocabulary of %d", text, id, n)
		}
		if has[id] {
			return fmt.Errorf("tokenizer.json: tokens %q and %q have the same id %d", texts[id], text, id)
		}
		texts[id], has[id] = text, true
	}

	tokens := make([]string, n)
	types := make([]int32, n)
	for id := range n {
		a, isAdded := added[int64(id)]
		switch {
		case !has[id]:
			tokens[id], types[id] = padToken(id), tokenizer.TypeUnused
		case !isAdded || a.Content != texts[id]:
			tokens[id], types[id] = texts[id], tokenizer.TypeNormal
		case a.Special || looksSpecial(a.Content):
			tokens[id], types[id] = a.Content, tokenizer.TypeControl
		default:
			tokens[id], types[id] = strings.ReplaceAll(a.Content, "▁", " "), tokenizer.TypeUserDefined
		}
	}
	merges, err := t.merges()
	if err != nil {
		return err
	}
	pre, err := f.preTokenizer(tokens, types, merges)
	if err != nil {
		return err
	}

	m.set(tokenizer.KeyModel, gguf.String("gpt2"))
	m.set(tokenizer.KeyPre, gguf.String(pre))
	m.set(tokenizer.KeyTokens, gguf.Array(tokens))
	m.set(tokenizer.KeyTokenTypes, gguf.Array(types))
	if len(merges) > 0 {
		m.set(tokenizer.KeyMerges, gguf.Array(merges))
	}
	s, err := newSpecialVocab(f, specialTypes, 0)
	if err != nil {
		return err
	}
	s.addTo(m, f)
	return nil
}

// merges returns model.merges as "left right" strings. Newer files (from
// transformers 4.45) store ["left", "right"] pairs, whose parts may contain
// spaces; gguf-py writes such a space as U+0120 'Ġ' (the byte-level
// alphabet's space), as here.
func (t *tokenizerJSON) merges() ([]string, error) {
	merges := make([]string, len(t.Model.Merges))
	for i, raw := range t.Model.Merges {
		var pair []string
		if err := json.Unmarshal(raw, &merges[i]); err == nil {
			continue
		}
		if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("tokenizer.json: merge %d is neither \"a b\" nor [\"a\", \"b\"]: %.40s", i, raw)
		}
		merges[i] = strings.ReplaceAll(pair[0], " ", "Ġ") + " " + strings.ReplaceAll(pair[1], " ", "Ġ")
	}
	return merges, nil
}
