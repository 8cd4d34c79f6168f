package hftokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"nibble/engine/gguf"
	"nibble/engine/tokenizer"
)

// vocabStyle is which set_vocab of convert_hf_to_gguf.py a model class uses.
type vocabStyle int

const (
	// styleLlama is LlamaModel.set_vocab: SentencePiece, else a
	// SentencePiece-style tokenizer.json (not supported here), else
	// byte-level BPE; then the CodeLlama, add_prefix_space and small-Granite
	// extras.
	styleLlama vocabStyle = iota
	// styleQwen2 is Qwen2Model.set_vocab: SentencePiece, else byte-level BPE.
	styleQwen2
)

// vocabStyles maps the model classes the script (c392e50) registers for
// LlamaModel and Qwen2Model to their set_vocab. Qwen3 is newer than c392e50;
// the script's later Qwen3Model inherits Qwen2Model's set_vocab.
var vocabStyles = map[string]vocabStyle{
	"LLaMAForCausalLM":   styleLlama,
	"LlamaForCausalLM":   styleLlama,
	"MistralForCausalLM": styleLlama,
	"MixtralForCausalLM": styleLlama,
	"Qwen2ForCausalLM":   styleQwen2,
	"Qwen3ForCausalLM":   styleQwen2,
}

// Metadata returns the tokenizer metadata of the Hugging Face model folder
// dir, in the order convert_hf_to_gguf.py writes it: tokenizer.ggml.model,
// pre, tokens, scores (SentencePiece only), token_type, merges (BPE only),
// the special token ids, add_bos_token/add_eos_token, tokenizer.chat_template
// and, for Llama-style models whose tokenizer_config.json says so,
// add_space_prefix. The Values' slices are new and owned by the caller.
//
// It reads tokenizer.model or tokenizer.json, and tokenizer_config.json,
// added_tokens.json and config.json when present. An unsupported
// architecture, a missing tokenizer or a pre-tokenizer llama.cpp would not
// recognize is an error that names it.
func Metadata(dir string, cfg Config) ([]gguf.KV, error) {
	style, ok := vocabStyles[cfg.Arch]
	if !ok {
		names := make([]string, 0, len(vocabStyles))
		for name := range vocabStyles {
			names = append(names, name)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("tokenizer: unsupported architecture %q (supported: %s)", cfg.Arch, strings.Join(names, ", "))
	}
	f, err := readFolder(dir, cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var m meta
	spm := filepath.Join(dir, "tokenizer.model")
	_, statErr := os.Stat(spm)
	switch {
	case statErr == nil:
		err = f.sentencePiece(&m, spm)
	case !errors.Is(statErr, fs.ErrNotExist):
		err = statErr
	case f.tok == nil:
		err = fmt.Errorf("%s has neither tokenizer.model nor tokenizer.json", dir)
	case style == styleLlama && f.tok.sentencePieceStyle():
		err = errors.New("tokenizer.json holds a SentencePiece-style (byte_fallback) tokenizer and there is no tokenizer.model: not supported, add the model's tokenizer.model")
	default:
		err = f.bytePairs(&m)
	}
	if err == nil && style == styleLlama {
		err = f.llamaExtras(&m)
	}
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return m, nil
}

// llamaExtras adds what LlamaModel.set_vocab writes after the vocabulary.
func (f *folder) llamaExtras(m *meta) error {
	// CodeLlama (vocab_size 32016) has infill tokens the script sets by id;
	// gguf-py has a key only for eot of the four.
	if f.cfg.VocabSize == 32016 {
		s, err := newSpecialVocab(f, []string{"prefix", "suffix", "middle", "eot"}, 0)
		if err != nil {
			return err
		}
		if err := s.setID("eot", 32010); err != nil {
			return err
		}
		s.addIDs(m)
	}
	// add_prefix_space: null is written as false (gguf-py packs None as a
	// false bool), which turns off SentencePiece's dummy prefix.
	if raw, ok := f.tokConfig["add_prefix_space"]; ok {
		var v *bool
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("tokenizer_config.json: add_prefix_space: %w", err)
		}
		m.set(tokenizer.KeyAddSpacePrefix, gguf.Bool(v != nil && *v))
	}
	// Small Granite-style vocabularies (49152, also SmolLM's) start without BOS.
	if f.cfg.VocabSize == 49152 {
		m.set(tokenizer.KeyAddBOS, gguf.Bool(false))
	}
	return nil
}

// meta is metadata being built, in order.
type meta []gguf.KV

// set sets key to v: a new key is appended, an existing one keeps its place.
func (m *meta) set(key string, v gguf.Value) {
	for i := range *m {
		if (*m)[i].Key == key {
			(*m)[i].Value = v
			return
		}
	}
	*m = append(*m, gguf.KV{Key: key, Value: v})
}

// setString sets a string, skipping an empty one as gguf-py's add_string does.
func (m *meta) setString(key, s string) {
	if s != "" {
		m.set(key, gguf.String(s))
	}
}

// folder holds the parsed tokenizer files of a model folder.
type folder struct {
	dir       string
	cfg       Config
	tokConfig map[string]json.RawMessage // tokenizer_config.json; nil when absent
	config    map[string]json.RawMessage // config.json; nil when absent
	tok       *tokenizerJSON             // tokenizer.json; nil when absent
}

func readFolder(dir string, cfg Config) (*folder, error) {
	f := &folder{dir: dir, cfg: cfg}
	if _, err := readJSON(dir, "tokenizer_config.json", &f.tokConfig); err != nil {
		return nil, err
	}
	if _, err := readJSON(dir, "config.json", &f.config); err != nil {
		return nil, err
	}
	var tok tokenizerJSON
	found, err := readJSON(dir, "tokenizer.json", &tok)
	if err != nil {
		return nil, err
	}
	if found {
		f.tok = &tok
	}
	return f, nil
}

// readJSON decodes dir/name into v. A missing file is not an error: it
// returns false.
func readJSON(dir, name string, v any) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	return true, nil
}

// looksSpecial is the script's does_token_look_special: added tokens some
// models forget to mark special but that ought to be control tokens.
func looksSpecial(text string) bool {
	switch text {
	case "<pad>", "<mask>", "<2mass>", "[@BOS@]":
		return true
	}
	return strings.HasPrefix(text, "<|") && strings.HasSuffix(text, "|>") ||
		strings.HasPrefix(text, "<｜") && strings.HasSuffix(text, "｜>") ||
		strings.HasPrefix(text, "<unused") && strings.HasSuffix(text, ">")
}

// padToken is the text the script gives an id no token has.
func padToken(id int) string { return fmt.Sprintf("[PAD%d]", id) }
