package service

import (
	"context"
	"errors"
	"testing"

	"nibble/assets"
	"nibble/catalog"
	"nibble/quant/eval"
)

// TestMeasureQuality measures ts5m's Q4_K_M against its F32 on the shipped
// text, then F32 itself, in a temporary catalog.
func TestMeasureQuality(t *testing.T) {
	s, vs := newService(t, "ts5m-Q4_K_M", "ts5m-F32")
	q4, f32 := vs[0], vs[1]
	var steps [][2]int
	q, err := s.MeasureQuality(context.Background(), q4, func(done, total int) { steps = append(steps, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	// The figures are eval.Compare's, with the check's settings.
	base, err := eval.Open(f32.Path, eval.OpenOptions{MaxContext: qualityContext, Positions: qualityPromptTokens + qualityGenerate})
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	variant, err := eval.Open(q4.Path, eval.OpenOptions{Context: base.Context, Positions: qualityPromptTokens + qualityGenerate})
	if err != nil {
		t.Fatal(err)
	}
	defer variant.Close()
	want, err := eval.Compare(context.Background(), base.Model, variant.Model, eval.NewText(base.Tokenizer, assets.QualityText),
		eval.CompareOptions{Options: eval.Options{Context: 256, Chunks: qualityChunks},
			Prompts: qualityPrompts, PromptTokens: qualityPromptTokens, Generate: qualityGenerate})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Q4_K_M vs F32 on the quality text: %+v", want)
	if want.Chunks != qualityChunks || want.Context != 256 || want.Tokens != qualityChunks*127 {
		t.Errorf("the text gave %d chunks of %d tokens, want %d of 256", want.Chunks, want.Context, qualityChunks)
	}
	if q.Reference != f32.ID || q.KLD != want.KLDMean || q.SameTop != want.SameTop || q.PPL != want.PPLVariant ||
		q.PPLReference != want.PPLBase || q.AgreementTokens != want.AgreementTokensMean || q.AgreementOf != qualityGenerate ||
		q.Measured.IsZero() {
		t.Errorf("quality %+v, want eval.Compare's %+v against variant %d", q, want, f32.ID)
	}
	// Q4_K_M loses a little: more than F16's floor, less than Q2_K on heldout-a.
	if !(q.KLD > 0.001 && q.KLD < 0.06 && q.SameTop > 0.85 && q.SameTop < 1) {
		t.Errorf("implausible quality %+v", q)
	}
	if last := steps[len(steps)-1]; len(steps) != qualityChunks+qualityPrompts || last != [2]int{len(steps), len(steps)} {
		t.Errorf("progress %v", steps)
	}

	// Stored on the variant, where the advisor reads it.
	e, err := s.Catalog.Lookup("tinystories-5m:Q4_K_M")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Variants[0].Quality; got == nil || got.KLD != q.KLD || got.AgreementTokens != q.AgreementTokens || got.PPLReference != q.PPLReference {
		t.Errorf("stored %+v, measured %+v", got, q)
	}
	kld := map[string]float64{}
	Measurements(s.Catalog, f32.Path, kld)
	if kld["Q4_K_M"] != q.KLD {
		t.Errorf("the advisor gets KLDs %v", kld)
	}

	// The source itself: no divergence, its perplexity measured.
	q, err = s.MeasureQuality(context.Background(), f32, nil)
	if err != nil {
		t.Fatal(err)
	}
	if q.Reference != f32.ID || q.KLD != 0 || q.SameTop != 1 || q.PPL != want.PPLBase || q.PPLReference != want.PPLBase ||
		q.AgreementTokens != qualityGenerate || q.AgreementOf != qualityGenerate {
		t.Errorf("the source's quality %+v, want no loss and PPL %v", q, want.PPLBase)
	}
}

func TestMeasureQualityCancel(t *testing.T) {
	s, vs := newService(t, "ts5m-Q2_K", "ts5m-F16")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.MeasureQuality(ctx, vs[0], func(done, total int) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want cancelled", err)
	}
	e, _, _ := s.Catalog.LookupFile(vs[0].Path)
	if e.Variants[0].Quality != nil {
		t.Errorf("a cancelled check stored %+v", e.Variants[0].Quality)
	}
	if _, err := s.MeasureQuality(context.Background(), catalog.Variant{Path: "/nonexistent.gguf"}, nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a file not in the catalog: %v", err)
	}
}

// TestBestSource: levels are made from, and quality measured against, an
// unquantized variant (F32, F16, BF16 in that order), else the largest
// file, a present one first.
func TestBestSource(t *testing.T) {
	v := func(id uint64, level string, size int64, missing bool) catalog.Variant {
		return catalog.Variant{ID: id, Level: level, Size: size, Missing: missing}
	}
	for _, c := range []struct {
		name string
		vs   []catalog.Variant
		want uint64
	}{
		{"F32 first", []catalog.Variant{v(1, "Q4_K_M", 3, false), v(2, "BF16", 10, false), v(3, "F32", 20, false), v(4, "F16", 10, false)}, 3},
		{"F16 before BF16", []catalog.Variant{v(1, "BF16", 10, false), v(2, "F16", 10, false)}, 2},
		{"missing F32 passed over", []catalog.Variant{v(1, "F32", 20, true), v(2, "Q8_0", 6, false), v(3, "BF16", 10, false)}, 3},
		{"no float: the largest", []catalog.Variant{v(1, "Q4_K_M", 3, false), v(2, "Q8_0", 6, false), v(3, "", 5, false)}, 2},
		{"all missing", []catalog.Variant{v(1, "Q4_0", 3, true), v(2, "F16", 10, true)}, 2},
		{"F32 over F16", []catalog.Variant{v(1, "F16", 10, false), v(2, "F32", 20, false), v(3, "Q8_0", 5, false)}, 2},
		{"BF16 over a larger Q8_0", []catalog.Variant{v(1, "Q8_0", 50, false), v(2, "BF16", 10, false)}, 2},
		{"present over missing", []catalog.Variant{v(1, "F32", 20, true), v(2, "Q4_0", 3, false)}, 2},
		{"the larger of two F16", []catalog.Variant{v(1, "F16", 10, false), v(2, "F16", 12, false)}, 2},
	} {
		if got := BestSource(c.vs); got.ID != c.want {
			t.Errorf("%s: variant %d, want %d", c.name, got.ID, c.want)
		}
	}
}
