package service

import (
	"context"
	"fmt"
	"time"

	"nibble/assets"
	"nibble/catalog"
	"nibble/quant/eval"
)

// The quality check's size, chosen so that a 1B model's check takes about a
// minute on a laptop: the KL divergence over 8 chunks of 256 tokens (1,016
// scored; its mean is then known to about ±5 %, while the levels differ by
// ×2 to ×3 per bit), then agreement on 4 prompts of 32 tokens, 32 written.
// With 2 threads evaluating 50 to 100 tokens a second per model and writing
// 5 to 20, that is 40 to 80 s for the chunks (4,080 tokens) and 15 to 25 s
// for the agreement (up to 256 tokens written one at a time).
const (
	qualityContext      = 256 // at most: shorter if the model's training context is
	qualityChunks       = 8
	qualityPrompts      = 4
	qualityPromptTokens = 32
	qualityGenerate     = 32
)

// MeasureQuality measures how close variant's predictions are to those of
// its model's best source variant in the catalog (F32, else F16, else BF16,
// else the largest variant present), on the quality text shipped with Nibble
// (assets.QualityText), and stores the result on variant
// (catalog.SetQuality), where Advise and the library read it. The figures
// are those of eval.Compare: mean KL divergence, same top token, both
// perplexities and multi-step agreement. The source variant itself gets KL
// divergence 0 and full agreement, and only its perplexity is measured.
//
// progress, if not nil, is called after each step (chunk or prompt) with
// the steps done and their total. Cost: for a 1B model about a minute on a
// laptop (see qualityChunks); memory: both files mapped, two small States.
// Cancelling ctx stops it between steps and stores nothing.
func (s *Service) MeasureQuality(ctx context.Context, variant catalog.Variant, progress func(done, total int)) (catalog.Quality, error) {
	e, others, err := s.Catalog.LookupFile(variant.Path)
	if err != nil {
		return catalog.Quality{}, err
	}
	variant = e.Variants[0]
	source := BestSource(append(others, variant))
	opts := eval.CompareOptions{
		Options: eval.Options{Chunks: qualityChunks},
		Prompts: qualityPrompts, PromptTokens: qualityPromptTokens, Generate: qualityGenerate,
	}
	if progress != nil {
		opts.Progress = func(p eval.Progress) { progress(p.Done, p.Total) }
	}
	open := func(path string) (*eval.Model, error) {
		return eval.Open(path, eval.OpenOptions{MaxContext: qualityContext, Positions: qualityPromptTokens + qualityGenerate})
	}
	base, err := open(source.Path)
	if err != nil {
		return catalog.Quality{}, fmt.Errorf("the reference variant %s: %w", source.Tag, err)
	}
	defer base.Close()
	text := eval.NewText(base.Tokenizer, assets.QualityText)
	opts.Context = base.Context

	q := catalog.Quality{Reference: source.ID}
	if source.ID == variant.ID {
		r, err := eval.Perplexity(ctx, base.Model, text, opts.Options)
		if err != nil {
			return catalog.Quality{}, err
		}
		q.SameTop, q.PPL, q.PPLReference = 1, r.PPL, r.PPL
		q.AgreementTokens, q.AgreementOf = qualityGenerate, qualityGenerate
	} else {
		m, err := open(variant.Path)
		if err != nil {
			return catalog.Quality{}, err
		}
		defer m.Close()
		c, err := eval.Compare(ctx, base.Model, m.Model, text, opts)
		if err != nil {
			return catalog.Quality{}, err
		}
		q.KLD, q.SameTop, q.PPL, q.PPLReference = c.KLDMean, c.SameTop, c.PPLVariant, c.PPLBase
		q.AgreementTokens, q.AgreementOf = c.AgreementTokensMean, c.Generate
	}
	q.Measured = time.Now()
	if _, err := s.Catalog.SetQuality(variant.ID, q); err != nil {
		return catalog.Quality{}, err
	}
	return q, nil
}
