package hftokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"nibble/engine/gguf"
	"nibble/engine/tokenizer"
)

// This file is gguf-py's SpecialVocab (c392e50): which tokens are BOS, EOS,
// … and whether to add them, the BPE merges and the chat template. It reads
// tokenizer_config.json's "<type>_token" (a text, looked up among
// tokenizer.json's added tokens, so a folder without tokenizer.json gets no
// id this way) and then config.json's "<type>_token_id"; the first id found
// for a type wins. generation_config.json is not read: SpecialVocab of
// c392e50 does not.

// specialTypes are SpecialVocab's default token types, in its order.
var specialTypes = []string{"bos", "eos", "unk", "sep", "pad", "cls", "mask"}

// specialIDKeys are the GGUF keys gguf-py's writer has for a type's id; a type
// without one (cls, prefix, …) is skipped, as gguf-py does.
var specialIDKeys = map[string]string{
	"bos":  tokenizer.KeyBOS,
	"eos":  tokenizer.KeyEOS,
	"unk":  tokenizer.KeyUnknown,
	"sep":  "tokenizer.ggml.seperator_token_id", // sic, as in gguf-py and llama.cpp
	"pad":  "tokenizer.ggml.padding_token_id",
	"mask": "tokenizer.ggml.mask_token_id",
	"eot":  "tokenizer.ggml.eot_token_id",
}

// specialAddKeys are the GGUF keys for tokenizer_config.json's
// "add_<type>_token"; likewise only these two exist.
var specialAddKeys = map[string]string{"bos": tokenizer.KeyAddBOS, "eos": tokenizer.KeyAddEOS}

// specialVocab is what SpecialVocab found, in the order it found it (its
// dicts keep insertion order, and the GGUF keys follow it).
type specialVocab struct {
	ids    []typedValue[uint32]
	adds   []typedValue[bool]
	nVocab int // ids must be below it; 0: no limit
}

type typedValue[T any] struct {
	typ string
	v   T
}

// newSpecialVocab loads the special tokens of types from f's files; ids not
// below nVocab (when not 0) are skipped.
func newSpecialVocab(f *folder, types []string, nVocab int) (*specialVocab, error) {
	s := &specialVocab{nVocab: nVocab}
	for _, typ := range types {
		var add bool
		if err := json.Unmarshal(f.tokConfig["add_"+typ+"_token"], &add); err == nil {
			s.adds = append(s.adds, typedValue[bool]{typ, add})
		}
		text, ok := tokenText(f.tokConfig[typ+"_token"])
		if !ok || f.tok == nil {
			continue
		}
		for _, a := range f.tok.AddedTokens {
			if a.Content == text {
				if err := s.setID(typ, a.ID); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	for _, typ := range types {
		if id, ok := jsonInt(f.config[typ+"_token_id"]); ok {
			if err := s.setID(typ, id); err != nil {
				return nil, fmt.Errorf("config.json: %w", err)
			}
		}
	}
	return s, nil
}

// setID records id for typ unless typ already has one or id is not below
// nVocab (SpecialVocab._set_special_token).
func (s *specialVocab) setID(typ string, id int64) error {
	if id < 0 || id > math.MaxUint32 {
		return fmt.Errorf("invalid id for special token type %s: %d", typ, id)
	}
	if s.nVocab > 0 && id >= int64(s.nVocab) {
		return nil
	}
	for _, have := range s.ids {
		if have.typ == typ {
			return nil
		}
	}
	s.ids = append(s.ids, typedValue[uint32]{typ, uint32(id)})
	return nil
}

// addIDs writes the ids that have a GGUF key.
func (s *specialVocab) addIDs(m *meta) {
	for _, t := range s.ids {
		if key, ok := specialIDKeys[t.typ]; ok {
			m.set(key, gguf.Uint32(t.v))
		}
	}
}

// addTo writes what SpecialVocab.add_to_gguf writes after the merges: the
// ids, the add_*_token flags and the chat template of tokenizer_config.json.
func (s *specialVocab) addTo(m *meta, f *folder) {
	s.addIDs(m)
	for _, t := range s.adds {
		if key, ok := specialAddKeys[t.typ]; ok {
			m.set(key, gguf.Bool(t.v))
		}
	}
	addChatTemplate(m, f.tokConfig["chat_template"])
}

// addChatTemplate writes tokenizer_config.json's chat_template: a string, or
// a list of named templates (gguf-py's add_chat_template: "default" becomes
// tokenizer.chat_template, the others tokenizer.chat_template.<name> with
// their names in tokenizer.chat_templates). Any other type is ignored, as
// gguf-py does.
func addChatTemplate(m *meta, raw json.RawMessage) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		m.setString(tokenizer.KeyChatTemplate, text)
		return
	}
	var named []struct {
		Name     string  `json:"name"`
		Template *string `json:"template"`
	}
	if json.Unmarshal(raw, &named) != nil {
		return
	}
	var names []string
	var def *string
	for _, t := range named {
		name := strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				return r
			}
			return '_'
		}, t.Name)
		switch {
		case name == "" || t.Template == nil:
		case name == "default":
			def = t.Template
		default:
			m.setString(tokenizer.KeyChatTemplate+"."+name, *t.Template)
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		m.set("tokenizer.chat_templates", gguf.Array(names))
	}
	if def != nil {
		m.setString(tokenizer.KeyChatTemplate, *def)
	}
}

// tokenText is the text of a tokenizer_config.json "<type>_token" entry: a
// string or an object with a string "content".
func tokenText(raw json.RawMessage) (string, bool) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text, true
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != nil {
		return *obj.Content, true
	}
	return "", false
}

// jsonInt returns raw as an integer if it is a JSON integer (Python's int:
// 1.0 and lists are not).
func jsonInt(raw json.RawMessage) (int64, bool) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}
