package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"nibble/quant/advise"
	"nibble/quant/eval"
)

const kldUsage = `Usage: nibble kld BASE.gguf VARIANT.gguf --text-file FILE [--ctx N] [--chunks K] [--prompts M] [--threads N] [--json]

Measures how far a variant's predictions (a quantized model, usually) are
from its base model's (the F32, F16 or BF16 original) on a text:
  - the KL divergence of the variant's next-token distribution from the
    base's at every scored position (mean, median, 99th percentile, maximum;
    0 means identical), and how often both pick the same most likely token,
    as llama.cpp's llama-perplexity --kl-divergence computes them (the text is
    cut and scored as nibble perplexity does), and both perplexities;
  - multi-step agreement, which those miss: from M prompts taken from the
    text, both models write greedily, and the figure is how many tokens the
    variant writes before it first departs from the base's continuation
    (more prompts give a steadier figure, at the cost of writing
    --generate tokens one at a time per prompt and model).
Both models must share the vocabulary. Prints the mean KL divergence so far
after each chunk, then the figures.
`

type kldOptions struct {
	base, variant string
	textFile      string
	ctx           int
	chunks        int
	eval.CompareOptions
	threads int
	asJSON  bool
}

func runKLDCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o kldOptions
	fs := newFlagSet("kld", stderr, func(w io.Writer) { fmt.Fprint(w, kldUsage) })
	fs.StringVar(&o.textFile, "text-file", "", "UTF-8 text to evaluate on (required)")
	fs.IntVar(&o.ctx, "ctx", 0, "tokens per chunk (default: 512, or the base's training context if shorter)")
	fs.IntVar(&o.chunks, "chunks", 0, "evaluate only the first K chunks (default: all)")
	fs.IntVar(&o.Prompts, "prompts", 8, "prompts to measure multi-step agreement on (0: none)")
	fs.IntVar(&o.PromptTokens, "prompt-tokens", 32, "tokens per agreement prompt")
	fs.IntVar(&o.Generate, "generate", 64, "tokens the base writes from each prompt")
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of text")
	pos, err := parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	if err := required(fs, "text-file"); err != nil {
		return err
	}
	if o.Prompts < 0 || o.PromptTokens < 1 || o.Generate < 1 {
		fmt.Fprintln(stderr, "nibble kld: --prompts must not be negative, --prompt-tokens and --generate must be at least 1")
		fs.Usage()
		return errUsage
	}
	o.base, o.variant = pos[0], pos[1]
	return runKLD(ctx, o, stdout)
}

// kldResult is what `nibble kld --json` prints.
type kldResult struct {
	Base     string `json:"base"`
	Variant  string `json:"variant"`
	TextFile string `json:"text_file"`
	eval.Comparison
}

func runKLD(ctx context.Context, o kldOptions, stdout io.Writer) error {
	need := 0
	if o.Prompts > 0 {
		need = o.PromptTokens + o.Generate
	}
	base, err := eval.Open(o.base, eval.OpenOptions{Context: o.ctx, Positions: need, Threads: o.threads})
	if err != nil {
		return fmt.Errorf("base: %w", err)
	}
	defer base.Close()
	variant, err := eval.Open(o.variant, eval.OpenOptions{Context: base.Context, Positions: need, Threads: o.threads})
	if err != nil {
		return fmt.Errorf("variant: %w", err)
	}
	defer variant.Close()
	text, err := readEvalText(o.textFile, base.Tokenizer)
	if err != nil {
		return err
	}
	opts := o.CompareOptions
	opts.Context, opts.Chunks = base.Context, o.chunks
	if !o.asJSON {
		// The mean KL divergence so far after each chunk, then a dot per
		// agreement prompt.
		opts.Progress = func(p eval.Progress) {
			if chunks := p.Total - o.Prompts; p.Done <= chunks {
				fmt.Fprintf(stdout, "[%d]%.6f,", p.Done, p.KLD)
				if p.Done == chunks && o.Prompts > 0 {
					fmt.Fprintf(stdout, "\nagreement on %d prompts: ", o.Prompts)
				}
			} else {
				fmt.Fprint(stdout, ".")
			}
		}
	}
	c, err := eval.Compare(ctx, base.Model, variant.Model, text, opts)
	if !o.asJSON {
		fmt.Fprintln(stdout) // ends the line of progress
	}
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(kldResult{Base: o.base, Variant: o.variant, TextFile: o.textFile, Comparison: c})
	}
	printComparison(stdout, o, c)
	return nil
}

func printComparison(w io.Writer, o kldOptions, c eval.Comparison) {
	fmt.Fprintf(w, "\nbase:     %s\nvariant:  %s\ntext:     %s, %d chunks of %d tokens, %d tokens scored\n\n",
		o.base, o.variant, o.textFile, c.Chunks, c.Context, c.Tokens)
	fmt.Fprintf(w, "KL divergence (nats per token):\n")
	fmt.Fprintf(w, "  mean      %.6f ± %.6f   (%s)\n", c.KLDMean, c.KLDMeanError, advise.QualityOf(c.KLDMean))
	fmt.Fprintf(w, "  median    %.6f\n  99%%       %.6f\n  99.9%%     %.6f\n  maximum   %.6f\n",
		c.KLDMedian, c.KLDP99, c.KLDP999, c.KLDMax)
	fmt.Fprintf(w, "same top token: %.3f ± %.3f %%\n", 100*c.SameTop, 100*c.SameTopError)
	fmt.Fprintf(w, "perplexity:     base %.4f ± %.5f, variant %.4f ± %.5f, ΔPPL %+.4f\n",
		c.PPLBase, c.PPLBaseError, c.PPLVariant, c.PPLVariantError, c.DeltaPPL)
	if c.Prompts > 0 {
		fmt.Fprintf(w, "agreement:      the variant follows the base's greedy continuation for %.1f of %d tokens on average\n",
			c.AgreementTokensMean, c.Generate)
		fmt.Fprintf(w, "                (%d prompts of %d tokens); all %d tokens for %.0f %% of the prompts\n",
			c.Prompts, c.PromptTokens, c.Generate, 100*c.AgreementFull)
	}
}
