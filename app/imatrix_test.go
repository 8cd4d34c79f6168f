package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nibble/engine/refdata"
	"nibble/quant/imatrix"
)

// TestImatrixBothFormats computes ts5m's importance matrix over the start of
// the calibration text into each format: both read back to the same
// importance for the same 42 matrices.
func TestImatrixBothFormats(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates 3 chunks of ts5m, twice")
	}
	model, text := refdata.Path(t, "models/ts5m-F32.gguf"), refdata.Path(t, "text/calibration.txt")
	dir := t.TempDir()
	var got []*imatrix.Matrix
	for _, name := range []string{"ts5m.gguf", "ts5m.dat"} {
		out := filepath.Join(dir, name)
		stdout, _, err := run(t, "imatrix", model, "--text-file", text, "-o", out, "--ctx", "64", "--chunks", "3", "--threads", "2")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "42 matrices, 3 chunks of 64 tokens") {
			t.Errorf("stdout %q", stdout)
		}
		m, err := imatrix.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Entries) != 42 || m.Chunks != 3 || !slices.Equal(m.Datasets, []string{text}) {
			t.Errorf("%s: %d entries, %d chunks, datasets %q", name, len(m.Entries), m.Chunks, m.Datasets)
		}
		got = append(got, m)
	}
	for _, name := range got[0].Names() {
		if w := got[0].Weights(name); len(w) == 0 || !slices.Equal(w, got[1].Weights(name)) {
			t.Errorf("%s: GGUF and legacy files give different importance", name)
		}
	}
}

func TestImatrixErrors(t *testing.T) {
	model := refdata.Path(t, "models/ts5m-F32.gguf")
	short := filepath.Join(t.TempDir(), "short.txt")
	os.WriteFile(short, []byte("Once upon a time, there was a little girl."), 0o644)
	for _, args := range [][]string{
		{"imatrix", model, "-o", "x.gguf"},
		{"imatrix", model, "--text-file", short},
		{"imatrix", model, "--text-file", short, "-o", "x.gguf", "--ctx", "-1"},
	} {
		if _, stderr, err := run(t, args...); !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage") {
			t.Errorf("%q: err %v; want a usage error", args, err)
		}
	}
	out := filepath.Join(t.TempDir(), "x.gguf")
	if _, _, err := run(t, "imatrix", model, "--text-file", short, "-o", out); err == nil || !strings.Contains(err.Error(), "at least 512") {
		t.Errorf("text of 12 tokens: %v, want an error asking for 512 tokens", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed run left %s", out)
	}
}
