package eval

import (
	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/tokenizer"
)

// Model is a model file opened for an evaluation: the loaded model, its
// tokenizer, and the chunk length to evaluate with. Close it when done; the
// model must not be used after.
type Model struct {
	Model     *model.Model
	Tokenizer *tokenizer.Tokenizer
	Context   int // chunk length (Options.Context)
	file      *gguf.File
}

// OpenOptions say how Open loads a model.
type OpenOptions struct {
	// Context is the chunk length. 0 picks the model's training context,
	// at most MaxContext (0: 512, llama-perplexity's default).
	Context, MaxContext int
	// Positions is how many positions the model must hold if more than
	// Context (CompareOptions.ContextLength: agreement prompts and their
	// continuations).
	Positions int
	Threads   int // model.Options.Threads
}

// Open opens the GGUF file at path and loads its model and tokenizer for
// an evaluation. Cost: reading the metadata; the weights stay mapped.
func Open(path string, o OpenOptions) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	ctx := o.Context
	if ctx == 0 {
		ctx = o.MaxContext
		if ctx == 0 {
			ctx = 512
		}
		if train, ok := f.Uint(f.Architecture() + ".context_length"); ok && train > 0 {
			ctx = int(min(uint64(ctx), train))
		}
	}
	tok, err := tokenizer.FromGGUF(f)
	var m *model.Model
	if err == nil {
		m, err = model.Load(f, model.Options{ContextLength: max(ctx, o.Positions), Threads: o.Threads})
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Model{Model: m, Tokenizer: tok, Context: ctx, file: f}, nil
}

// Close closes the model's file.
func (m *Model) Close() error { return m.file.Close() }
