package model

import "fmt"

// The weight groups every family has, bound by GGUF tensor name. Shapes are
// in ggml order, [input width, output rows]; n_embd = EmbeddingLength, n_q =
// Heads · HeadDim, n_kv = KVHeads · HeadDim, n_ff = FeedForwardLength.

// ends are the weights before the first block and after the last.
type ends struct {
	TokenEmbd  matrix    // token_embd.weight   [n_embd, n_vocab]
	OutputNorm []float32 // output_norm.weight  [n_embd]
	Output     matrix    // output.weight       [n_embd, n_vocab]; token_embd.weight if absent (tied embeddings)
}

// attnWeights are a block's self-attention projections and their norm.
type attnWeights struct {
	AttnNorm   []float32 // blk.N.attn_norm.weight   [n_embd]
	AttnQ      matrix    // blk.N.attn_q.weight      [n_embd, n_q]
	AttnK      matrix    // blk.N.attn_k.weight      [n_embd, n_kv]
	AttnV      matrix    // blk.N.attn_v.weight      [n_embd, n_kv]
	AttnOutput matrix    // blk.N.attn_output.weight [n_q, n_embd]
}

// ffnWeights are a block's SwiGLU feed-forward network and its norm.
type ffnWeights struct {
	FFNNorm []float32 // blk.N.ffn_norm.weight    [n_embd]
	FFNGate matrix    // blk.N.ffn_gate.weight    [n_embd, n_ff]
	FFNUp   matrix    // blk.N.ffn_up.weight      [n_embd, n_ff]
	FFNDown matrix    // blk.N.ffn_down.weight    [n_ff, n_embd]
}

func (b *binder) ends() ends {
	return ends{
		TokenEmbd:  b.embeddings("token_embd.weight"),
		OutputNorm: b.vector("output_norm.weight", b.cfg.EmbeddingLength),
		Output:     b.output(),
	}
}

// blockName returns the name of tensor s of block i: "blk.3.attn_q.weight".
func blockName(i int, s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }

func (b *binder) attn(i int) attnWeights {
	c := b.cfg
	nq, nkv, d := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim, c.EmbeddingLength
	return attnWeights{
		AttnNorm:   b.vector(blockName(i, "attn_norm.weight"), d),
		AttnQ:      b.matrix(blockName(i, "attn_q.weight"), d, nq),
		AttnK:      b.matrix(blockName(i, "attn_k.weight"), d, nkv),
		AttnV:      b.matrix(blockName(i, "attn_v.weight"), d, nkv),
		AttnOutput: b.matrix(blockName(i, "attn_output.weight"), nq, d),
	}
}

func (b *binder) ffn(i int) ffnWeights {
	d, ff := b.cfg.EmbeddingLength, b.cfg.FeedForwardLength
	return ffnWeights{
		FFNNorm: b.vector(blockName(i, "ffn_norm.weight"), d),
		FFNGate: b.matrix(blockName(i, "ffn_gate.weight"), d, ff),
		FFNUp:   b.matrix(blockName(i, "ffn_up.weight"), d, ff),
		FFNDown: b.matrix(blockName(i, "ffn_down.weight"), ff, d),
	}
}

// qkvBiases are the optional biases of the query, key and value projections
// (required in qwen2).
type qkvBiases struct {
	AttnQBias []float32 // blk.N.attn_q.bias [n_q]
	AttnKBias []float32 // blk.N.attn_k.bias [n_kv]
	AttnVBias []float32 // blk.N.attn_v.bias [n_kv]
}

// qkvBiases binds block i's q/k/v biases with vector (required) or
// optVector (optional).
func (b *binder) qkvBiases(i int, bind func(name string, n int) []float32) qkvBiases {
	nq, nkv := b.cfg.Heads*b.cfg.HeadDim, b.cfg.KVHeads*b.cfg.HeadDim
	return qkvBiases{
		AttnQBias: bind(blockName(i, "attn_q.bias"), nq),
		AttnKBias: bind(blockName(i, "attn_k.bias"), nkv),
		AttnVBias: bind(blockName(i, "attn_v.bias"), nkv),
	}
}

// qkv computes the query, key and value rows of a block's attention input:
// a.xb = norm(x), then a.q, a.k, a.v = W·a.xb + bias (the biases may be nil).
func (s *State) qkv(a *activations, w *attnWeights, bias *qkvBiases) {
	rmsNorm(a.xb, a.x, w.AttnNorm, s.m.cfg.RMSNormEpsilon)
	s.matmul(a.xb, product{a.q, w.AttnQ}, product{a.k, w.AttnK}, product{a.v, w.AttnV})
	addBias(a.q, bias.AttnQBias)
	addBias(a.k, bias.AttnKBias)
	addBias(a.v, bias.AttnVBias)
}
