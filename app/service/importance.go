package service

import (
	"context"
	"strings"

	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/tokenizer"
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
// as llama-imatrix does (imatrix.Collect): the text loses one trailing
// newline (as llama.cpp's -f does) and is tokenized once with the model's
// BOS. progress, if not nil, is told the chunks done and their total. It
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
	tokens := tok.Encode(strings.TrimSuffix(text, "\n"), true, false)
	// Loading costs a metadata scan; memory comes with NewState.
	m, err := model.Load(f, model.Options{ContextLength: o.Ctx, Threads: o.Threads})
	if err == nil && o.Ctx == 0 {
		o.Ctx = min(512, m.Config().TrainContextLength)
		m, err = model.Load(f, model.Options{ContextLength: o.Ctx, Threads: o.Threads})
	}
	if err != nil {
		return nil, 0, err
	}
	bos := int32(-1)
	if tok.AddBOS() {
		bos = tok.BOS()
	}
	im, err := imatrix.Collect(ctx, m.NewState(), tokens, imatrix.Options{
		Ctx: o.Ctx, Chunks: o.Chunks, VocabSize: m.Config().VocabSize, BOS: bos,
		ProcessOutput: o.ProcessOutput, Dataset: o.Dataset,
	}, progress)
	return im, o.Ctx, err
}
