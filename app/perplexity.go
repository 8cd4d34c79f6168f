package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"nibble/engine/tokenizer"
	"nibble/quant/eval"
)

const perplexityUsage = `Usage: nibble perplexity MODEL.gguf --text-file FILE [--ctx N] [--chunks K] [--threads N] [--json]

Measures how well the model predicts a text: its perplexity, the lower the
better. The method is llama.cpp's llama-perplexity, so the figures compare
with llama.cpp's on the same file and text: the text is cut into chunks of
--ctx tokens, each evaluated from scratch, and the second half of each
chunk is scored. Prints the perplexity so far after each chunk, then the
final estimate with its uncertainty (±).
`

type perplexityOptions struct {
	path     string
	textFile string
	ctx      int
	chunks   int
	threads  int
	asJSON   bool
}

func runPerplexityCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o perplexityOptions
	fs := newFlagSet("perplexity", stderr, func(w io.Writer) { fmt.Fprint(w, perplexityUsage) })
	fs.StringVar(&o.textFile, "text-file", "", "UTF-8 text to evaluate on (required)")
	fs.IntVar(&o.ctx, "ctx", 0, "tokens per chunk (default: 512, or the model's training context if shorter)")
	fs.IntVar(&o.chunks, "chunks", 0, "evaluate only the first K chunks (default: all)")
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of text")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "text-file"); err != nil {
		return err
	}
	o.path = pos[0]
	return runPerplexity(ctx, o, stdout)
}

// perplexityResult is what `nibble perplexity --json` prints.
type perplexityResult struct {
	Model    string `json:"model"`
	TextFile string `json:"text_file"`
	eval.PerplexityResult
}

func runPerplexity(ctx context.Context, o perplexityOptions, stdout io.Writer) error {
	m, err := eval.Open(o.path, eval.OpenOptions{Context: o.ctx, Threads: o.threads})
	if err != nil {
		return err
	}
	defer m.Close()
	text, err := readEvalText(o.textFile, m.Tokenizer)
	if err != nil {
		return err
	}
	opts := eval.Options{Context: m.Context, Chunks: o.chunks}
	if !o.asJSON {
		// As llama-perplexity prints it: the perplexity so far after each chunk.
		opts.Progress = func(p eval.Progress) { fmt.Fprintf(stdout, "[%d]%.4f,", p.Done, p.PPL) }
	}
	r, err := eval.Perplexity(ctx, m.Model, text, opts)
	if !o.asJSON {
		fmt.Fprintln(stdout) // ends the line of progress
	}
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(perplexityResult{Model: o.path, TextFile: o.textFile, PerplexityResult: r})
	}
	fmt.Fprintf(stdout, "\n%d chunks of %d tokens, %d tokens scored\n", r.Chunks, r.Context, r.Tokens)
	fmt.Fprintf(stdout, "Final estimate: PPL = %.4f +/- %.5f\n", r.PPL, r.PPLError)
	return nil
}

// readEvalText reads and tokenizes an evaluation text.
func readEvalText(path string, tok *tokenizer.Tokenizer) (eval.Text, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return eval.Text{}, err
	}
	return eval.NewText(tok, string(b)), nil
}
