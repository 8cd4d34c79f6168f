package model

import (
	"errors"
	"fmt"

	"nibble/engine/kernels"
)

// batchSize is the most tokens one pass of the network evaluates together;
// Forward splits longer inputs. Batching lets each weight row, once loaded
// from memory, serve several tokens; the run buffers grow with it.
const batchSize = 64

// State is one sequence being evaluated: its KV cache and the buffers of the
// forward pass, all allocated by NewState (see EstimateMemory), none later.
// A State is not safe for concurrent use; States of one Model are
// independent and may run concurrently.
type State struct {
	m       *Model
	len     int  // positions held in the cache
	batched bool // the current Forward call has several tokens (see weightedValues)

	// The KV cache of each layer, [ctx][KVHeads·HeadDim] values encoded as
	// m.kvType.
	kcache, vcache [][]byte

	// Activations of up to batchSize tokens, row-major [token][…].
	x       []float32 // residual stream [n][EmbeddingLength]
	xb      []float32 // normed input of a sub-layer, or its output [n][EmbeddingLength]
	q       []float32 // queries [n][Heads·HeadDim]
	k, v    []float32 // keys and values [n][KVHeads·HeadDim]
	att     []float32 // attention output [n][Heads·HeadDim]
	hb      []float32 // FFN gate, then SwiGLU output [n][FeedForwardLength]
	hb2     []float32 // FFN up [n][FeedForwardLength]
	ropeTab []float32 // cos, sin of each rotated pair [n][RopeDims]
	act     []byte    // one matrix input encoded as the weights' activation type [n][actBytes]

	heads []headScratch // one per thread

	products [3]product // matmul's products, where its threads read them (Q, K, V at most)

	observe func(weight string, x []float32, cols int) // see Observe; nil: none
}

// headScratch is one thread's scratch for attention, one query head of one
// token at a time.
type headScratch struct {
	scores []float32 // scores, then probabilities, over the cached positions [ctx]
	q      []float32 // the query head rounded to the cache's precision [HeadDim]
	acc    []float32 // accumulator lanes of ·V [kernels.KVScratch(HeadDim)]
}

// stateSizes lists the sizes of the State buffers; NewState allocates them
// and EstimateMemory adds them up, so the two cannot disagree.
type stateSizes struct {
	kvBytes int // one layer's key (or value) cache
	layers  int
	floats  int // all float32 buffers
	bytes   int // act
	batch   int // tokens per pass
}

func (m *Model) stateSizes() stateSizes {
	c := &m.cfg
	n := min(batchSize, c.ContextLength)
	kvw := c.KVHeads * c.HeadDim
	qw := c.Heads * c.HeadDim
	rb, _ := m.kvType.RowBytes(kvw)
	return stateSizes{
		kvBytes: c.ContextLength * rb,
		layers:  c.Layers,
		floats: n*(2*c.EmbeddingLength+qw+2*kvw+qw+2*c.FeedForwardLength+c.RopeDims) +
			m.threads*(c.ContextLength+c.HeadDim+kernels.KVScratch(c.HeadDim)),
		bytes: n * m.actBytes,
		batch: n,
	}
}

func (z stateSizes) total() uint64 {
	return 2*uint64(z.layers)*uint64(z.kvBytes) + 4*uint64(z.floats) + uint64(z.bytes)
}

// NewState allocates a State for one sequence of up to Config.ContextLength
// positions: EstimateMemory bytes, for long contexts mostly the KV cache.
func (m *Model) NewState() *State {
	c := &m.cfg
	z := m.stateSizes()
	s := &State{m: m, kcache: make([][]byte, c.Layers), vcache: make([][]byte, c.Layers)}
	for l := range c.Layers {
		s.kcache[l] = make([]byte, z.kvBytes)
		s.vcache[l] = make([]byte, z.kvBytes)
	}
	floats := make([]float32, z.floats)
	take := func(n int) []float32 {
		b := floats[:n:n]
		floats = floats[n:]
		return b
	}
	n, qw, kvw := z.batch, c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	s.x = take(n * c.EmbeddingLength)
	s.xb = take(n * c.EmbeddingLength)
	s.q = take(n * qw)
	s.k = take(n * kvw)
	s.v = take(n * kvw)
	s.att = take(n * qw)
	s.hb = take(n * c.FeedForwardLength)
	s.hb2 = take(n * c.FeedForwardLength)
	s.ropeTab = take(n * c.RopeDims)
	s.heads = make([]headScratch, m.threads)
	for i := range s.heads {
		s.heads[i] = headScratch{scores: take(c.ContextLength), q: take(c.HeadDim), acc: take(kernels.KVScratch(c.HeadDim))}
	}
	s.act = make([]byte, z.bytes)
	return s
}

