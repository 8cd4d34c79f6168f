package model

// qwen3 is the Qwen3 architecture (dense models), as llama.cpp's build_qwen3
// computes it: Llama's block without biases, with an RMSNorm over each query
// and key head before RoPE, and NEOX RoPE. Its head size (key_length) is
// often not n_embd/Heads. Weight shapes are in weights.go.
type qwen3 struct {
	ends
	Blk []qwen3Block
}

type qwen3Block struct {
	attnWeights
	AttnQNorm []float32 // blk.N.attn_q_norm.weight [HeadDim], shared by every query head
	AttnKNorm []float32 // blk.N.attn_k_norm.weight [HeadDim], shared by every key head
	ffnWeights
}

func loadQwen3(b *binder) network {
	c := b.cfg
	c.RopeNeox = true
	m := &qwen3{ends: b.ends(), Blk: make([]qwen3Block, c.Layers)}
	for i := range m.Blk {
		m.Blk[i] = qwen3Block{
			attnWeights: b.attn(i),
			AttnQNorm:   b.vector(blockName(i, "attn_q_norm.weight"), c.HeadDim),
			AttnKNorm:   b.vector(blockName(i, "attn_k_norm.weight"), c.HeadDim),
			ffnWeights:  b.ffn(i),
		}
	}
	return m
}

func (m *qwen3) forward(s *State, tokens []int32, pos int, out []float32) {
	c := &s.m.cfg
	a := s.activations(len(tokens))
	s.ropeTable(pos, a.n, nil)
	embed(a.x, m.TokenEmbd, tokens)

	for l := range m.Blk {
		b := &m.Blk[l]
		// Attention: x += Wo · attention(rope(norm_q(Wq·norm(x))), rope(norm_k(Wk·norm(x))), Wv·norm(x)),
		// norm_q and norm_k applied to each head separately.
		s.qkv(&a, &b.attnWeights, &qkvBiases{})
		rmsNorm(a.q, a.q, b.AttnQNorm, c.RMSNormEpsilon) // rows of HeadDim: one per head
		rmsNorm(a.k, a.k, b.AttnKNorm, c.RMSNormEpsilon)
		s.rope(a.q, a.n)
		s.rope(a.k, a.n)
		s.attention(l, a.att, a.q, a.k, a.v, pos)
		s.matmul(a.att, product{a.xb, b.AttnOutput})
		if l == len(m.Blk)-1 && !s.keepOutputRows(&a, out) { // only rows whose logits are wanted go on
			return
		}
		add(a.x, a.xb)

		// Feed-forward: x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x)).
		s.feedForward(&a, &b.ffnWeights, nil, nil, nil)
	}

	s.output(out, a.x, m.OutputNorm, m.Output) // logits [n or 1][n_vocab]
}
