package model

import (
	"math"

	"nibble/engine/gguf"
	"nibble/engine/kernels"
	"nibble/quant"
)

// The layers every architecture shares. They work on batches stored
// row-major, [token][width], and compute what llama.cpp's CPU backend
// computes for the same graph node (ggml-cpu ops.cpp / ggml-cpu.c).

// embed sets row i of x to the embedding of tokens[i], dequantized to
// float32 (ggml's get_rows).
func embed(x []float32, emb matrix, tokens []int32) {
	for i, t := range tokens {
		row := emb.data[int(t)*emb.rowBytes : (int(t)+1)*emb.rowBytes]
		quant.Dequantize(emb.typ, x[i*emb.cols:(i+1)*emb.cols], row) // types checked at load
	}
}

// rmsNorm sets each row of out (rows of len(w)) to the row of x divided by
// its root mean square, times w. As in ggml: squares summed in float64, the
// mean and the scale rounded to float32, then x·scale, then ·w.
func rmsNorm(out, x, w []float32, eps float32) {
	d := len(w)
	for r := 0; r < len(x); r += d {
		xr, or := x[r:r+d], out[r:r+d]
		var sum float64
		for _, v := range xr {
			sum += float64(v * v)
		}
		mean := float32(sum / float64(d))
		scale := 1 / float32(math.Sqrt(float64(mean+eps)))
		for i, v := range xr {
			or[i] = v * scale * w[i]
		}
	}
}

// ropeTable fills s.ropeTab with cos and sin of the rotation angle of every
// dimension pair at positions pos..pos+n-1, as ggml's rope cache: the angle
// of pair i is pos·base^(-2i/dims) divided by freqs[i] (Llama 3 frequency
// factors, rope_freqs.weight; nil means 1) and scaled by RopeFreqScale. The
// frequency is built by repeated float32 multiplication, as ggml does, not
// with one power per pair, so that the angles round the same way. cos and
// sin are glibc's cosf and sinf (libm.go), which round a few angles in a
// hundred differently from math.Cos and math.Sin. The ratio base^(-2/dims)
// is math.Pow rounded to float32, which equals glibc's powf for the 252
// (base, dims) pairs checked (bases 10^4 to 10^7, dims 8 to 256).
func (s *State) ropeTable(pos, n int, freqs []float32) {
	c := &s.m.cfg
	thetaScale := float32(math.Pow(float64(c.RopeFreqBase), float64(-2/float32(c.RopeDims))))
	for i := range n {
		tab := s.ropeTab[i*c.RopeDims : (i+1)*c.RopeDims]
		theta := float32(pos + i)
		for p := 0; p < c.RopeDims/2; p++ {
			t := theta
			if freqs != nil {
				t /= freqs[p]
			}
			t *= c.RopeFreqScale
			tab[2*p] = cosf(t)
			tab[2*p+1] = sinf(t)
			theta *= thetaScale
		}
	}
}

// rope rotates the first RopeDims dimensions of every head of x ([n][heads ·
// HeadDim]) by the angles of s.ropeTab. llama.cpp's "normal" layout rotates
// adjacent pairs (2p, 2p+1); NEOX (Config.RopeNeox) pairs dimension p with
// p + RopeDims/2, which is how Hugging Face checkpoints rotate when converted
// without permuting Q and K (Qwen).
func (s *State) rope(x []float32, n int) {
	c := &s.m.cfg
	half := c.RopeDims / 2
	width := len(x) / n
	for i := range n {
		tab := s.ropeTab[i*c.RopeDims : (i+1)*c.RopeDims]
		for h := i * width; h < (i+1)*width; h += c.HeadDim {
			head := x[h : h+c.RopeDims]
			for p := range half {
				a, b := 2*p, 2*p+1
				if c.RopeNeox {
					a, b = p, p+half
				}
				cos, sin := tab[2*p], tab[2*p+1]
				x0, x1 := head[a], head[b]
				// The C compiler that built the reference (GCC, whose
				// default is -ffp-contract=fast) fuses ggml's
				// x0·cos - x1·sin into one FMA; so does this, explicitly,
				// to get the same bits on every GOARCH.
				head[a] = fma32(x0, cos, -float32(x1*sin))
				head[b] = fma32(x0, sin, float32(x1*cos))
			}
		}
	}
}

