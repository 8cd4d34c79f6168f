package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/refdata"
	"nibble/engine/tokenizer"
)

// reference is text/reference.json: llama-perplexity's figures for every
// ts5m variant on text/heldout-a.txt (shared/testdata README, section 5).
type reference struct {
	Perplexity map[string]map[string]struct {
		PPL       float64 `json:"ppl"`
		PlusMinus float64 `json:"plus_minus"`
		Chunks    int     `json:"chunks"`
	} `json:"perplexity"`
	KLD struct {
		Variants map[string]struct {
			Mean    float64 `json:"mean_kld"`
			MeanPM  float64 `json:"mean_kld_pm"`
			Median  float64 `json:"median_kld"`
			P99     float64 `json:"p99_kld"`
			P999    float64 `json:"p99_9_kld"`
			Max     float64 `json:"max_kld"`
			SameTop float64 `json:"same_top_p_pct"`
			TopPM   float64 `json:"same_top_p_pm"`
		} `json:"variants"`
	} `json:"kl_divergence_vs_F32"`
}

func readReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(t, "text/reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// heldout returns text/heldout-a.txt tokenized for the ts5m vocabulary.
func heldout(t *testing.T) Text {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(t, "text/heldout-a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return NewText(ts5mTokenizer(t), string(b))
}

func ts5mTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	f, err := gguf.Open(refdata.Path(t, "models/ts5m-F32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// load opens a shared test model for chunks of ctx tokens, on one thread
// (the tests run in parallel instead; the figures do not depend on
// threads).
func load(t *testing.T, name string, ctx int) *model.Model {
	t.Helper()
	m, err := Open(refdata.Path(t, "models/"+name+".gguf"), OpenOptions{Context: ctx, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m.Model
}

// TestOpen: the chunk length defaults to the training context, at most
// MaxContext; the model holds the positions asked for.
func TestOpen(t *testing.T) {
	path := refdata.Path(t, "models/ts5m-Q4_K_M.gguf")
	for _, c := range []struct {
		o              OpenOptions
		ctx, positions int
	}{
		{OpenOptions{}, 256, 256}, // ts5m's training context, shorter than 512
		{OpenOptions{MaxContext: 128}, 128, 128},
		{OpenOptions{Context: 64, Positions: 100}, 64, 100},
		{OpenOptions{Context: 1024}, 1024, 1024},
	} {
		m, err := Open(path, c.o)
		if err != nil {
			t.Fatal(err)
		}
		if m.Context != c.ctx || m.Model.Config().ContextLength != c.positions || m.Tokenizer.BOS() != 1 {
			t.Errorf("Open(%+v): context %d, %d positions; want %d, %d", c.o, m.Context, m.Model.Config().ContextLength, c.ctx, c.positions)
		}
		m.Close()
	}
	if _, err := Open(refdata.Path(t, "text/heldout-a.txt"), OpenOptions{}); err == nil {
		t.Error("a text file opened as a model")
	}
}

// types are the ts5m files; under -short only a few.
func types(t *testing.T) []string {
	if testing.Short() {
		return []string{"F16", "Q4_K_M", "Q2_K"}
	}
	return []string{"F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_1", "Q5_0",
		"Q4_K_M", "Q4_K_S", "Q4_1", "Q4_0", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K"}
}

// same reports whether got printed with format equals want printed so: the
// figures agree to every digit llama-perplexity printed.
func same(format string, got, want float64) bool {
	return fmt.Sprintf(format, got) == fmt.Sprintf(format, want)
}

func TestNewText(t *testing.T) {
	tok := ts5mTokenizer(t)
	text := heldout(t)
	// The README's count: 11,044 tokens with BOS.
	if len(text.Tokens) != 11044 || text.Tokens[0] != 1 || text.BOS != 1 {
		t.Errorf("heldout-a: %d tokens starting %d, BOS %d; want 11044 starting with BOS 1", len(text.Tokens), text.Tokens[0], text.BOS)
	}
	// One trailing newline is dropped, as llama-perplexity's -f drops it.
	a, b, c := NewText(tok, "Once upon a time"), NewText(tok, "Once upon a time\n"), NewText(tok, "Once upon a time\n\n")
	if !slices.Equal(a.Tokens, b.Tokens) || slices.Equal(a.Tokens, c.Tokens) {
		t.Errorf("trailing newlines: %v, %v, %v", a.Tokens, b.Tokens, c.Tokens)
	}
	if want := []int32{1, 392, 412, 261, 372}; !slices.Equal(a.Tokens, want) {
		t.Errorf("tokens %v, want %v", a.Tokens, want)
	}
}

// TestPerplexity compares with llama-perplexity on heldout-a at contexts 128
// and 256: the same figures to every printed digit.
func TestPerplexity(t *testing.T) {
	ref := readReference(t)
	text := heldout(t)
	cases := []struct {
		name string
		ctx  int
	}{{"F32", 128}, {"F32", 256}, {"Q4_0", 128}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/c%d", c.name, c.ctx), func(t *testing.T) {
			t.Parallel()
			want := ref.Perplexity[fmt.Sprintf("c%d", c.ctx)][c.name]
			var progress []Progress
			r, err := Perplexity(context.Background(), load(t, "ts5m-"+c.name, c.ctx), text,
				Options{Context: c.ctx, Progress: func(p Progress) { progress = append(progress, p) }})
			if err != nil {
				t.Fatal(err)
			}
			if !same("%.4f", r.PPL, want.PPL) || !same("%.5f", r.PPLError, want.PlusMinus) {
				t.Errorf("PPL = %.4f +/- %.5f, llama-perplexity %.4f +/- %.5f", r.PPL, r.PPLError, want.PPL, want.PlusMinus)
			}
			scored := want.Chunks * (c.ctx - 1 - c.ctx/2)
			if r.Chunks != want.Chunks || r.Tokens != scored || r.Context != c.ctx {
				t.Errorf("%d chunks, %d tokens scored, context %d; want %d, %d, %d", r.Chunks, r.Tokens, r.Context, want.Chunks, scored, c.ctx)
			}
			if len(progress) != r.Chunks || progress[len(progress)-1] != (Progress{Done: r.Chunks, Total: r.Chunks, PPL: r.PPL}) {
				t.Errorf("progress: %d calls, last %+v", len(progress), progress[len(progress)-1])
			}
		})
	}
}

// TestCompare compares every ts5m variant with F32 on heldout-a at context
// 128 as llama-perplexity --kl-divergence did: the KLD statistics, the
// same-top rate and the variant's perplexity agree to every printed digit.
func TestCompare(t *testing.T) {
	ref := readReference(t)
	text := heldout(t)
	opts := CompareOptions{Options: Options{Context: 128}, Prompts: 8}
	base := load(t, "ts5m-F32", opts.ContextLength())
	pplBase := ref.Perplexity["c128"]["F32"]
	results := make([]Comparison, len(types(t)))
	t.Run("types", func(t *testing.T) {
		for i, typ := range types(t) {
			t.Run(typ, func(t *testing.T) {
				t.Parallel()
				c, err := Compare(context.Background(), base, load(t, "ts5m-"+typ, opts.ContextLength()), text, opts)
				if err != nil {
					t.Fatal(err)
				}
				results[i] = c
				want, wantPPL := ref.KLD.Variants[typ], ref.Perplexity["c128"][typ]
				for _, f := range []struct {
					name, format string
					got, want    float64
				}{
					{"mean KLD", "%.6f", c.KLDMean, want.Mean},
					{"mean KLD ±", "%.6f", c.KLDMeanError, want.MeanPM},
					{"median KLD", "%.6f", c.KLDMedian, want.Median},
					{"99% KLD", "%.6f", c.KLDP99, want.P99},
					{"99.9% KLD", "%.6f", c.KLDP999, want.P999},
					{"max KLD", "%.6f", c.KLDMax, want.Max},
					{"same top %", "%.3f", 100 * c.SameTop, want.SameTop},
					{"same top ±", "%.3f", 100 * c.SameTopError, want.TopPM},
					{"PPL base", "%.4f", c.PPLBase, pplBase.PPL},
					{"PPL base ±", "%.5f", c.PPLBaseError, pplBase.PlusMinus},
					{"PPL variant", "%.4f", c.PPLVariant, wantPPL.PPL},
					{"PPL variant ±", "%.5f", c.PPLVariantError, wantPPL.PlusMinus},
				} {
					if !same(f.format, f.got, f.want) {
						t.Errorf("%s "+f.format+", llama-perplexity "+f.format, f.name, f.got, f.want)
					}
				}
				if c.Tokens != 5418 || c.Chunks != 86 || c.DeltaPPL != c.PPLVariant-c.PPLBase {
					t.Errorf("%d tokens scored in %d chunks, ΔPPL %g", c.Tokens, c.Chunks, c.DeltaPPL)
				}
				if c.Prompts != 8 || c.PromptTokens != 32 || c.Generate != 64 ||
					c.AgreementTokensMean < 1 || c.AgreementTokensMean > 64 || c.AgreementFull < 0 || c.AgreementFull > 1 {
					t.Errorf("agreement %+v", c)
				}
			})
		}
	})
	var b strings.Builder
	fmt.Fprintln(&b, "| type | mean KLD | median | p99 | max | same top | PPL | agreement (of 64) | all 64 |")
	for i, typ := range types(t) {
		c := results[i]
		fmt.Fprintf(&b, "| %s | %.6f | %.6f | %.6f | %.6f | %.3f %% | %.4f | %.1f | %.0f %% |\n", typ, c.KLDMean, c.KLDMedian,
			c.KLDP99, c.KLDMax, 100*c.SameTop, c.PPLVariant, c.AgreementTokensMean, 100*c.AgreementFull)
	}
	t.Log("\n" + b.String())
	// The compounding of errors is what agreement measures: the 2-bit
	// variant departs from F32's continuations sooner than the 16-bit one.
	if last := results[len(results)-1]; last.AgreementTokensMean >= results[0].AgreementTokensMean {
		t.Errorf("agreement: %s %.1f tokens, %s %.1f", types(t)[0], results[0].AgreementTokensMean, "Q2_K", last.AgreementTokensMean)
	}
}

// TestCompareSelf compares a model with itself: the continuations agree all
// the way, every top token is the same, and the KLD is only what the 16-bit
// compression of the base's log-probabilities leaves (llama.cpp's F16
// figures show the same floor).
func TestCompareSelf(t *testing.T) {
	m := load(t, "ts5m-Q4_K_M", 96)
	opts := CompareOptions{Options: Options{Context: 64, Chunks: 4}, Prompts: 3, PromptTokens: 16, Generate: 80}
	c, err := Compare(context.Background(), m, m, heldout(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.AgreementTokensMean != 80 || c.AgreementFull != 1 || c.SameTop != 1 || c.KLDMax > 1e-4 || c.DeltaPPL != 0 ||
		c.Chunks != 4 || c.Tokens != 4*31 {
		t.Errorf("a model compared with itself: %+v", c)
	}
}

func TestErrors(t *testing.T) {
	text := heldout(t)
	ts5m := load(t, "ts5m-Q4_K_M", 128)
	stories := load(t, "stories260K-f32", 128)
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"short context", func() error {
			_, err := Perplexity(ctx, ts5m, text, Options{Context: 4})
			return err
		}, "at least 8"},
		{"short text", func() error {
			_, err := Perplexity(ctx, ts5m, Text{Tokens: text.Tokens[:200], BOS: 1}, Options{Context: 128})
			return err
		}, "needs at least 256"},
		{"negative chunks", func() error {
			_, err := Perplexity(ctx, ts5m, text, Options{Context: 128, Chunks: -1})
			return err
		}, "-1 chunks"},
		{"model context", func() error {
			_, err := Perplexity(ctx, ts5m, text, Options{Context: 256})
			return err
		}, "loaded for 128 positions"},
		{"agreement context", func() error {
			_, err := Compare(ctx, ts5m, ts5m, text, CompareOptions{Options: Options{Context: 64}, Prompts: 1, Generate: 100})
			return err
		}, "needs 132"},
		{"vocabularies", func() error {
			_, err := Compare(ctx, ts5m, stories, text, CompareOptions{Options: Options{Context: 64}})
			return err
		}, "different vocabularies (2048 and 512"},
		{"cancelled", func() error {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := Perplexity(cctx, ts5m, text, Options{Context: 128})
			return err
		}, "canceled"},
	} {
		if err := c.run(); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.wantErr)
		}
	}
}

// TestScoredSlices: the scored positions n/2 … n-2 in slices of at most 64,
// none of one token.
func TestScoredSlices(t *testing.T) {
	for _, c := range []struct {
		n    int
		want [][2]int
	}{
		{8, [][2]int{{4, 7}}},
		{128, [][2]int{{64, 127}}},
		{256, [][2]int{{128, 192}, {192, 255}}},
		{260, [][2]int{{130, 194}, {194, 257}, {257, 259}}}, // 129 rows: 64 + 63 + 2
		{132, [][2]int{{66, 129}, {129, 131}}},              // 65 rows: 63 + 2
	} {
		if got := scoredSlices(c.n); !slices.Equal(got, c.want) {
			t.Errorf("scoredSlices(%d) = %v, want %v", c.n, got, c.want)
		}
	}
}
