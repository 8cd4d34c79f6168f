package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"nibble/engine/sample"
	"nibble/engine/session"
)

const runUsage = `Usage: nibble run MODEL.gguf --prompt "TEXT" [options]

Continues TEXT with the model (no chat template) and streams the result to
standard output; prompt and generation speeds go to standard error.
`

// modelOptions are the flags every command that loads a model for generation
// shares.
type modelOptions struct {
	ctx     int
	threads int
	force   bool
}

func (o *modelOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.ctx, "ctx", 0, fmt.Sprintf("context length in tokens (default: the model's, at most %d)", session.DefaultContextLength))
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	fs.BoolVar(&o.force, "force", false, "load the model even if it needs more memory than is free")
}

func (o modelOptions) open(path string) (*session.Model, error) {
	return session.Open(path, session.Options{ContextLength: o.ctx, Threads: o.threads, Force: o.force})
}

// registerGeneration adds the generation flags of run and chat to fs,
// writing into p; the defaults are llama.cpp's.
func registerGeneration(fs *flag.FlagSet, p *session.Params, defaultMax int) {
	d := sample.Defaults()
	fs.IntVar(&p.MaxTokens, "n", defaultMax, "most tokens to generate (0: until the model stops or the context is full)")
	float32Var(fs, &p.Sampling.Temperature, "temp", d.Temperature, "temperature: 0 always picks the most likely token; higher is more varied")
	fs.IntVar(&p.Sampling.TopK, "top-k", d.TopK, "sample among the K most likely tokens (0: all)")
	float32Var(fs, &p.Sampling.TopP, "top-p", d.TopP, "sample among the most likely tokens whose probability adds up to P (1: all)")
	float32Var(fs, &p.Sampling.MinP, "min-p", d.MinP, "drop tokens less likely than P times the most likely one")
	float32Var(fs, &p.Sampling.RepeatPenalty, "repeat-penalty", d.RepeatPenalty, "above 1 discourages repeating recent tokens")
	fs.IntVar(&p.Sampling.RepeatLastN, "repeat-last-n", d.RepeatLastN, "how many recent tokens the repeat penalty looks at")
	fs.Uint64Var(&p.Sampling.Seed, "seed", uint64(time.Now().UnixNano()), "random seed: the same seed gives the same text (default: a new one each run)")
	fs.Func("stop", "stop when this text appears (repeatable)", func(s string) error {
		p.Stop = append(p.Stop, s)
		return nil
	})
}

// float32Var is flag.Float64Var for a float32.
func float32Var(fs *flag.FlagSet, p *float32, name string, value float32, usage string) {
	*p = value
	fs.Func(name, fmt.Sprintf("%s (default %g)", usage, value), func(s string) error {
		f, err := strconv.ParseFloat(s, 32)
		*p = float32(f)
		return err
	})
}

type runOptions struct {
	modelOptions
	path   string
	prompt string
	gen    session.Params
}

func runRunCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o runOptions
	fs := newFlagSet("run", stderr, func(w io.Writer) { fmt.Fprint(w, runUsage) })
	fs.StringVar(&o.prompt, "prompt", "", "the text to continue (required)")
	o.modelOptions.register(fs)
	registerGeneration(fs, &o.gen, 128)
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "prompt"); err != nil {
		return err
	}
	o.path = pos[0]
	return runRun(ctx, o, stdout, stderr)
}

func runRun(ctx context.Context, o runOptions, stdout, stderr io.Writer) error {
	m, err := o.open(o.path)
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprint(stdout, o.prompt)
	_, stats, err := m.Complete(ctx, o.prompt, o.gen, func(s string) { fmt.Fprint(stdout, s) })
	fmt.Fprintln(stdout)
	if err != nil {
		return err
	}
	printSpeed(stderr, stats)
	if stats.Reason == session.StopCancelled {
		return context.Canceled
	}
	return nil
}

func printSpeed(w io.Writer, s session.Stats) {
	fmt.Fprintf(w, "prompt: %d tokens, %.1f tokens/s; generated: %d tokens, %.1f tokens/s (stopped: %s)\n",
		s.PromptTokens, s.PromptTokensPerSecond(), s.GeneratedTokens, s.GenerateTokensPerSecond(), s.Reason)
}
