package eval

import (
	"context"
	"math"

	"nibble/engine/model"
)

// PerplexityResult is a model's perplexity on a text (see the package
// comment for the method).
type PerplexityResult struct {
	PPL      float64 `json:"ppl"`           // exp(mean negative log-likelihood of the scored tokens)
	PPLError float64 `json:"ppl_error"`     // llama-perplexity's "±": PPL · sqrt(var(NLL) / (n-1))
	Tokens   int     `json:"tokens_scored"` // scored tokens: Chunks · (Context - 1 - Context/2)
	Chunks   int     `json:"chunks"`
	Context  int     `json:"ctx"`
}

// Perplexity evaluates m on text, chunk by chunk as opts say. m must be
// loaded for opts.Context positions or more. Cost: forward passes over
// Chunks·Context tokens (the first half of each chunk without logits) and a
// softmax over the vocabulary for every scored token; memory: one State and
// the logits of 64 positions. Cancelling ctx stops it between chunks.
func Perplexity(ctx context.Context, m *model.Model, text Text, opts Options) (PerplexityResult, error) {
	chunks, err := text.chunks(opts)
	if err != nil {
		return PerplexityResult{}, err
	}
	e, err := newEvaluator(m, opts.Context)
	if err != nil {
		return PerplexityResult{}, err
	}
	var total nllSum
	for i, chunk := range chunks {
		if err := ctx.Err(); err != nil {
			return PerplexityResult{}, err
		}
		var c nllSum
		if err := e.begin(chunk); err != nil {
			return PerplexityResult{}, err
		}
		for _, sl := range scoredSlices(len(chunk)) {
			rows, err := e.next(chunk, sl[0], sl[1])
			if err != nil {
				return PerplexityResult{}, err
			}
			for r := range sl[1] - sl[0] {
				row := rows[r*e.vocab : (r+1)*e.vocab]
				mx, _, sumExp := rowStats(row)
				c.add(nll(row, chunk[sl[0]+r+1], mx, sumExp))
			}
		}
		total.merge(c)
		if opts.Progress != nil {
			opts.Progress(Progress{Done: i + 1, Total: len(chunks), PPL: total.ppl()})
		}
	}
	return PerplexityResult{PPL: total.ppl(), PPLError: total.pplError(), Tokens: total.n,
		Chunks: len(chunks), Context: opts.Context}, nil
}

// nllSum sums negative log-likelihoods in float64 as llama-perplexity does
// with one thread: each chunk's own sum, then that added to the total.
type nllSum struct {
	sum, sum2 float64
	n         int
}

func (s *nllSum) add(v float64) { s.sum += v; s.sum2 += v * v; s.n++ }

func (s *nllSum) merge(c nllSum) { s.sum += c.sum; s.sum2 += c.sum2; s.n += c.n }

func (s nllSum) ppl() float64 { return math.Exp(s.sum / float64(s.n)) }

// pplError is llama-perplexity's uncertainty of the perplexity: the
// standard error of the mean NLL, times the perplexity (d exp(x) = exp(x) dx).
func (s nllSum) pplError() float64 {
	_, err := meanAndError(s.sum, s.sum2, s.n)
	return s.ppl() * err
}

// meanAndError returns the mean of n values given their sum and sum of
// squares, and its standard error sqrt(variance / (n-1)) (0 when there is
// nothing to estimate it from).
func meanAndError(sum, sum2 float64, n int) (mean, err float64) {
	if n == 0 {
		return 0, 0
	}
	mean = sum / float64(n)
	if v := sum2/float64(n) - mean*mean; v > 0 && n > 1 {
		err = math.Sqrt(v / float64(n-1))
	}
	return mean, err
}

// rowStats returns a row of logits' largest value, the lowest id holding it
// (the greedy token), and Σ exp(logit - max), summed in float64 over
// float32 exponentials as llama-perplexity sums it.
func rowStats(row []float32) (mx float32, imax int, sumExp float64) {
	mx = row[0]
	for i, x := range row {
		if x > mx {
			mx, imax = x, i
		}
	}
	for _, x := range row {
		sumExp += float64(expf(x - mx))
	}
	return mx, imax, sumExp
}

// nll is the negative log-likelihood of token tok under a row of logits
// with rowStats mx and sumExp, in llama-perplexity's precision: the logit
// difference in float32, the log in float64.
func nll(row []float32, tok int32, mx float32, sumExp float64) float64 {
	return -(float64(row[tok]-mx) - math.Log(sumExp))
}

// expf is the C library's expf, correctly rounded (glibc's differs from it
// by an ulp for a few arguments, which moves the sums by ~1e-16).
func expf(x float32) float32 { return float32(math.Exp(float64(x))) }
