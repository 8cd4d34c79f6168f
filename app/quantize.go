package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/quant"
	"nibble/quant/imatrix"
)

const quantizeUsage = `Usage: nibble quantize IN.gguf OUT.gguf --type MIX [--imatrix FILE] [--threads N]

Writes a smaller copy of the model IN.gguf at the quantization level MIX,
choosing each tensor's type the way llama.cpp's llama-quantize does, so
llama.cpp, Ollama and LM Studio load the result. IN is best F32, F16 or BF16;
an already-quantized model can be converted again, with more quality loss.
Ctrl-C cancels and leaves no partial file.

With --imatrix, an importance matrix (from nibble imatrix or llama-imatrix,
either file format) steers the rounding of every tensor it covers towards
the columns that matter most on its calibration text, as llama-quantize
--imatrix does: the same types, better low-bit quality.

Levels (--type):
`

type quantizeOptions struct {
	in, out string
	mix     string
	imatrix string
	threads int
}

func runQuantizeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o quantizeOptions
	fs := newFlagSet("quantize", stderr, func(w io.Writer) {
		fmt.Fprint(w, quantizeUsage)
		printLevels(w)
	})
	fs.StringVar(&o.mix, "type", "", "quantization level, e.g. Q4_K_M (required)")
	fs.StringVar(&o.imatrix, "imatrix", "", "importance matrix `FILE` to quantize with")
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	pos, err := parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	if err := required(fs, "type"); err != nil {
		return err
	}
	o.in, o.out = pos[0], pos[1]
	return runQuantize(ctx, o, stdout, stderr)
}

func runQuantize(ctx context.Context, o quantizeOptions, stdout, stderr io.Writer) error {
	mix, err := quant.LookupMix(o.mix)
	if err != nil {
		return err
	}
	opts := quant.Options{Mix: mix, Threads: o.threads}
	if opts.Importance, err = readImportance(o.imatrix); err != nil {
		return err
	}
	bar := newProgressBar(stderr)
	opts.Progress = func(p quant.Progress) {
		bar.update(p.BytesDone, p.BytesTotal, fmt.Sprintf("%d/%d %s", p.Tensor+1, p.Tensors, p.Name))
	}
	res, err := quant.QuantizeFile(ctx, o.in, o.out, opts)
	bar.done()
	if err != nil {
		return err
	}
	if res.Requantized {
		fmt.Fprintln(stderr, "warning: the input was already quantized; quantizing it again loses more quality than starting from F16 or F32")
	}
	weighted := ""
	if o.imatrix != "" {
		weighted = fmt.Sprintf(", %d with importance weights", res.Weighted)
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d tensors (%d converted%s), %s → %s in %s\n",
		o.out, mix.Name, res.Tensors, res.Quantized, weighted,
		humanize.IBytes(uint64(res.InputBytes)), humanize.IBytes(uint64(res.OutputBytes)),
		res.Elapsed.Round(time.Millisecond))
	return nil
}

// printLevels lists the quantization levels, one a line, for the usage
// texts of the commands that take one (--type).
func printLevels(w io.Writer) {
	for _, m := range quant.Mixes() {
		fmt.Fprintf(w, "  %-7s %5.2f bits/weight  %s\n", m.Name, m.BitsPerWeight, m.Description)
	}
}

// readImportance reads the importance matrix file at path (either format)
// for quant.Options, with the metadata llama-quantize records; nil when path
// is "".
func readImportance(path string) (*quant.Importance, error) {
	if path == "" {
		return nil, nil
	}
	m, err := imatrix.Read(path)
	if err != nil {
		return nil, err
	}
	return m.Importance(path), nil
}
