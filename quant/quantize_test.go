package quant

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// TestQuantizeFileMatchesLlamaCpp runs the whole pipeline for every mix on the
// shared F32 model and compares the result with llama-quantize's file: the
// same tensors in the same order, each with the same type and bytes, the same
// metadata values, and in the end the same file, byte for byte.
func TestQuantizeFileMatchesLlamaCpp(t *testing.T) {
	src := refdata.Path(t, "models/ts5m-F32.gguf")
	for _, m := range Mixes() {
		if m.Name == "F32" {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			want, err := gguf.Open(refdata.Path(t, "models/ts5m-"+m.Name+".gguf"))
			if err != nil {
				t.Fatal(err)
			}
			defer want.Close()
			out := filepath.Join(t.TempDir(), "out.gguf")
			res, err := QuantizeFile(context.Background(), src, out, Options{Mix: m, Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			got, err := gguf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			if len(got.Tensors) != len(want.Tensors) || res.Tensors != len(want.Tensors) {
				t.Fatalf("%d tensors (result says %d), llama.cpp wrote %d", len(got.Tensors), res.Tensors, len(want.Tensors))
			}
			for i, w := range want.Tensors {
				g := got.Tensors[i]
				if g.Name != w.Name || g.Type != w.Type {
					t.Errorf("tensor %d: got %s %v, llama.cpp %s %v", i, g.Name, g.Type, w.Name, w.Type)
					continue
				}
				if !bytes.Equal(got.TensorData(g), want.TensorData(w)) {
					t.Errorf("tensor %s (%v): bytes differ from llama.cpp's", w.Name, w.Type)
				}
			}
			for _, kv := range want.KV {
				v, ok := got.Get(kv.Key)
				if !ok {
					t.Errorf("metadata %s missing", kv.Key)
					continue
				}
				if v.Type != kv.Value.Type || !reflect.DeepEqual(v.V, kv.Value.V) {
					t.Errorf("metadata %s = %v (%v), llama.cpp wrote %v (%v)", kv.Key, v.V, v.Type, kv.Value.V, kv.Value.Type)
				}
			}
			if t.Failed() {
				return
			}
			gotBytes, err1 := os.ReadFile(out)
			wantBytes, err2 := os.ReadFile(refdata.Path(t, "models/ts5m-"+m.Name+".gguf"))
			if err := errors.Join(err1, err2); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotBytes, wantBytes) {
				t.Errorf("tensors and metadata agree, but the file differs from llama.cpp's (%d vs %d bytes)", len(gotBytes), len(wantBytes))
			}
		})
	}
}

// TestQuantizeFileCancel cancels a conversion part way and checks that
// nothing is left in the output folder: no file under the final name and no
// temporary file.
func TestQuantizeFileCancel(t *testing.T) {
	src := refdata.Path(t, "models/ts5m-F32.gguf")
	m, err := LookupMix("Q4_K_M")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	_, err = QuantizeFile(ctx, src, filepath.Join(dir, "out.gguf"), Options{Mix: m, Progress: func(p Progress) {
		calls++
		if p.Tensor >= 5 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if calls == 0 {
		t.Fatal("progress was never reported")
	}
	left, _ := os.ReadDir(dir)
	for _, e := range left {
		t.Errorf("left behind: %s", e.Name())
	}
}

// TestQuantizeFileProgress checks that progress only grows and ends at the
// total, and that the input is refused as its own output.
func TestQuantizeFileProgress(t *testing.T) {
	src := refdata.Path(t, "models/ts5m-F32.gguf")
	m, _ := LookupMix("Q8_0")
	var last Progress
	out := filepath.Join(t.TempDir(), "out.gguf")
	_, err := QuantizeFile(context.Background(), src, out, Options{Mix: m, Progress: func(p Progress) {
		if p.BytesDone < last.BytesDone || p.Tensor < last.Tensor {
			t.Errorf("progress went back: %+v after %+v", p, last)
		}
		last = p
	}})
	if err != nil {
		t.Fatal(err)
	}
	if last.BytesDone != last.BytesTotal || last.Tensor != last.Tensors-1 {
		t.Errorf("last progress %+v does not reach the end", last)
	}
	if _, err := QuantizeFile(context.Background(), out, out, Options{Mix: m}); err == nil {
		t.Error("quantizing a file onto itself succeeded")
	}
}
