package main

import (
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
	"nibble/quant/imatrix"
)

// TestQuantizeImatrix quantizes the shared model with an importance matrix
// file covering two tensors: the command says how many tensors used it, and
// the output carries llama-quantize's quantize.imatrix.* metadata.
func TestQuantizeImatrix(t *testing.T) {
	src := refdata.Path(t, "models/ts5m-F32.gguf")
	dir := t.TempDir()
	imPath := filepath.Join(dir, "ts5m.imatrix")
	sums := make([]float32, 256)
	for i := range sums {
		sums[i] = float32(1 + i%7)
	}
	m := &imatrix.Matrix{
		Entries: map[string]imatrix.Entry{
			"blk.0.attn_q.weight": {Sums: sums, Counts: []float64{10}},
			"blk.3.ffn_up.weight": {Sums: sums, Counts: []float64{10}},
		},
		Datasets:  []string{"calibration.txt"},
		Chunks:    10,
		ChunkSize: 128,
	}
	if err := imatrix.Write(imPath, m); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.gguf")
	stdout, _, err := run(t, "quantize", src, out, "--type", "Q3_K_S", "--imatrix", imPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "2 with importance weights") {
		t.Errorf("quantize says %q", stdout)
	}
	f, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for key, want := range map[string]any{
		"quantize.imatrix.file":          imPath,
		"quantize.imatrix.dataset":       "calibration.txt",
		"quantize.imatrix.entries_count": int32(2),
		"quantize.imatrix.chunks_count":  int32(10),
	} {
		if v, ok := f.Get(key); !ok || v.V != want {
			t.Errorf("%s = %v (present: %v), want %v", key, v.V, ok, want)
		}
	}

	if _, _, err := run(t, "quantize", src, out, "--type", "Q3_K_S", "--imatrix", filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing importance matrix file: no error")
	}
}