// attention runs grouped-query attention for the n tokens of layer l at
// positions pos..pos+n-1: their keys and values (k, v: [n][KVHeads·HeadDim])
// go into the cache first, then each query head h of token i (q: [n][Heads ·
// HeadDim]) attends to positions 0..pos+i through key/value head h/(Heads /
// KVHeads), writing out [n][Heads·HeadDim]. The (token, head) pairs are
// shared between the threads, each with its own scratch.
//
// The numbers are llama.cpp's with its default F16 cache: keys and values
// stored as F16, the query rounded to F16 for the K·q products, scores
// scaled by 1/sqrt(HeadDim), softmax in float32 with ggml's vectorized exp
// and a float64 sum, and the probabilities rounded to F16 for the ·V
// products, each product summed in the order of the kernel llama.cpp picks
// for a batch of tokens or for one (kernels.KVScores, KVWeightedSum). With
// an F32 cache nothing is rounded to F16.
func (s *State) attention(l int, out, q, k, v []float32, pos int) {
	c := &s.m.cfg
	kt := s.m.kvType
	kvw := c.KVHeads * c.HeadDim
	rb, _ := kt.RowBytes(kvw)
	n := len(k) / kvw
	kc, vc := s.kcache[l], s.vcache[l]
	for i := range n {
		p := pos + i
		kernels.QuantizeVec(kt, kc[p*rb:(p+1)*rb], k[i*kvw:(i+1)*kvw])
		kernels.QuantizeVec(kt, vc[p*rb:(p+1)*rb], v[i*kvw:(i+1)*kvw])
	}

	pairs := n * c.Heads
	if len(s.heads) == 1 { // no closure: one thread allocates nothing
		s.attendHeads(&s.heads[0], 0, pairs, out, q, kc, vc, pos)
		return
	}
	chunk := max(1, pairs/(4*len(s.heads)))
	parallel(pairs, chunk, len(s.heads), func(part, lo, hi int) {
		s.attendHeads(&s.heads[part], lo, hi, out, q, kc, vc, pos)
	})
}

// attendHeads runs attention for the (token, head) pairs lo..hi-1 (pair
// i·Heads + h is head h of token i) with the keys and values of one layer's
// cache, kc and vc: scores, softmax, weighted values, as attention says.
func (s *State) attendHeads(sc *headScratch, lo, hi int, out, q []float32, kc, vc []byte, pos int) {
	c := &s.m.cfg
	kt, hd := s.m.kvType, c.HeadDim
	rb, _ := kt.RowBytes(c.KVHeads * hd)
	scale := 1 / float32(math.Sqrt(float64(hd)))
	group := c.Heads / c.KVHeads
	for ih := lo; ih < hi; ih++ {
		i, h := ih/c.Heads, ih%c.Heads
		probs := sc.scores[:pos+i+1] // causal: positions up to the token's own
		off := h / group * hd        // this head's columns in the cache rows
		s.roundKV(sc.q, q[ih*hd:(ih+1)*hd])
		kernels.KVScores(kt, probs, kc, rb, off, sc.q, scale, s.batched && hd%16 == 0)
		softmax(probs)
		s.roundKV(probs, probs)
		kernels.KVWeightedSum(kt, out[ih*hd:(ih+1)*hd], probs, vc, rb, off, s.batched, sc.acc)
	}
}

// roundKV sets dst to src rounded to the precision of the KV cache (F16, or
// unchanged for F32), the conversion llama.cpp applies to the query and to
// the probabilities before multiplying them with cached keys and values.
func (s *State) roundKV(dst, src []float32) {
	if s.m.kvType == gguf.F32 {
		copy(dst, src)
		return
	}
	kernels.RoundF16(dst, src)
}

// softmax replaces x by exp(x-max)/Σexp(x-max) as ggml's AVX-512 soft_max:
// the exponentials and their sum by kernels.SoftmaxExp, then every value
// multiplied by the float32 reciprocal of the sum.
func softmax(x []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	inv := float32(1 / kernels.SoftmaxExp(x, m))
	for i := range x {
		x[i] *= inv
	}
}

