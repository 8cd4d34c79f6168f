package model

import "fmt"

// llama is the Llama architecture (Llama 2 and 3.x, TinyLlama, Mistral,
// SmolLM…), as llama.cpp's build_llama computes it. Weight shapes are in
// weights.go.
type llama struct {
	ends
	RopeFreqs []float32 // rope_freqs.weight [RopeDims/2], optional: Llama 3.1+ long-context frequency factors
	Blk       []llamaBlock
}

type llamaBlock struct {
	attnWeights
	qkvBiases                // optional
	AttnOutputBias []float32 // blk.N.attn_output.bias [n_embd], optional (as the three FFN biases)
	ffnWeights
	FFNGateBias []float32 // blk.N.ffn_gate.bias [n_ff]
	FFNUpBias   []float32 // blk.N.ffn_up.bias   [n_ff]
	FFNDownBias []float32 // blk.N.ffn_down.bias [n_embd]
}

func loadLlama(b *binder) network {
	c := b.cfg
	if c.RopeDims != c.HeadDim { // llama.cpp refuses these too ("invalid n_rot")
		b.fail(fmt.Errorf("model: llama.rope.dimension_count %d differs from the head size %d", c.RopeDims, c.HeadDim))
	}
	d, ff := c.EmbeddingLength, c.FeedForwardLength
	m := &llama{
		ends:      b.ends(),
		RopeFreqs: b.optVector("rope_freqs.weight", c.RopeDims/2),
		Blk:       make([]llamaBlock, c.Layers),
	}
	for i := range m.Blk {
		m.Blk[i] = llamaBlock{
			attnWeights:    b.attn(i),
			qkvBiases:      b.qkvBiases(i, b.optVector),
			AttnOutputBias: b.optVector(blockName(i, "attn_output.bias"), d),
			ffnWeights:     b.ffn(i),
			FFNGateBias:    b.optVector(blockName(i, "ffn_gate.bias"), ff),
			FFNUpBias:      b.optVector(blockName(i, "ffn_up.bias"), ff),
			FFNDownBias:    b.optVector(blockName(i, "ffn_down.bias"), d),
		}
	}
	return m
}

func (m *llama) forward(s *State, tokens []int32, pos int, out []float32) {
	a := s.activations(len(tokens))
	s.ropeTable(pos, a.n, m.RopeFreqs) // the same angles serve every layer
	embed(a.x, m.TokenEmbd, tokens)

	for l := range m.Blk {
		b := &m.Blk[l]
		// Attention: x += Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x)).
		s.qkv(&a, &b.attnWeights, &b.qkvBiases)
		s.rope(a.q, a.n)
		s.rope(a.k, a.n)
		s.attention(l, a.att, a.q, a.k, a.v, pos)
		s.matmul(a.att, product{a.xb, b.AttnOutput})
		addBias(a.xb, b.AttnOutputBias)
		if l == len(m.Blk)-1 && !s.keepOutputRows(&a, out) { // only rows whose logits are wanted go on
			return
		}
		add(a.x, a.xb)

		// Feed-forward: x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x)).
		s.feedForward(&a, &b.ffnWeights, b.FFNGateBias, b.FFNUpBias, b.FFNDownBias)
	}

	s.output(out, a.x, m.OutputNorm, m.Output) // logits [n or 1][n_vocab]
}
