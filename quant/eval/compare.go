package eval

import (
	"context"
	"fmt"
	"math"
	"slices"

	"nibble/engine/model"
)

// CompareOptions say how Compare cuts the text and how it measures
// agreement.
type CompareOptions struct {
	Options
	// Prompts is how many prompts agreement is measured on, taken from
	// the text at evenly spaced places (0: no agreement measured).
	Prompts int
	// PromptTokens is the length of each prompt in tokens, BOS first
	// (0: 32).
	PromptTokens int
	// Generate is how many tokens the base generates from each prompt,
	// the most the variant can agree on (0: 64).
	Generate int
}

// withDefaults fills in the zero agreement lengths.
func (o CompareOptions) withDefaults() CompareOptions {
	if o.PromptTokens == 0 {
		o.PromptTokens = 32
	}
	if o.Generate == 0 {
		o.Generate = 64
	}
	return o
}

// ContextLength is the number of positions both models must be loaded for
// (model.Options.ContextLength).
func (o CompareOptions) ContextLength() int {
	o = o.withDefaults()
	if o.Prompts == 0 {
		return o.Context
	}
	return max(o.Context, o.PromptTokens+o.Generate)
}

// Comparison is how far a variant's predictions are from its base model's
// on a text. KLD figures are in nats per scored token, KL(base ‖ variant),
// computed as llama-perplexity --kl-divergence does (see the package
// comment).
type Comparison struct {
	KLDMean      float64 `json:"kld_mean"`
	KLDMeanError float64 `json:"kld_mean_error"` // standard error of the mean
	KLDMedian    float64 `json:"kld_median"`
	KLDP99       float64 `json:"kld_p99"`   // 99th percentile
	KLDP999      float64 `json:"kld_p99_9"` // 99.9th percentile
	KLDMax       float64 `json:"kld_max"`
	// SameTop is the fraction of scored positions (0..1) where both models'
	// most likely next token is the same.
	SameTop      float64 `json:"same_top"`
	SameTopError float64 `json:"same_top_error"`

	// The exact perplexities, as Perplexity computes them, and their
	// difference PPLVariant - PPLBase.
	PPLBase         float64 `json:"ppl_base"`
	PPLBaseError    float64 `json:"ppl_base_error"`
	PPLVariant      float64 `json:"ppl_variant"`
	PPLVariantError float64 `json:"ppl_variant_error"`
	DeltaPPL        float64 `json:"delta_ppl"`

	Tokens  int `json:"tokens_scored"`
	Chunks  int `json:"chunks"`
	Context int `json:"ctx"`

	// Multi-step agreement: from each of Prompts prompts of PromptTokens
	// tokens, the base generates Generate tokens greedily; the variant,
	// generating greedily from the same prompt, produces
	// AgreementTokensMean of them on average before its first different
	// token, and the whole continuation for the fraction AgreementFull of
	// the prompts (0..1).
	Prompts             int     `json:"prompts"`
	PromptTokens        int     `json:"prompt_tokens"`
	Generate            int     `json:"generate"`
	AgreementTokensMean float64 `json:"agreement_tokens_mean"`
	AgreementFull       float64 `json:"agreement_full"`
}