// swiglu sets gate[i] = silu(gate[i]) · up[i], silu(x) = x/(1+exp(-x)), the
// gated activation of the Llama feed-forward network. The rows (of width
// values) are computed as ggml's AVX-512 SiLU: kernels.SiLUMul for the
// leading multiple of 16, glibc's expf (libm.go) for the remainder.
func swiglu(gate, up []float32, width int) {
	vec := width &^ 15
	for r := 0; r < len(gate); r += width {
		kernels.SiLUMul(gate[r:r+vec], up[r:r+vec])
		for i := r + vec; i < r+width; i++ {
			g := gate[i]
			gate[i] = g / (1 + expf(-g)) * up[i]
		}
	}
}

// add sets x[i] += y[i]: the residual connections.
func add(x, y []float32) {
	for i, v := range y[:len(x)] {
		x[i] += v
	}
}

// addBias adds bias to every row of x (rows of len(bias)); a nil bias (an
// optional tensor the file lacks) adds nothing.
func addBias(x, bias []float32) {
	if len(bias) == 0 {
		return
	}
	for r := 0; r < len(x); r += len(bias) {
		add(x[r:r+len(bias)], bias)
	}
}

// minRowsPerWorker keeps small matrices on one thread, where waking more
// would cost more than it saves; rowAlign keeps the threads' row ranges
// whole tiles of the native kernels.
const (
	minRowsPerWorker = 64
	rowAlign         = 16
)

// product is one matrix product of a matmul step: y = x·Wᵀ.
type product struct {
	y []float32
	w matrix
}

// matmul computes products that share their input x: for each, row i of y
// ([n][w.rows]) is W times row i of x ([n][w.cols]). Each row of x is first
// encoded as the activation type of W's type (F32 stays F32, F16 weights
// take F16, quantized weights Q8_0, Q8_1 or Q8_K), as llama.cpp does before
// its dot products; kernels.MatMul then sums every product in the order
// llama.cpp's x86 build uses for a batch of this many tokens. The rows of
// all the matrices are shared by the Model's threads in one step (Q, K and
// V, or gate and up, wait for each other once, not once each); each thread
// reads its rows once for the whole batch. Products whose weights want
// different activation types run one after the other.
func (s *State) matmul(x []float32, ps ...product) {
	for i := 1; i < len(ps); i++ {
		if kernels.VecType(ps[i].w.typ) != kernels.VecType(ps[0].w.typ) {
			for _, p := range ps {
				s.matmul(x, p)
			}
			return
		}
	}
	cols := ps[0].w.cols
	if s.observe != nil {
		for _, p := range ps {
			s.observe(p.w.name, x, cols)
		}
	}
	n := len(x) / cols
	vt := kernels.VecType(ps[0].w.typ)
	ab, _ := vt.RowBytes(cols)
	act := s.act[:n*ab]
	for i := range n {
		kernels.QuantizeVec(vt, act[i*ab:(i+1)*ab], x[i*cols:(i+1)*cols])
	}
	rows := 0
	for _, p := range ps {
		rows += p.w.rows
	}
	parts := max(1, min(s.m.threads, rows/minRowsPerWorker))
	if parts == 1 { // no closure: one thread allocates nothing
		for _, p := range ps {
			kernels.MatMul(p.w.typ, p.w.data, p.w.rows, cols, act, n, p.y, 0, p.w.rows)
		}
		return
	}
	// A few chunks per thread: small enough to even out threads that
	// start late, large enough for the kernels' tiles and prefetching.
	// A batch takes fewer: its chunks are long anyway, and each call of a
	// kernel prepares the activations again. Chunk r of the step covers
	// rows of the matrices in turn.
	perThread := 4
	if n > 1 {
		perThread = 2
	}
	chunk := (rows/(perThread*parts) + rowAlign - 1) / rowAlign * rowAlign
	shared := append(s.products[:0], ps...) // the closure's copy: ps itself stays on the caller's stack
	parallel(rows, chunk, parts, func(_, lo, hi int) {
		for _, p := range shared {
			if lo < p.w.rows && hi > 0 {
				kernels.MatMul(p.w.typ, p.w.data, p.w.rows, cols, act, n, p.y, max(lo, 0), min(hi, p.w.rows))
			}
			lo -= p.w.rows
			hi -= p.w.rows
		}
	})
}

