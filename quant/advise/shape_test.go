package advise

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"nibble/engine/synth"
	"nibble/quant"
)

// TestFromShapeMatchesRead compares FromShape with Read on a small synthetic
// file: the tensor data of every level must be exact, the header and state
// close.
func TestFromShapeMatchesRead(t *testing.T) {
	s, err := synth.ParseShape("arch=qwen2,layers=2,embd=256,heads=4,kv_heads=2,ffn=512")
	if err != nil {
		t.Fatal(err)
	}
	mix, err := quant.LookupMix("Q8_0")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if _, err := synth.Write(context.Background(), path, s, synth.Options{Mix: mix}); err != nil {
		t.Fatal(err)
	}
	read, err := Read(path, 256)
	if err != nil {
		t.Fatal(err)
	}
	est, err := FromShape(s, 256)
	if err != nil {
		t.Fatal(err)
	}
	if est.Params != read.Params {
		t.Errorf("params %d, file has %d", est.Params, read.Params)
	}
	within := func(what string, got, want uint64, tol float64) {
		t.Helper()
		if d := math.Abs(float64(got)-float64(want)) / float64(want); d > tol {
			t.Errorf("%s: %d, file gives %d (%.1f %% off)", what, got, want, 100*d)
		}
	}
	within("header", est.HeaderBytes, read.HeaderBytes, 0.1)
	within("state", est.StateBytes, read.StateBytes, 0.1) // the per-thread scratch left out weighs here; the KV cache dominates real models
	for i, m := range quant.Mixes() {
		if _, bad := read.Unavailable[m.Name]; bad {
			continue
		}
		// The data are exact, so only the header's error remains.
		gotData := est.Levels[i].FileBytes - est.HeaderBytes
		wantData := read.Levels[i].FileBytes - read.HeaderBytes
		if d := int64(gotData) - int64(wantData); d < -64 || d > 64 { // quantizedHeader's extra keys, one alignment unit
			t.Errorf("%s: tensor data %d, file gives %d", m.Name, gotData, wantData)
		}
		if est.Levels[i].TokenBytes != read.Levels[i].TokenBytes {
			t.Errorf("%s: bytes per token %d, file gives %d", m.Name, est.Levels[i].TokenBytes, read.Levels[i].TokenBytes)
		}
	}
}

// TestFromShapeRealFiles checks the size of a published file.
func TestFromShapeRealFiles(t *testing.T) {
	for _, tc := range []struct {
		shape, level string
		bytes        uint64 // the file on Hugging Face
	}{
		{"tinyllama-1.1b", "Q4_0", 637_699_456}, // TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF
	} {
		s, err := synth.ParseShape(tc.shape)
		if err != nil {
			t.Fatal(err)
		}
		m, err := FromShape(s, 0)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(quant.Mixes(), func(m quant.Mix) bool { return m.Name == tc.level })
		got := m.Levels[i].FileBytes
		t.Logf("%s %s: %d bytes", tc.shape, tc.level, got)
		if d := math.Abs(float64(got)-float64(tc.bytes)) / float64(tc.bytes); d > 0.01 {
			t.Errorf("%s %s: %d bytes, the published file has %d (%.2f %% off)", tc.shape, tc.level, got, tc.bytes, 100*d)
		}
	}
}