// Compare measures variant against base on text: KL divergence, same top
// token and both perplexities over the chunks opts asks for, then
// multi-step agreement on opts.Prompts prompts. Both models must share the
// vocabulary and be loaded for opts.ContextLength() positions. Each chunk
// is evaluated by the base, then by the variant, 64 positions at a time, so
// memory holds one State per model and the logits of 64 positions of each,
// never all of the base's. Cost: twice Perplexity's, plus up to Generate
// single-token steps per prompt and model. Cancelling ctx stops it between
// chunks and prompts.
func Compare(ctx context.Context, base, variant *model.Model, text Text, opts CompareOptions) (Comparison, error) {
	opts = opts.withDefaults()
	if vb, vv := base.Config().VocabSize, variant.Config().VocabSize; vb != vv {
		return Comparison{}, fmt.Errorf("the models have different vocabularies (%d and %d tokens)", vb, vv)
	}
	if opts.Prompts < 0 || opts.PromptTokens < 1 || opts.Generate < 1 || opts.PromptTokens > len(text.Tokens) {
		return Comparison{}, fmt.Errorf("agreement over %d prompts of %d tokens, %d generated, from a text of %d tokens: not possible",
			opts.Prompts, opts.PromptTokens, opts.Generate, len(text.Tokens))
	}
	chunks, err := text.chunks(opts.Options)
	if err != nil {
		return Comparison{}, err
	}
	eb, err := newEvaluator(base, opts.ContextLength())
	if err != nil {
		return Comparison{}, fmt.Errorf("base: %w", err)
	}
	ev, err := newEvaluator(variant, opts.ContextLength())
	if err != nil {
		return Comparison{}, fmt.Errorf("variant: %w", err)
	}
	total := len(chunks) + opts.Prompts

	var nllBase, nllVariant nllSum
	var k kldSum
	progress := func(done int) {
		if opts.Progress != nil {
			opts.Progress(Progress{Done: done, Total: total, PPL: nllVariant.ppl(), KLD: k.sum / float64(len(k.values))})
		}
	}
	b := baseRow{q: make([]uint16, eb.vocab)}
	for i, chunk := range chunks {
		if err := ctx.Err(); err != nil {
			return Comparison{}, err
		}
		cb, cv, ck, err := compareChunk(eb, ev, &b, chunk)
		if err != nil {
			return Comparison{}, err
		}
		nllBase.merge(cb)
		nllVariant.merge(cv)
		k.merge(ck)
		progress(i + 1)
	}

	c := Comparison{
		PPLBase: nllBase.ppl(), PPLBaseError: nllBase.pplError(),
		PPLVariant: nllVariant.ppl(), PPLVariantError: nllVariant.pplError(),
		Tokens: nllBase.n, Chunks: len(chunks), Context: opts.Context,
		Prompts: opts.Prompts, PromptTokens: opts.PromptTokens, Generate: opts.Generate,
	}
	c.DeltaPPL = c.PPLVariant - c.PPLBase
	k.summarize(&c)

	agreed, full := 0, 0
	for i := range opts.Prompts {
		if err := ctx.Err(); err != nil {
			return Comparison{}, err
		}
		// Prompts start at evenly spaced tokens, the first at the text's
		// start, and begin with BOS like the chunks.
		prompt := text.start(i*(len(text.Tokens)-opts.PromptTokens)/opts.Prompts, opts.PromptTokens)
		want, err := eb.generate(prompt, opts.Generate, nil)
		if err != nil {
			return Comparison{}, err
		}
		got, err := ev.generate(prompt, opts.Generate, want)
		if err != nil {
			return Comparison{}, err
		}
		agreed += len(got)
		if len(got) == opts.Generate {
			full++
		}
		progress(len(chunks) + i + 1)
	}
	if opts.Prompts > 0 {
		c.AgreementTokensMean = float64(agreed) / float64(opts.Prompts)
		c.AgreementFull = float64(full) / float64(opts.Prompts)
	}
	return c, nil
}

// compareChunk evaluates chunk with the base, then the variant, slice by
// slice, and returns the chunk's negative log-likelihoods under each and
// its KL divergences. Each base row is compressed into b before the
// variant's row is compared with it.
func compareChunk(eb, ev *evaluator, b *baseRow, chunk []int32) (cb, cv nllSum, ck kldSum, err error) {
	if err := eb.begin(chunk); err != nil {
		return cb, cv, ck, err
	}
	if err := ev.begin(chunk); err != nil {
		return cb, cv, ck, err
	}
	vocab := eb.vocab
	for _, sl := range scoredSlices(len(chunk)) {
		rowsB, err := eb.next(chunk, sl[0], sl[1])
		if err != nil {
			return cb, cv, ck, err
		}
		rowsV, err := ev.next(chunk, sl[0], sl[1])
		if err != nil {
			return cb, cv, ck, err
		}
		for r := range sl[1] - sl[0] {
			tok := chunk[sl[0]+r+1]
			rowB, rowV := rowsB[r*vocab:(r+1)*vocab], rowsV[r*vocab:(r+1)*vocab]
			mxB, sumExpB := b.set(rowB)
			cb.add(nll(rowB, tok, mxB, sumExpB))
			mx, imax, sumExp := rowStats(rowV)
			cv.add(nll(rowV, tok, mx, sumExp))
			ck.add(b.kld(rowV, mx, imax, sumExp))
		}
	}
	return cb, cv, ck, nil
}

// generate evaluates prompt from an empty cache and generates up to n tokens
// greedily (the most likely token, the lowest id of a tie, as llama.cpp's
// greedy sampler picks it), one at a time. With want, it stops before the
// first token that differs from want's.
func (e *evaluator) generate(prompt []int32, n int, want []int32) ([]int32, error) {
	e.state.Truncate(0)
	row := e.logits[:e.vocab]
	if err := e.state.Forward(prompt, 0, row); err != nil {
		return nil, err
	}
	out := make([]int32, 0, n)
	for {
		_, imax, _ := rowStats(row)
		t := int32(imax)
		if want != nil && t != want[len(out)] {
			return out, nil
		}
		out = append(out, t)
		if len(out) == n {
			return out, nil
		}
		if err := e.state.Forward(out[len(out)-1:], e.state.Len(), row); err != nil {
			return nil, err
		}
	}
}

