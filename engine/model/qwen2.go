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
	n := len(tokens)
	x := s.x[:n*c.EmbeddingLength]       // residual stream [n][n_embd]
	xb := s.xb[:n*c.EmbeddingLength]     // [n][n_embd]
	q := s.q[:n*c.Heads*c.HeadDim]       // [n][n_q]
	k := s.k[:n*c.KVHeads*c.HeadDim]     // [n][n_kv]
	v := s.v[:n*c.KVHeads*c.HeadDim]     // [n][n_kv]
	att := s.att[:n*c.Heads*c.HeadDim]   // [n][n_q]
	gate := s.hb[:n*c.FeedForwardLength] // [n][n_ff]
	up := s.hb2[:n*c.FeedForwardLength]  // [n][n_ff]
	s.ropeTable(pos, n, nil)
	embed(x, m.TokenEmbd, tokens)

	for l, b := range m.Blk {
		// Attention: x += Wo · attention(rope(Wq·norm(x) + bq), rope(Wk·norm(x) + bk), Wv·norm(x) + bv).
		rmsNorm(xb, x, b.AttnNorm, c.RMSNormEpsilon)
		s.matmul(q, xb, b.AttnQ)
		s.matmul(k, xb, b.AttnK)
		s.matmul(v, xb, b.AttnV)
		addBias(q, b.AttnQBias)
		addBias(k, b.AttnKBias)
		addBias(v, b.AttnVBias)
		s.rope(q, n)
		s.rope(k, n)
		s.attention(l, att, q, k, v, pos)
		s.matmul(xb, att, b.AttnOutput)
		if l == len(m.Blk)-1 { // only the rows whose logits are wanted go on
			n = s.outputRows(x, xb, out, n)
			if n == 0 {
				return
			}
			x, xb = x[:n*c.EmbeddingLength], xb[:n*c.EmbeddingLength]
			gate, up = gate[:n*c.FeedForwardLength], up[:n*c.FeedForwardLength]
		}
		add(x, xb)

		// Feed-forward: x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x)).
		rmsNorm(xb, x, b.FFNNorm, c.RMSNormEpsilon)
		s.matmul(gate, xb, b.FFNGate)
		s.matmul(up, xb, b.FFNUp)
		swiglu(gate, up, c.FeedForwardLength)
		s.matmul(xb, gate, b.FFNDown)
		add(x, xb)
	}

	s.output(out, x, m.OutputNorm, m.Output) // logits [n or 1][n_vocab]
}
