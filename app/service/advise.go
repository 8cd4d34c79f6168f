package service

import (
	"context"
	"fmt"
	"time"

	"nibble/catalog"
	"nibble/quant"
	"nibble/quant/advise"
)

// Advise reads variant v's file and predicts every level of its model on
// this computer at ctxLen positions of context (0: the advisor's default),
// taking what the catalog measured on the model's variants into account
// (see Measurements). Cost: reading the file's metadata, well under a
// second.
func (s *Service) Advise(ctx context.Context, v catalog.Variant, ctxLen int) (advise.Model, advise.Advice, error) {
	m, err := advise.Read(v.Path, ctxLen)
	if err != nil {
		return advise.Model{}, advise.Advice{}, err
	}
	opts := advise.Options{Hardware: s.Hardware(ctx), KLD: map[string]float64{}}
	opts.Speed, _ = Measurements(s.Catalog, v.Path, opts.KLD)
	a, err := advise.Advise(m, opts)
	return m, a, err
}

// Measurements returns what catalog c knows of the model whose file is path:
// the generation speed nibble bench measured on this file, else on another
// of its levels (nil: none; source says which, in words), and adds to kld
// the KL divergences measured on its levels, unless kld already has one for
// that level (given by the user) — those measured against an unquantized
// variant (F32, F16, BF16), as the advisor's figures are. A file not in the
// catalog gives nothing.
func Measurements(c *catalog.Catalog, path string, kld map[string]float64) (speed *advise.Speed, source string) {
	e, others, err := c.LookupFile(path)
	if err != nil {
		return nil, ""
	}
	all := append(e.Variants, others...)
	for _, v := range all {
		if q := v.Quality; q != nil && v.Level != "" && unquantizedReference(all, q.Reference) {
			if _, given := kld[v.Level]; !given {
				kld[v.Level] = q.KLD
			}
		}
	}
	if s := e.Variants[0].Speed; s != nil {
		return &advise.Speed{TokensPerSecond: s.TokensPerSecond},
			fmt.Sprintf("the speed nibble bench measured on this file (%.1f tokens/s, %s)", s.TokensPerSecond, s.Measured.Format(time.DateOnly))
	}
	for _, v := range others {
		if _, err := quant.LookupMix(v.Level); v.Speed != nil && v.Level != "" && err == nil {
			return &advise.Speed{Type: v.Level, TokensPerSecond: v.Speed.TokensPerSecond},
				fmt.Sprintf("the speed nibble bench measured on its %s file (%.1f tokens/s, %s)", v.Level, v.Speed.TokensPerSecond, v.Speed.Measured.Format(time.DateOnly))
		}
	}
	return nil, ""
}

// unquantizedReference tells whether the variant with id among vs is an
// unquantized one, a reference the advisor's KL divergences can be.
func unquantizedReference(vs []catalog.Variant, id uint64) bool {
	for _, v := range vs {
		if v.ID == id {
			return Unquantized(v.Level)
		}
	}
	return false
}
