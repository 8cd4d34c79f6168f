package session

import (
	"errors"
	"fmt"
	"os"

	"github.com/dustin/go-humanize"

	"nibble/engine/chat"
	"nibble/engine/gguf"
	"nibble/engine/hw"
	"nibble/engine/model"
	"nibble/engine/tokenizer"
)

// DefaultContextLength is the context used when the caller asks for none and
// the model was trained for more: llama.cpp's default. Recent models train
// for 128K positions, whose KV cache alone would not fit most laptops.
const DefaultContextLength = 4096

// Options are the caller's choices when opening a model.
type Options struct {
	ContextLength int // positions of context; 0: the model's, at most DefaultContextLength
	Threads       int // 0: all cores
	KVCacheF32    bool
	// Force loads the model even when it needs more memory than is free.
	Force bool
	// ChatTemplate, when not blank, replaces the model's own template.
	ChatTemplate string
}

// ErrTooLarge is returned (wrapped) by Open when the model would not fit in
// the memory that is free; the message says how much it needs and has.
var ErrTooLarge = errors.New("not enough memory for this model")

// Model is an open model ready to generate. Safe for concurrent use; each
// Conversation holds its own KV cache. Close it when done.
type Model struct {
	file      *gguf.File
	model     *model.Model
	tok       *tokenizer.Tokenizer
	template  *chat.Template
	fileBytes int64
}

// Open loads the model at path. Before anything large is allocated, it
// estimates the memory needed at the chosen context — the file (mapped, and
// read in as it is used) plus the KV cache and buffers — and refuses with
// ErrTooLarge when that exceeds the memory available now, unless
// opts.Force.
func Open(path string, opts Options) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := open(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return m, nil
}

func open(f *gguf.File, path string, opts Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	ctx := opts.ContextLength
	if ctx == 0 {
		ctx = DefaultContextLength
		if train, ok := f.Uint(f.Architecture() + ".context_length"); ok && int(train) < ctx {
			ctx = int(train)
		}
	}
	heap, err := model.EstimateMemory(f, ctx, opts.KVCacheF32)
	if err != nil {
		return nil, err
	}
	if need := uint64(st.Size()) + heap; !opts.Force {
		if mem, err := readMemory(); err == nil && need > mem.Available {
			return nil, fmt.Errorf("%w: it needs about %s at a context of %d tokens, but only %s is free. "+
				"Close other programs, choose a smaller version of the model, or a shorter context",
				ErrTooLarge, humanize.IBytes(need), ctx, humanize.IBytes(mem.Available))
		}
	}
	mod, err := model.Load(f, model.Options{ContextLength: ctx, KVCacheF32: opts.KVCacheF32, Threads: opts.Threads})
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	tmpl, err := chat.Load(f, opts.ChatTemplate, tok.TokenText(tok.BOS()), tok.TokenText(tok.EOS()))
	if err != nil {
		return nil, err
	}
	return &Model{file: f, model: mod, tok: tok, template: tmpl, fileBytes: st.Size()}, nil
}

// readMemory is hw.ReadMemory; tests replace it to play a smaller machine.
var readMemory = hw.ReadMemory

// Close releases the model file. No Conversation may be used afterwards.
func (m *Model) Close() error { return m.file.Close() }

// Config returns the model's hyperparameters, including the context length
// in use.
func (m *Model) Config() model.Config { return m.model.Config() }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tok }
