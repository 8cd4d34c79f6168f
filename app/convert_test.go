package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// TestConvert runs nibble convert on the shared HF copy of ts5m: BF16 gives
// llama.cpp's conversion's tensors, and a plain error names what is missing.
func TestConvert(t *testing.T) {
	dir := refdata.Path(t, "hf/ts5m")
	ref, err := gguf.Open(refdata.Path(t, "hf/ts5m-convert-BF16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	out := filepath.Join(t.TempDir(), "ts5m.gguf")
	stdout, _, err := run(t, "convert", dir, out, "--type", "BF16")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "llama BF16, 5,770,496 parameters, 57 tensors") {
		t.Errorf("convert says %q", stdout)
	}
	f, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, w := range ref.Tensors {
		g := f.Tensors[i]
		if g.Name != w.Name || !bytes.Equal(f.TensorData(g), ref.TensorData(w)) {
			t.Errorf("tensor %d: %s differs from llama.cpp's %s", i, g.Name, w.Name)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"convert", t.TempDir(), out}, "has no config.json"},
		{[]string{"convert", dir, out, "--type", "Q7"}, "Q7"},
		{[]string{"convert", dir, out, "--type", "Q4_0", "--imatrix", filepath.Join(t.TempDir(), "missing")}, "missing"},
		{[]string{"convert", dir}, "usage"},
	} {
		_, _, err := run(t, tc.args...)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.want)) {
			t.Errorf("%v: error %v, want %q", tc.args[1:], err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), ".ts5m.gguf.convert-BF16.gguf")); err == nil {
		t.Errorf("temporary file left behind")
	}
}
