package model

import "fmt"

// llama is the Llama architecture (Llama 2 and 3.x, TinyLlama, Mistral,
// SmolLM…), as llama.cpp's build_llama computes it. Shapes are in ggml order,
// [input width, output rows]; n_embd = EmbeddingLength, n_q = Heads ·
// HeadDim, n_kv = KVHeads · HeadDim, n_ff = FeedForwardLength.
type llama struct {
	TokenEmbd  matrix    // token_embd.weight   [n_embd, n_vocab]
	RopeFreqs  []float32 // rope_freqs.weight   [RopeDims/2], optional: Llama 3.1+ long-context frequency factors
	Blk        []llamaBlock
	OutputNorm []float32 // output_norm.weight  [n_embd]
	Output     matrix    // output.weight       [n_embd, n_vocab]; token_embd.weight if absent (tied embeddings)
}

type llamaBlock struct {
	AttnNorm       []float32 // blk.N.attn_norm.weight   [n_embd]
	AttnQ          matrix    // blk.N.attn_q.weight      [n_embd, n_q]
	AttnK          matrix    // blk.N.attn_k.weight      [n_embd, n_kv]
	AttnV          matrix    // blk.N.attn_v.weight      [n_embd, n_kv]
	AttnOutput     matrix    // blk.N.attn_output.weight [n_q, n_embd]
	AttnQBias      []float32 // blk.N.attn_q.bias        [n_q], optional (as the four biases below)
	AttnKBias      []float32 // blk.N.attn_k.bias        [n_kv]
	AttnVBias      []float32 // blk.N.attn_v.bias        [n_kv]
	AttnOutputBias []float32 // blk.N.attn_output.bias   [n_embd]
	FFNNorm        []float32 // blk.N.ffn_norm.weight    [n_embd]
	FFNGate        matrix    // blk.N.ffn_gate.weight    [n_embd, n_ff]
	FFNUp          matrix    // blk.N.ffn_up.weight      [n_embd, n_ff]
	FFNDown        matrix    // blk.N.ffn_down.weight    [n_ff, n_embd]
	FFNGateBias    []float32 // blk.N.ffn_gate.bias      [n_ff], optional (as the two below)
	FFNUpBias      []float32 // blk.N.ffn_up.bias        [n_ff]
	FFNDownBias    []float32 // blk.N.ffn_down.bias      [n_embd]
}

func loadLlama(b *binder) network {
	c := b.cfg
	if c.RopeDims != c.HeadDim { // llama.cpp refuses these too ("invalid n_rot")
		b.fail(fmt.Errorf("model: llama.rope.dimension_count %d differs from the head size %d", c.RopeDims, c.HeadDim))
	}
	nq, nkv, d, ff := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim, c.EmbeddingLength, c.FeedForwardLength
	m := &llama{
		TokenEmbd:  b.embeddings("token_embd.weight"),
		RopeFreqs:  b.optVector("rope_freqs.weight", c.RopeDims/2),
		Blk:        make([]llamaBlock, c.Layers),
		OutputNorm: b.vector("output_norm.weight", d),
		Output:     b.output(),
	}
	for i := range m.Blk {
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		m.Blk[i] = llamaBlock{
			AttnNorm:       b.vector(name("attn_norm.weight"), d),
			AttnQ:          b.matrix(name("attn_q.weight"), d, nq),
			AttnK:          b.matrix(name("attn_k.weight"), d, nkv),
			AttnV:          b.matrix(name("attn_v.weight"), d, nkv),
			AttnOutput:     b.matrix(name("attn_output.weight"), nq, d),
			AttnQBias:      b.optVector(name("attn_q.bias"), nq),
			AttnKBias:      b.optVector(name("attn_k.bias"), nkv),
			AttnVBias:      b.optVector(name("attn_v.bias"), nkv),
			AttnOutputBias: b.optVector(name("attn_output.bias"), d),
			FFNNorm:        b.vector(name("ffn_norm.weight"), d),
			FFNGate:        b.matrix(name("ffn_gate.weight"), d, ff),
			FFNUp:          b.matrix(name("ffn_up.weight"), d, ff),
			FFNDown:        b.matrix(name("ffn_down.weight"), ff, d),
			FFNGateBias:    b.optVector(name("ffn_gate.bias"), ff),
			FFNUpBias:      b.optVector(name("ffn_up.bias"), ff),
			FFNDownBias:    b.optVector(name("ffn_down.bias"), d),
		}
	}
	return m
}

func (m *llama) forward(s *State, tokens []int32, pos int, out []float32) {
	c := &s.m.cfg
	a := s.activations(len(tokens))
	s.ropeTable(pos, a.n, m.RopeFreqs) // the same angles serve every layer
	embed(a.x, m.TokenEmbd, tokens)

	for l, b := range m.Blk {
		// Attention: x += Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x)).
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
		addBias(a.xb, b.AttnOutputBias)
		if l == len(m.Blk)-1 && !s.keepOutputRows(&a, out) { // only rows whose logits are wanted go on
			return
		}
		add(a.x, a.xb)

		// Feed-forward: x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x)).
		s.feedForward(&a, b.FFNNorm, b.FFNGate, b.FFNUp, b.FFNDown, b.FFNGateBias, b.FFNUpBias, b.FFNDownBias)
	}

	s.output(out, a.x, m.OutputNorm, m.Output) // logits [n or 1][n_vocab]
}
