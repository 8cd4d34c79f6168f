package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/quant/hfconvert"
)

const convertUsage = `Usage: nibble convert HF_DIR OUT.gguf [--type TYPE] [--imatrix FILE] [--threads N]

Turns a model downloaded from Hugging Face (a folder with config.json, the
weights as model.safetensors or model-0000N-of-0000M.safetensors shards, and
the tokenizer files) into one GGUF file, the way llama.cpp's
convert_hf_to_gguf.py does: the same metadata, tensor names and data. No
Python needed. Supported: %s.

--type F16, BF16 or F32 writes the model unquantized (default F16, like the
script); a quantization level writes it quantized in the same step, exactly as
"nibble quantize" would quantize the unquantized conversion (a temporary copy
is written beside OUT and removed). --imatrix FILE steers a quantization
level's rounding with an importance matrix, as in nibble quantize.
Ctrl-C cancels and leaves no partial file.

Levels (--type):
`

type convertOptions struct {
	dir, out string
	typ      string
	imatrix  string
	threads  int
}

func runConvertCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o convertOptions
	fs := newFlagSet("convert", stderr, func(w io.Writer) {
		fmt.Fprintf(w, convertUsage, strings.Join(hfconvert.Architectures(), ", "))
		printLevels(w)
	})
	fs.StringVar(&o.typ, "type", hfconvert.DefaultType, "F16, BF16, F32 or a quantization level such as Q4_K_M")
	fs.StringVar(&o.imatrix, "imatrix", "", "importance matrix `FILE` to quantize with")
	fs.IntVar(&o.threads, "threads", 0, "threads to quantize with (default: all cores)")
	pos, err := parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	o.dir, o.out = pos[0], pos[1]
	return runConvert(ctx, o, stdout, stderr)
}

func runConvert(ctx context.Context, o convertOptions, stdout, stderr io.Writer) error {
	opts := hfconvert.Options{Type: o.typ, Threads: o.threads}
	var err error
	if opts.Importance, err = readImportance(o.imatrix); err != nil {
		return err
	}
	bar := newProgressBar(stderr)
	opts.Progress = func(p hfconvert.Progress) {
		bar.update(p.BytesDone, p.BytesTotal, fmt.Sprintf("%s %d/%d %s", p.Step, min(p.Tensor+1, p.Tensors), p.Tensors, p.Name))
	}
	res, err := hfconvert.Convert(ctx, o.dir, o.out, opts)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s %s, %s parameters, %d tensors, %s in %s\n",
		o.out, res.Arch, res.Type, humanize.Comma(int64(res.Params)), res.Tensors,
		humanize.IBytes(uint64(res.OutputBytes)), res.Elapsed.Round(time.Millisecond))
	return nil
}
