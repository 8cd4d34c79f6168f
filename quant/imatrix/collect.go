package imatrix

import (
	"context"
	"fmt"
	"strings"

	"nibble/engine/kernels"
)

// Sequence is the model Collect runs, one sequence at a time:
// *model.State (nibble/engine/model) satisfies it. The interface keeps this
// package, which the quantizer imports, free of the engine, which imports
// the quantizer.
type Sequence interface {
	// Truncate empties the cache from position n on.
	Truncate(n int)
	// Forward evaluates tokens at positions pos, pos+1, …, writing every
	// token's logits into logits (len(tokens)·vocabulary values).
	Forward(tokens []int32, pos int, logits []float32) error
	// Observe makes Forward report the float32 input of every weight
	// matrix multiplication to f, rows of cols values, in token order.
	Observe(f func(weight string, x []float32, cols int))
}

// Options are the settings of a Collect run, llama-imatrix's.
type Options struct {
	Ctx           int    // tokens per chunk (llama-imatrix -c; its default is 512); at least 16
	Chunks        int    // most chunks to evaluate (--chunks); 0: as many as the text holds
	VocabSize     int    // the model's vocabulary size (every token's logits are computed)
	BOS           int32  // the token that replaces each chunk's first, or -1 if the model adds none
	ProcessOutput bool   // also collect output.weight (--process-output)
	Dataset       string // the calibration file's name, recorded in the Matrix
}

// Micro-batching, as llama-imatrix's default n_ubatch: the model sees a chunk
// 512 tokens at a time, and a micro-batch of fewer than 16 tokens is not
// collected (llama-imatrix ignores matrix products of fewer than 16 rows).
// Forward is called with at most forwardTokens tokens, which bounds the
// logits buffer (a 128k vocabulary takes 32 MiB for 64 tokens) and changes
// no value: the engine's products only depend on whether a call has one
// token or more, and no call gets a lone token.
const (
	ubatchTokens  = 512
	minRows       = 16
	forwardTokens = 64
)

// Collect runs seq over tokens (the whole calibration text, tokenized once
// with the model's BOS if it adds one) as llama-imatrix does, and returns the
// importance matrix of every weight it saw (see the package comment):
// len(tokens)/Ctx chunks of Ctx tokens (at most Chunks), each from an empty
// cache with its first token replaced by BOS. progress, if not nil, is called
// after each chunk with the chunks done and the total. It needs at least
// 2·Ctx tokens, as llama-imatrix. It stops with ctx's error when ctx is done.
// seq is left observing nothing.
func Collect(ctx context.Context, seq Sequence, tokens []int32, o Options, progress func(done, total int)) (*Matrix, error) {
	switch {
	case o.Ctx < minRows:
		return nil, fmt.Errorf("imatrix: a context of %d tokens; at least %d are needed", o.Ctx, minRows)
	case len(tokens) < 2*o.Ctx:
		return nil, fmt.Errorf("imatrix: the text has %d tokens; at least %d (twice the context) are needed", len(tokens), 2*o.Ctx)
	case o.VocabSize < 1 || o.Chunks < 0:
		return nil, fmt.Errorf("imatrix: vocabulary size %d, chunks %d", o.VocabSize, o.Chunks)
	}
	chunks := len(tokens) / o.Ctx
	if o.Chunks > 0 {
		chunks = min(chunks, o.Chunks)
	}
	c := &collector{sums: map[string][]float32{}, counts: map[string]int{}, output: o.ProcessOutput}
	seq.Observe(c.observe)
	defer seq.Observe(nil)
	chunk := make([]int32, o.Ctx)
	logits := make([]float32, min(forwardTokens, o.Ctx)*o.VocabSize)
	for i := range chunks {
		copy(chunk, tokens[i*o.Ctx:])
		if o.BOS >= 0 {
			chunk[0] = o.BOS
		}
		seq.Truncate(0)
		for start := 0; start < o.Ctx; start += ubatchTokens {
			ub := chunk[start:min(start+ubatchTokens, o.Ctx)]
			c.on = len(ub) >= minRows
			for p := 0; p < len(ub); {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				n := min(forwardTokens, len(ub)-p)
				if len(ub)-p-n == 1 {
					n-- // never leave a lone token for the next call
				}
				if err := seq.Forward(ub[p:p+n], start+p, logits[:n*o.VocabSize]); err != nil {
					return nil, fmt.Errorf("imatrix: chunk %d: %w", i+1, err)
				}
				p += n
			}
		}
		if progress != nil {
			progress(i+1, chunks)
		}
	}
	if len(c.sums) == 0 {
		return nil, fmt.Errorf("imatrix: the model multiplied no weight named blk.*")
	}
	m := &Matrix{Entries: map[string]Entry{}, Chunks: chunks, ChunkSize: o.Ctx}
	if o.Dataset != "" {
		m.Datasets = []string{o.Dataset}
	}
	for name, s := range c.sums {
		m.Entries[name] = Entry{Sums: s, Counts: []float64{float64(c.counts[name])}}
	}
	return m, nil
}

// collector accumulates the observed inputs: per weight, the sum of x² of
// each column in float32, row after row, and the rows seen.
type collector struct {
	sums   map[string][]float32
	counts map[string]int
	output bool // collect output.weight too
	on     bool // the current micro-batch counts
}

func (c *collector) observe(weight string, x []float32, cols int) {
	if !c.on || !(strings.HasPrefix(weight, "blk.") || c.output && weight == "output.weight") {
		return
	}
	s := c.sums[weight]
	if s == nil {
		s = make([]float32, cols)
		c.sums[weight] = s
	}
	// llama.cpp's "values[j] += x[j]*x[j]", which GCC compiles to one fused
	// multiply-add (its default -ffp-contract=fast; the loop's finiteness
	// check keeps it from vectorizing): s + x·x rounded once to float32.
	for r := 0; r < len(x); r += cols {
		for j, v := range x[r : r+cols] {
			s[j] = kernels.FMA32(v, v, s[j])
		}
	}
	c.counts[weight] += len(x) / cols
}
