package service

import (
	"context"

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
// as llama-imatrix does (imatrix.Collect), the model opened and the text
// tokenized as for an evaluation (eval.Open, eval.NewText). progress, if
// not nil, is told the chunks done and their total. The matrix records the
// context length used (ChunkSize); a context beyond the model's training
// context is used as given. Cost: one forward pass of the model over the
// text's chunks.
func Importance(ctx context.Context, path, text string, o ImportanceOptions, progress func(done, total int)) (*imatrix.Matrix, error) {
	m, err := eval.Open(path, eval.OpenOptions{Context: o.Ctx, Threads: o.Threads})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	t := eval.NewText(m.Tokenizer, text)
	return imatrix.Collect(ctx, m.Model.NewState(), t.Tokens, imatrix.Options{
		Ctx: m.Context, Chunks: o.Chunks, VocabSize: m.Model.Config().VocabSize, BOS: t.BOS,
		ProcessOutput: o.ProcessOutput, Dataset: o.Dataset,
	}, progress)
}
