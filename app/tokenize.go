package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"nibble/engine/gguf"
	"nibble/engine/tokenizer"
)

const tokenizeUsage = `Usage: nibble tokenize MODEL.gguf [--bos] < TEXT

Reads UTF-8 text from standard input exactly as given and prints the model's
token ids for it, separated by spaces. Special tokens are not parsed.
`

func runTokenizeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenize", stderr, func(w io.Writer) { fmt.Fprint(w, tokenizeUsage) })
	bos := fs.Bool("bos", false, "add the model's beginning-of-text token when it uses one")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	text, err := io.ReadAll(os.Stdin)
	if err != nil {
		return fmt.Errorf("read standard input: %w", err)
	}
	return runTokenize(pos[0], string(text), *bos, stdout)
}

func runTokenize(path, text string, bos bool, stdout io.Writer) error {
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return err
	}
	ids := tok.Encode(text, bos, false)
	w := bufio.NewWriter(stdout)
	for i, id := range ids {
		if i > 0 {
			w.WriteByte(' ')
		}
		w.WriteString(strconv.Itoa(int(id)))
	}
	w.WriteByte('\n')
	return w.Flush()
}
