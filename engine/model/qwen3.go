package model

import "fmt"

// qwen3 is the Qwen3 architecture (dense models), as llama.cpp's build_qwen3
// computes it: Llama's block without biases, with an RMSNorm over each query
// and key head before RoPE, and NEOX RoPE. Its head size (key_length) is
// often not n_embd/Heads. Shapes as in llama.go.
type qwen3 struct {
	TokenEmbd  matrix // token_embd.weight   [n_embd, n_vocab]
	Blk        []qwen3Block
	OutputNorm []float32 // output_norm.weight  [n_embd]
	Output     matrix    // output.weight       [n_embd, n_vocab]; token_embd.weight if absent (tied embeddings)
}

type qwen3Block struct {
	AttnNorm   []float32 // blk.N.attn_norm.weight   [n_embd]
	AttnQ      matrix    // blk.N.attn_q.weight      [n_embd, n_q]
	AttnK      matrix    // blk.N.attn_k.weight      [n_embd, n_kv]
	AttnV      matrix    // blk.N.attn_v.weight      [n_embd, n_kv]
	AttnQNorm  []float32 // blk.N.attn_q_norm.weight [HeadDim], shared by every query head
	AttnKNorm  []float32 // blk.N.attn_k_norm.weight [HeadDim], shared by every key head
	AttnOutput matrix    // blk.N.attn_output.weight [n_q, n_embd]
	FFNNorm    []float32 // blk.N.ffn_norm.weight    [n_embd]
	FFNGate    matrix    // blk.N.ffn_gate.weight    [n_embd, n_ff]
	FFNUp      matrix    // blk.N.ffn_up.weight      [n_embd, n_ff]
	FFNDown    matrix    // blk.N.ffn_down.weight    [n_ff, n_embd]
}

func loadQwen3(b *binder) network {
	c := b.cfg
	c.RopeNeox = true
	nq, nkv, d, ff := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim, c.EmbeddingLength, c.FeedForwardLength
	m := &qwen3{
		TokenEmbd:  b.embeddings("token_embd.weight"),
		Blk:        make([]qwen3Block, c.Layers),
		OutputNorm: b.vector("output_norm.weight", d),
		Output:     b.output(),
	}
	for i := range m.Blk {
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		m.Blk[i] = qwen3Block{
			AttnNorm:   b.vector(name("attn_norm.weight"), d),
			AttnQ:      b.matrix(name("attn_q.weight"), d, nq),
			AttnK:      b.matrix(name("attn_k.weight"), d, nkv),
			AttnV:      b.matrix(name("attn_v.weight"), d, nkv),
			AttnQNorm:  b.vector(name("attn_q_norm.weight"), c.HeadDim),
			AttnKNorm:  b.vector(name("attn_k_norm.weight"), c.HeadDim),
			AttnOutput: b.matrix(name("attn_output.weight"), nq, d),
			FFNNorm:    b.vector(name("ffn_norm.weight"), d),
			FFNGate:    b.matrix(name("ffn_gate.weight"), d, ff),
			FFNUp:      b.matrix(name("ffn_up.weight"), d, ff),
			FFNDown:    b.matrix(name("ffn_down.weight"), ff, d),
		}
	}
	return m
}

func (m *qwen3) forward(s *State, tokens []int32, pos int, out []float32) {
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
		// Attention: x += Wo · attention(rope(norm_q(Wq·norm(x))), rope(norm_k(Wk·norm(x))), Wv·norm(x)),
		// norm_q and norm_k applied to each head separately.
		rmsNorm(xb, x, b.AttnNorm, c.RMSNormEpsilon)
		s.matmul(q, xb, b.AttnQ)
		s.matmul(k, xb, b.AttnK)
		s.matmul(v, xb, b.AttnV)
		rmsNorm(q, q, b.AttnQNorm, c.RMSNormEpsilon) // rows of HeadDim: one per head
		rmsNorm(k, k, b.AttnKNorm, c.RMSNormEpsilon)
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
