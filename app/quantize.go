package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/quant"
)

const quantizeUsage = `Usage: nibble quantize IN.gguf OUT.gguf --type MIX [--threads N]

Writes a smaller copy of the model IN.gguf at the quantization level MIX,
choosing each tensor's type the way llama.cpp's llama-quantize does, so
llama.cpp, Ollama and LM Studio load the result. IN is best F32, F16 or BF16;
an already-quantized model can be converted again, with more quality loss.
Ctrl-C cancels and leaves no partial file.

Levels (--type):
`

type quantizeOptions struct {
	in, out string
	mix     string
	threads int
}

func runQuantizeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o quantizeOptions
	fs := flag.NewFlagSet("quantize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mix, "type", "", "quantization level, e.g. Q4_K_M (required)")
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), quantizeUsage)
		for _, m := range quant.Mixes() {
			fmt.Fprintf(fs.Output(), "  %-7s %5.2f bits/weight  %s\n", m.Name, m.BitsPerWeight, m.Description)
		}
		fmt.Fprintln(fs.Output(), "\nOptions:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || o.mix == "" {
		fs.Usage()
		return errUsage
	}
	o.in, o.out = pos[0], pos[1]
	return runQuantize(ctx, o, stdout, stderr)
}

func runQuantize(ctx context.Context, o quantizeOptions, stdout, stderr io.Writer) error {
	mix, err := quant.LookupMix(o.mix)
	if err != nil {
		return err
	}
	bar := newProgressBar(stderr)
	res, err := quant.QuantizeFile(ctx, o.in, o.out, quant.Options{
		Mix:     mix,
		Threads: o.threads,
		Progress: func(p quant.Progress) {
			bar.update(p.BytesDone, p.BytesTotal, fmt.Sprintf("%d/%d %s", p.Tensor+1, p.Tensors, p.Name))
		},
	})
	bar.done()
	if err != nil {
		return err
	}
	if res.Requantized {
		fmt.Fprintln(stderr, "warning: the input was already quantized; quantizing it again loses more quality than starting from F16 or F32")
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d tensors (%d converted), %s → %s in %s\n",
		o.out, mix.Name, res.Tensors, res.Quantized,
		humanize.IBytes(uint64(res.InputBytes)), humanize.IBytes(uint64(res.OutputBytes)),
		res.Elapsed.Round(time.Millisecond))
	return nil
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments ("nibble quantize in out --type Q4_0"), which the flag
// package alone does not allow.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
