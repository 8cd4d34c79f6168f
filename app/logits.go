package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"nibble/engine/gguf"
	"nibble/engine/model"
)

const logitsUsage = `Usage: nibble logits MODEL.gguf --tokens "1 15043 3186" --out FILE.bin

Evaluates the token ids in one pass and writes the logits after every
position as little-endian float32, [n_tokens][n_vocab], with no header: the
format llama.cpp's reference logits use, so the two can be compared.
`

func runLogitsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("logits", stderr, func(w io.Writer) { fmt.Fprint(w, logitsUsage) })
	tokens := fs.String("tokens", "", "token ids separated by spaces (required)")
	out := fs.String("out", "", "file to write (required)")
	threads := fs.Int("threads", 0, "threads to use (default: all cores)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "tokens", "out"); err != nil {
		return err
	}
	var ids []int32
	for _, field := range strings.Fields(*tokens) {
		id, err := strconv.ParseInt(field, 10, 32)
		if err != nil {
			return fmt.Errorf("--tokens: %q is not a token id", field)
		}
		ids = append(ids, int32(id))
	}
	return runLogits(pos[0], ids, *out, *threads)
}

func runLogits(path string, ids []int32, out string, threads int) error {
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := model.Load(f, model.Options{ContextLength: len(ids), Threads: threads})
	if err != nil {
		return err
	}
	logits := make([]float32, len(ids)*m.Config().VocabSize)
	if err := m.NewState().Forward(ids, 0, logits); err != nil {
		return err
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, logits); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	return w.Close()
}
