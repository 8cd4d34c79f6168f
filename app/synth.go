package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/engine/synth"
	"nibble/quant"
)

const synthUsage = `Usage: nibble synth OUT.gguf --shape SHAPE [--type MIX] [--seed N] [--threads N]

Writes a model with random weights in the shape of a real one: the same
architecture, sizes and tensor types as the real model quantized with
` + "`nibble quantize --type MIX`" + `, a made-up vocabulary of the real size with
the family's special tokens, and its chat template. Nibble and llama.cpp load
it and run it as fast as the real model, but it only talks gibberish: it is
for benchmarks and tests where real weights cannot be downloaded.

SHAPE is one of %s, or a SPEC.
%s
`

type synthOptions struct {
	out, shape, mix string
	seed            uint64
	threads         int
}

func runSynthCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o synthOptions
	fs := newFlagSet("synth", stderr, func(w io.Writer) {
		fmt.Fprintf(w, synthUsage, strings.Join(synth.ShapeNames(), ", "), synth.SpecHelp)
	})
	fs.StringVar(&o.shape, "shape", "", "the model's shape: a named shape or a SPEC (required)")
	fs.StringVar(&o.mix, "type", "Q4_K_M", "quantization level, as for nibble quantize")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the weights: the same seed writes the same file")
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "shape"); err != nil {
		return err
	}
	o.out = pos[0]
	return runSynth(ctx, o, stdout, stderr)
}

func runSynth(ctx context.Context, o synthOptions, stdout, stderr io.Writer) error {
	shape, err := synth.ParseShape(o.shape)
	if err != nil {
		return err
	}
	mix, err := quant.LookupMix(o.mix)
	if err != nil {
		return err
	}
	bar := newProgressBar(stderr)
	res, err := synth.Write(ctx, o.out, shape, synth.Options{
		Mix:     mix,
		Seed:    o.seed,
		Threads: o.threads,
		Progress: func(p synth.Progress) {
			bar.update(p.BytesDone, p.BytesTotal, fmt.Sprintf("%d/%d %s", p.Tensor, p.Tensors, p.Name))
		},
	})
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s at %s, %s parameters in %d tensors, %s in %s\n",
		o.out, shape.Name, mix.Name, humanize.SIWithDigits(float64(res.Params), 2, ""), res.Tensors,
		humanize.IBytes(uint64(res.Bytes)), res.Elapsed.Round(time.Millisecond))
	return nil
}
