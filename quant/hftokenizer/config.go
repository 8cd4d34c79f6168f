package hftokenizer

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