// Observe makes Forward call f with the input of every multiplication by a
// weight matrix, just before it: weight is the matrix's GGUF tensor name
// ("blk.0.attn_q.weight", "output.weight"), x the float32 activations it
// multiplies, rows of cols values for the tokens of the current batch, in
// order (at most 64 at a time; in the last layer only the rows whose logits
// are wanted, see Forward). These are the values before they are encoded as
// the weight's activation type, what llama.cpp's eval callback sees as a
// MUL_MAT's src1 (the importance matrix, quant/imatrix, is made from them).
// Matrices that share an input (Q, K and V; gate and up) are reported one
// after the other with the same x. f runs on the goroutine calling Forward;
// x is valid only during the call and must not be modified. Observing
// changes no result; nil stops it, and costs nothing.
func (s *State) Observe(f func(weight string, x []float32, cols int)) { s.observe = f }

// Len returns the number of positions in the KV cache: the position the next
// token evaluated will have.
func (s *State) Len() int { return s.len }

// Truncate drops the KV cache from position n on, so that evaluation resumes
// at position n (to regenerate a reply, or to rewind after an edit). n ≥
// Len() changes nothing. It costs nothing: the dropped entries are simply
// overwritten later.
func (s *State) Truncate(n int) {
	if n < 0 {
		panic(fmt.Sprintf("model: Truncate(%d)", n))
	}
	s.len = min(s.len, n)
}

// Forward evaluates tokens at positions pos, pos+1, … and appends their keys
// and values to the KV cache; pos must equal Len(). The length of logits
// picks what is computed, so that each use pays only for what it needs:
//
//   - 0: no logits (fill the cache with a prompt whose predictions are not
//     needed);
//   - Config.VocabSize: the logits after the last token (decoding);
//   - len(tokens)·VocabSize: the logits after every token, row i for
//     tokens[i] (perplexity, scoring).
//
// Cost: one multiply-add per weight per token, plus attention over the
// cached positions (Layers · Heads · 2·HeadDim per position); the output
// projection (VocabSize × EmbeddingLength) only for the rows asked for.
// Forward allocates nothing with Threads 1; more threads share each step
// through a pool of goroutines started once per process. Errors (bad arguments, context full) are reported
// before any work and leave the State unchanged.
func (s *State) Forward(tokens []int32, pos int, logits []float32) error {
	c := &s.m.cfg
	switch {
	case len(tokens) == 0:
		return errors.New("model: Forward of no tokens")
	case pos != s.len:
		return fmt.Errorf("model: Forward at position %d, but the cache holds %d positions", pos, s.len)
	case pos+len(tokens) > c.ContextLength:
		return fmt.Errorf("model: context full: %d positions + %d tokens exceed the context length %d", pos, len(tokens), c.ContextLength)
	case len(logits) != 0 && len(logits) != c.VocabSize && len(logits) != len(tokens)*c.VocabSize:
		return fmt.Errorf("model: logits buffer of %d values, want 0, %d or %d", len(logits), c.VocabSize, len(tokens)*c.VocabSize)
	}
	for _, t := range tokens {
		if t < 0 || int(t) >= c.VocabSize {
			return fmt.Errorf("model: token id %d outside the vocabulary of %d", t, c.VocabSize)
		}
	}
	all := len(logits) == len(tokens)*c.VocabSize
	s.batched = len(tokens) > 1
	for start, end := 0, 0; start < len(tokens); start = end {
		end = min(start+batchSize, len(tokens))
		if len(tokens)-end == 1 {
			// Never leave one token alone: llama.cpp decodes the whole call
			// as one batch, and one token is summed in another order
			// (kernels.MatMul, s.batched).
			end--
		}
		var out []float32 // this batch's share of logits
		switch {
		case all:
			out = logits[start*c.VocabSize : end*c.VocabSize]
		case end == len(tokens):
			out = logits
		}
		s.m.net.forward(s, tokens[start:end], pos+start, out)
		s.len = pos + end
	}
	return nil
}
