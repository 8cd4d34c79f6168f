package hftokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Config is what the tokenizer conversion needs from the model's config.json.
type Config struct {
	// Arch is the model class, config.json's architectures[0]
	// ("LlamaForCausalLM"); it selects the script's set_vocab.
	Arch string
	// VocabSize is config.json's vocab_size, the number of tokens the model's
	// embedding has; 0 means absent, and then the tokenizer's own size is
	// used. A larger vocab_size pads the vocabulary with unused "[PAD<id>]"
	// tokens, as the script does; a smaller one than the tokenizer needs is
	// an error.
	VocabSize int
}

// ReadConfig reads Config from dir/config.json.
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	var c struct {
		Architectures []string `json:"architectures"`
		VocabSize     int      `json:"vocab_size"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(c.Architectures) == 0 {
		return Config{}, fmt.Errorf("%s: no architectures", path)
	}
	return Config{Arch: c.Architectures[0], VocabSize: c.VocabSize}, nil
}