// outputRows is llama.cpp's "skip computing output for unused tokens": in
// the last layer, after attention, only the rows whose logits are wanted
// go on (ggml_get_rows with inp_out_ids): all n rows when out holds a row
// per token, the last one when it holds one row, none when it is empty.
// It moves the kept rows of x and xb ([n][EmbeddingLength]) to the front
// and returns how many there are. Besides saving the work, this is what
// makes a prompt decoded for its last logits only match llama.cpp's: the
// last layer's feed-forward network and the output projection then
// multiply one row, which llama.cpp sums in its single-token order.
func (s *State) outputRows(x, xb, out []float32, n int) int {
	d, vocab := s.m.cfg.EmbeddingLength, s.m.cfg.VocabSize
	switch len(out) {
	case n * vocab:
		return n
	case 0:
		return 0
	}
	copy(x, x[(n-1)*d:n*d])
	copy(xb, xb[(n-1)*d:n*d])
	return 1
}

// output computes the logits from the residual stream x (the rows
// outputRows kept): final RMSNorm, then the output projection (out empty:
// nothing).
func (s *State) output(out, x, norm []float32, w matrix) {
	if len(out) == 0 {
		return
	}
	xb := s.xb[:len(x)]
	rmsNorm(xb, x, norm, s.m.cfg.RMSNormEpsilon)
	s.matmul(xb, product{out, w})
}

// activations are one forward call's views of the State's buffers, for the n
// tokens being evaluated (shapes in the comments).
type activations struct {
	n    int
	x    []float32 // residual stream [n][n_embd]
	xb   []float32 // [n][n_embd]
	q    []float32 // [n][n_q]
	k    []float32 // [n][n_kv]
	v    []float32 // [n][n_kv]
	att  []float32 // [n][n_q]
	gate []float32 // [n][n_ff]
	up   []float32 // [n][n_ff]
}

func (s *State) activations(n int) activations {
	c := &s.m.cfg
	return activations{
		n:    n,
		x:    s.x[:n*c.EmbeddingLength],
		xb:   s.xb[:n*c.EmbeddingLength],
		q:    s.q[:n*c.Heads*c.HeadDim],
		k:    s.k[:n*c.KVHeads*c.HeadDim],
		v:    s.v[:n*c.KVHeads*c.HeadDim],
		att:  s.att[:n*c.Heads*c.HeadDim],
		gate: s.hb[:n*c.FeedForwardLength],
		up:   s.hb2[:n*c.FeedForwardLength],
	}
}

// keepOutputRows is called after the last layer's attention: it keeps only
// the rows whose logits out asks for (see outputRows) and reports whether
// any are left to finish.
func (s *State) keepOutputRows(a *activations, out []float32) bool {
	c := &s.m.cfg
	a.n = s.outputRows(a.x, a.xb, out, a.n)
	a.x, a.xb = a.x[:a.n*c.EmbeddingLength], a.xb[:a.n*c.EmbeddingLength]
	a.gate, a.up = a.gate[:a.n*c.FeedForwardLength], a.up[:a.n*c.FeedForwardLength]
	return a.n > 0
}

// feedForward adds the SwiGLU feed-forward block to the residual stream:
// x += Wdown · (silu(Wgate·norm(x) + bg) ⊙ (Wup·norm(x) + bu)) + bd, where
// the biases may be nil (most models have none).
func (s *State) feedForward(a *activations, w *ffnWeights, gateBias, upBias, downBias []float32) {
	c := &s.m.cfg
	rmsNorm(a.xb, a.x, w.FFNNorm, c.RMSNormEpsilon)
	s.matmul(a.xb, product{a.gate, w.FFNGate}, product{a.up, w.FFNUp})
	addBias(a.gate, gateBias)
	addBias(a.up, upBias)
	swiglu(a.gate, a.up, c.FeedForwardLength)
	s.matmul(a.gate, product{a.xb, w.FFNDown})
	addBias(a.xb, downBias)
	add(a.x, a.xb)
}
