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
	a := s.activations(len(tokens))
	s.ropeTable(pos, a.n, nil)
	embed(a.x, m.TokenEmbd, tokens)

	for l, b := range m.Blk {
		// Attention: x += Wo · attention(rope(norm_q(Wq·norm(x))), rope(norm_k(Wk·norm(x))), Wv·norm(x)),
		// norm_q and norm_k applied to each head separately.
		rmsNorm(a.xb, a.x, b.AttnNorm, c.RMSNormEpsilon)
		s.matmul(a.q, a.xb, b.AttnQ)
		s.matmul(a.k, a.xb, b.AttnK)
		s.matmul(a.v, a.xb, b.AttnV)
		rmsNorm(a.q, a.q, b.AttnQNorm, c.RMSNormEpsilon) // rows of HeadDim: one per head
		rmsNorm(a.k, a.k, b.AttnKNorm, c.RMSNormEpsilon)
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
