package model

// qwen2 is the Qwen2 architecture (Qwen2, Qwen2.5), as llama.cpp's
// build_qwen2 computes it: Llama's block with required biases on the query,
// key and value projections, and NEOX RoPE. Weight shapes are in weights.go.
type qwen2 struct {
	ends
	Blk []qwen2Block
}

type qwen2Block struct {
	attnWeights
	qkvBiases
	ffnWeights
}

func loadQwen2(b *binder) network {
	b.cfg.RopeNeox = true
	m := &qwen2{ends: b.ends(), Blk: make([]qwen2Block, b.cfg.Layers)}
	for i := range m.Blk {
		m.Blk[i] = qwen2Block{b.attn(i), b.qkvBiases(i, b.vector), b.ffn(i)}
	}
	return m
}

func (m *qwen2) forward(s *State, tokens []int32, pos int, out []float32) {
	a := s.activations(len(tokens))
	s.ropeTable(pos, a.n, nil)
	embed(a.x, m.TokenEmbd, tokens)

	for l := range m.Blk {
		b := &m.Blk[l]
		// Attention: x += Wo · attention(rope(Wq·norm(x) + bq), rope(Wk·norm(x) + bk), Wv·norm(x) + bv).
		s.qkv(&a, &b.attnWeights, &b.qkvBiases)
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
