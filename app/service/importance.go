package service

import (
	"context"

	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/tokenizer"
	"nibble/quant/eval"
	"nibble/quant/imatrix"
)

// ImportanceOptions say how Importance runs a model over its text; the zero
// value is llama-imatrix's defaults.
type ImportanceOptions struct {
	// Ctx is the tokens per chunk; 0: 512 as llama-imatrix, or the model's
	// training context when that is shorter.
	Ctx           int
	Chunks        int    // most chunks to evaluate; 0: as many as the text holds
	Threads       int    // 0: all cores
	ProcessOutput bool   // also collect output.weight (llama-imatrix --process-output)
	Dataset       string // the text's name, recorded in the matrix
}

// Importance computes the importance matrix of the model at path over text,
// as llama-imatrix does (imatrix.Collect), the text tokenized as
// llama.cpp reads a -f file (eval.NewText). progress, if not nil, is told the chunks done and their total. It
// returns the context length it used (ctx is 0 when the default was asked
// for) with the matrix; a context beyond the model's training context is
// used as given. Cost: one forward pass of the model over the text's
// chunks.
func Importance(ctx context.Context, path, text string, o ImportanceOptions, progress func(done, total int)) (*imatrix.Matrix, int, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, 0, err
	}
	t := eval.NewText(tok, text)
	// Loading costs a metadata scan; memory comes with NewState.
	m, err := model.Load(f, model.Options{ContextLength: o.Ctx, Threads: o.Threads})
	if err == nil && o.Ctx == 0 {
		o.Ctx = min(512, m.Config().TrainContextLength)
		m, err = model.Load(f, model.Options{ContextLength: o.Ctx, Threads: o.Threads})
	}
	if err != nil {
		return nil, 0, err
	}
	im, err := imatrix.Collect(ctx, m.NewState(), t.Tokens, imatrix.Options{
		Ctx: o.Ctx, Chunks: o.Chunks, VocabSize: m.Config().VocabSize, BOS: t.BOS,
		ProcessOutput: o.ProcessOutput, Dataset: o.Dataset,
	}, progress)
	return im, o.Ctx, err
}
