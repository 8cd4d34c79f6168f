package model

import "fmt"

// qwen2 is the Qwen2 architecture (Qwen2, Qwen2.5), as llama.cpp's
// build_qwen2 computes it: Llama's block with biases on the query, key and
// value projections, and NEOX RoPE. Shapes as in llama.go.
type qwen2 struct {
	TokenEmbd  matrix // token_embd.weight   [n_embd, n_vocab]
	Blk        []qwen2Block
	OutputNorm []float32 // output_norm.weight  [n_embd]
	Output     matrix    // output.weight       [n_embd, n_vocab]; token_embd.weight if absent (tied embeddings)
}

type qwen2Block struct {
	AttnNorm   []float32 // blk.N.attn_norm.weight   [n_embd]
	AttnQ      matrix    // blk.N.attn_q.weight      [n_embd, n_q]
	AttnK      matrix    // blk.N.attn_k.weight      [n_embd, n_kv]
	AttnV      matrix    // blk.N.attn_v.weight      [n_embd, n_kv]
	AttnQBias  []float32 // blk.N.attn_q.bias        [n_q]
	AttnKBias  []float32 // blk.N.attn_k.bias        [n_kv]
	AttnVBias  []float32 // blk.N.attn_v.bias        [n_kv]
	AttnOutput matrix    // blk.N.attn_output.weight [n_q, n_embd]
	FFNNorm    []float32 // blk.N.ffn_norm.weight    [n_embd]
	FFNGate    matrix    // blk.N.ffn_gate.weight    [n_embd, n_ff]
	FFNUp      matrix    // blk.N.ffn_up.weight      [n_embd, n_ff]
	FFNDown    matrix    // blk.N.ffn_down.weight    [n_ff, n_embd]
}

func loadQwen2(b *binder) network {
	c := b.cfg
	c.RopeNeox = true
	nq, nkv, d, ff := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim, c.EmbeddingLength, c.FeedForwardLength
	m := &qwen2{
		TokenEmbd:  b.embeddings("token_embd.weight"),
		Blk:        make([]qwen2Block, c.Layers),
		OutputNorm: b.vector("output_norm.weight", d),
		Output:     b.output(),
	}
	for i := range m.Blk {
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		m.Blk[i] = qwen2Block{
			AttnNorm:   b.vector(name("attn_norm.weight"), d),
			AttnQ:      b.matrix(name("attn_q.weight"), d, nq),
			AttnK:      b.matrix(name("attn_k.weight"), d, nkv),
			AttnV:      b.matrix(name("attn_v.weight"), d, nkv),
			AttnQBias:  b.vector(name("attn_q.bias"), nq),
			AttnKBias:  b.vector(name("attn_k.bias"), nkv),
			AttnVBias:  b.vector(name("attn_v.bias"), nkv),
			AttnOutput: b.matrix(name("attn_output.weight"), nq, d),
			FFNNorm:    b.vector(name("ffn_norm.weight"), d),
			FFNGate:    b.matrix(name("ffn_gate.weight"), d, ff),
			FFNUp:      b.matrix(name("ffn_up.weight"), d, ff),
			FFNDown:    b.matrix(name("ffn_down.weight"), ff, d),
		}
	}
	return m
}

func (m *qwen2) forward(s *State, tokens []int32, pos int, out []float32) {
	c := &s.m.cfg
	a := s.activations(len(tokens))
	s.ropeTable(pos, a.n, nil)
	embed(a.x, m.TokenEmbd, tokens)

	for l, b := range m.Blk {
		// Attention: x += Wo · attention(rope(Wq·norm(x) + bq), rope(Wk·norm(x) + bk), Wv·norm(x) + bv).
		rmsNorm(a.xb, a.x, b.AttnNorm, c.RMSNormEpsilon)
		s.matmul(a.q, a.xb, b.AttnQ)
		s.matmul(a.k, a.xb, b.AttnK)
		s.matmul(a.v, a.xb, b.AttnV)
		addBias(a.q, b.AttnQBias)
		addBias(a.k, b.AttnKBias)
		addBias(a.v, b.AttnVBias)
		s.rope(a.q, a.n)
		s.rope(a.k, a.n)
		s.attention(l, a.att, a.q, a.k, a.v, pos)
		s.matmul(a.xb, a.att, b.AttnOutput)
		if l == len(m.Blk)-1 && !s.keepOutputRows(&a, out) { // only rows whose logits are wanted go on
			return
		}
		add(a.x, a.xb)

		// Feed-forward: x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x)).
		s.feedForward(&a, b.FFNNorm, b.FFNGate, b.FFNUp, b.FFNDown, nil, nil, nil)
	}

	s.output(out, a.x, m.OutputNorm, m.Output) // logits [n or 1][n_vocab]
}