// baseRow is the base model's log-probabilities at one position as
// llama-perplexity --kl-divergence-base stores them: 16 bits per token,
// logProb(i) = scale·q[i] + minLogProb, over the range from the largest
// logit down to 16 below it (or the smallest logit, if higher); tokens
// below that range get q = 0.
type baseRow struct {
	scale, minLogProb float32
	q                 []uint16
}

// set compresses a row of base logits into b and returns the row's
// rowStats max and sum of exponentials. The arithmetic is float32 as in
// llama-perplexity; explicit conversions keep Go from fusing a product and a
// sum into one FMA (which it may do on some GOARCH), so that every machine
// computes the same figures.
func (b *baseRow) set(row []float32) (mx float32, sumExp float64) {
	mx, _, sumExp = rowStats(row)
	lo := slices.Min(row)
	lo = max(lo, mx-16)
	logSumExp := float32(math.Log(sumExp))
	b.minLogProb = lo - mx - logSumExp
	b.scale = (mx - lo) / 65535
	if b.scale == 0 {
		clear(b.q)
		return mx, sumExp
	}
	inv := 1 / b.scale
	for i, x := range row {
		b.q[i] = 0
		if x > lo {
			b.q[i] = uint16(nearestInt(float32(inv * (x - lo))))
		}
	}
	return mx, sumExp
}

// logProb returns token i's compressed log-probability.
func (b *baseRow) logProb(i int) float32 {
	return float32(b.scale*float32(b.q[i])) + b.minLogProb
}

// nearestInt rounds x to the nearest integer, halves to even, as ggml's
// nearest_int does (adding 1.5·2^23 in float32), for |x| < 2^22.
func nearestInt(x float32) int32 {
	v := x + 12582912
	return int32(math.Float32bits(v)&0x007fffff) - 0x00400000
}

// kld returns KL(base ‖ variant) at one position from the variant's row of
// logits and its rowStats, as llama-perplexity computes it: over the tokens
// whose base log-probability exceeds -16, Σ p_base · (log p_base - log
// p_variant), each term in float32, summed in float64; and whether the
// variant's most likely token is the base's (the lowest id of a tie of
// compressed log-probabilities, the lowest id of a tie of logits).
func (b *baseRow) kld(row []float32, mx float32, imax int, sumExp float64) (kld float64, sameTop bool) {
	logZ := mx + float32(math.Log(sumExp))
	best, imaxBase := float32(0), 0
	for i, x := range row {
		lp := b.logProb(i)
		if i == 0 || lp > best {
			best, imaxBase = lp, i
		}
		if lp > -16 {
			kld += float64(float32(expf(lp) * (lp - x + logZ)))
		}
	}
	return kld, imax == imaxBase
}

// kldSum accumulates the per-position KL divergences as llama-perplexity
// does: sums in float64 (a chunk's, then added to the total), each value
// kept as float32 for the percentiles.
type kldSum struct {
	sum, sum2 float64
	same      int
	values    []float32
}

func (k *kldSum) add(kld float64, sameTop bool) {
	k.sum += kld
	k.sum2 += kld * kld
	if sameTop {
		k.same++
	}
	k.values = append(k.values, float32(kld))
}

func (k *kldSum) merge(c kldSum) {
	k.sum += c.sum
	k.sum2 += c.sum2
	k.same += c.same
	k.values = append(k.values, c.values...)
}

// summarize fills c's KLD and same-top figures.
func (k *kldSum) summarize(c *Comparison) {
	n := len(k.values)
	if n == 0 {
		return
	}
	c.KLDMean, c.KLDMeanError = meanAndError(k.sum, k.sum2, n)
	c.SameTop = float64(k.same) / float64(n)
	if n > 1 {
		c.SameTopError = math.Sqrt(c.SameTop * (1 - c.SameTop) / float64(n-1))
	}
	v := slices.Clone(k.values)
	slices.Sort(v)
	median := v[n/2]
	if n%2 == 0 {
		median = 0.5 * (v[n/2-1] + v[n/2])
	}
	c.KLDMedian = float64(median)
	c.KLDP99 = float64(percentile(v, 0.99))
	c.KLDP999 = float64(percentile(v, 0.999))
	c.KLDMax = float64(v[n-1])
}

// percentile interpolates between the sorted values around fraction·(n-1)
// in float32, as llama-perplexity does.
func percentile(sorted []float32, fraction float32) float32 {
	p := fraction * float32(len(sorted)-1)
	i := int(p)
	p -= float32(i)
	return float32((1-p)*sorted[i]) + float32(p*sorted[min(i+1, len(sorted)-1)])
}
