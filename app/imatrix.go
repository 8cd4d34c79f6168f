package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"nibble/app/service"
	"nibble/engine/gguf"
	"nibble/quant/imatrix"
)

const imatrixUsage = `Usage: nibble imatrix MODEL.gguf --text-file F -o FILE [--ctx N] [--chunks K] [--threads N] [--process-output]

Computes the importance matrix of MODEL over the calibration text F, the way
llama.cpp's llama-imatrix does, for quantizing with it (nibble quantize
--imatrix FILE, or llama-quantize --imatrix FILE): for every weight matrix
of the layers, the mean square of each of its input columns. The text is
tokenized once, cut into chunks of --ctx tokens, and each chunk evaluated
from scratch, all of its tokens counted. Use text like what the model will
read, and not the text you measure quality with.

FILE is written in llama.cpp's GGUF imatrix format if its name ends in
.gguf (the format of llama.cpp since mid-2025), and in the older imatrix.dat
format otherwise (llama.cpp before mid-2025, which cannot read the GGUF
one). Both formats are read by nibble quantize and by current llama.cpp.
`

type imatrixOptions struct {
	model, text, out string
	ctx, chunks      int
	threads          int
	processOutput    bool
}

func runImatrixCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o imatrixOptions
	fs := newFlagSet("imatrix", stderr, func(w io.Writer) { fmt.Fprint(w, imatrixUsage) })
	fs.StringVar(&o.text, "text-file", "", "calibration text, UTF-8 (required)")
	fs.StringVar(&o.out, "o", "", "importance matrix `file` to write: .gguf, or the legacy format (required)")
	fs.IntVar(&o.ctx, "ctx", 0, "tokens per chunk (default: 512 as llama-imatrix, or the model's training context if shorter)")
	fs.IntVar(&o.chunks, "chunks", 0, "evaluate at most this many chunks (default: all the text holds)")
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	fs.BoolVar(&o.processOutput, "process-output", false, "also collect output.weight, as llama-imatrix --process-output")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "text-file", "o"); err != nil {
		return err
	}
	if o.ctx < 0 || o.chunks < 0 || o.threads < 0 {
		fmt.Fprintln(stderr, "nibble imatrix: --ctx, --chunks and --threads must not be negative")
		fs.Usage()
		return errUsage
	}
	o.model = pos[0]
	return runImatrix(ctx, o, stdout, stderr)
}

func runImatrix(ctx context.Context, o imatrixOptions, stdout, stderr io.Writer) error {
	text, err := os.ReadFile(o.text)
	if err != nil {
		return err
	}
	if f, err := gguf.Open(o.model); err == nil {
		train, ok := f.Uint(f.Architecture() + ".context_length")
		f.Close()
		if ok && uint64(o.ctx) > train {
			fmt.Fprintf(stderr, "warning: the model was trained on only %d tokens of context (--ctx %d)\n", train, o.ctx)
		}
	}
	start := time.Now()
	bar := newCountBar(stderr)
	im, err := service.Importance(ctx, o.model, string(text), service.ImportanceOptions{
		Ctx: o.ctx, Chunks: o.chunks, Threads: o.threads, ProcessOutput: o.processOutput, Dataset: o.text,
	}, func(done, total int) {
		bar.update(int64(done), int64(total), "chunks")
	})
	bar.done()
	if err != nil {
		return err
	}
	if err := imatrix.Write(o.out, im); err != nil {
		return err
	}
	format := "legacy imatrix.dat format"
	if strings.HasSuffix(o.out, ".gguf") {
		format = "GGUF imatrix format"
	}
	fmt.Fprintf(stdout, "wrote %s (%s): %d matrices, %d chunks of %d tokens of %s in %s\n",
		o.out, format, len(im.Entries), im.Chunks, im.ChunkSize, o.text, time.Since(start).Round(time.Millisecond))
	return nil
}
