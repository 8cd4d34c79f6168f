package eval

import (
	"fmt"
	"strings"

	"nibble/engine/model"
	"nibble/engine/tokenizer"
)

// Text is an evaluation text tokenized for one vocabulary.
type Text struct {
	Tokens []int32 // the whole text as one stream, BOS first when the vocabulary adds one
	BOS    int32   // the token every chunk starts with; -1: chunks keep their first token
}

// NewText tokenizes text as llama-perplexity does with -f: one trailing
// newline dropped, tokenized as one stream with the vocabulary's special
// tokens added (BOS for most models) and special-token texts taken
// literally.
func NewText(tok *tokenizer.Tokenizer, text string) Text {
	text = strings.TrimSuffix(text, "\n")
	t := Text{Tokens: tok.Encode(text, true, false), BOS: -1}
	if tok.AddBOS() {
		t.BOS = tok.BOS()
	}
	return t
}

// MinContext is the shortest chunk Options.Context allows: below it, half a
// chunk is too little context to predict from.
const MinContext = 8

// Options say how a text is cut and evaluated.
type Options struct {
	// Context is the chunk length in tokens (llama-perplexity's -c): each
	// chunk is evaluated from an empty cache and its second half scored.
	// At least MinContext; the text must hold two chunks or more.
	Context int
	// Chunks evaluates only the first Chunks chunks (0: all).
	Chunks int
	// Progress, if not nil, is called after each step: every chunk, then
	// (Compare) every agreement prompt.
	Progress func(Progress)
}

// Progress is how far an evaluation is.
type Progress struct {
	Done, Total int     // steps: chunks, then agreement prompts
	PPL         float64 // perplexity over the chunks done so far (Compare: the variant's)
	KLD         float64 // Compare: mean KL divergence over the chunks done so far
}

// chunks cuts t into the chunks opts asks for: copies of Context tokens
// starting with BOS.
func (t Text) chunks(opts Options) ([][]int32, error) {
	n := opts.Context
	switch {
	case n < MinContext:
		return nil, fmt.Errorf("a context of %d tokens is too short: at least %d", n, MinContext)
	case len(t.Tokens) < 2*n:
		return nil, fmt.Errorf("the text has %d tokens; a context of %d tokens needs at least %d (two chunks)", len(t.Tokens), n, 2*n)
	case opts.Chunks < 0:
		return nil, fmt.Errorf("%d chunks asked for", opts.Chunks)
	}
	count := len(t.Tokens) / n
	if opts.Chunks > 0 {
		count = min(count, opts.Chunks)
	}
	chunks := make([][]int32, count)
	for i := range chunks {
		chunks[i] = t.start(i*n, n)
	}
	return chunks, nil
}

// start returns a copy of the n tokens at offset from, the first replaced by
// BOS (if any), as llama-perplexity evaluates every chunk.
func (t Text) start(from, n int) []int32 {
	c := append([]int32(nil), t.Tokens[from:from+n]...)
	if t.BOS >= 0 {
		c[0] = t.BOS
	}
	return c
}

// sliceRows is the most scored positions one Forward call computes logits
// for: it bounds the logits buffer (64 rows of a 128,256-token vocabulary are
// 32 MiB) whatever the context.
const sliceRows = 64

// evaluator evaluates chunks with one model, each from an empty cache.
type evaluator struct {
	state  *model.State
	vocab  int
	logits []float32 // sliceRows rows
}

// newEvaluator returns an evaluator for m, which must hold need positions.
func newEvaluator(m *model.Model, need int) (*evaluator, error) {
	c := m.Config()
	if c.ContextLength < need {
		return nil, fmt.Errorf("the model was loaded for %d positions; this evaluation needs %d", c.ContextLength, need)
	}
	return &evaluator{state: m.NewState(), vocab: c.VocabSize, logits: make([]float32, sliceRows*c.VocabSize)}, nil
}

// begin starts evaluating chunk from an empty cache: its unscored first
// half, in one call that computes no logits.
func (e *evaluator) begin(chunk []int32) error {
	e.state.Truncate(0)
	return e.state.Forward(chunk[:len(chunk)/2], 0, nil)
}

// next evaluates chunk[from:to], which follow what was evaluated, and
// returns their logits: row r (vocab values) follows chunk[from+r] and
// predicts chunk[from+r+1]. The rows are valid until the next call.
func (e *evaluator) next(chunk []int32, from, to int) ([]float32, error) {
	rows := e.logits[:(to-from)*e.vocab]
	return rows, e.state.Forward(chunk[from:to], from, rows)
}

// scoredSlices returns the bounds [from, to) in which a chunk of n tokens
// is evaluated after begin: the scored positions n/2 … n-2, at most
// sliceRows at a time, and never one token alone (the engine sums a lone
// token in another order than a batch, as llama.cpp does, and
// llama-perplexity evaluates the whole chunk as one batch).
func scoredSlices(n int) [][2]int {
	var s [][2]int
	for from, to := n/2, 0; from < n-1; from = to {
		to = min(from+sliceRows, n-1)
		if n-1-to == 1 {
			to--
		}
		s = append(s, [2]int{from, to})
	}
	return s
}
