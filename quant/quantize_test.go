package quant

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// TestQuantizeFileImportance quantizes the shared model at Q4_K_M with an
// importance matrix that covers only layer 0: the mix's types stay
// llama-quantize's, layer 0's quantized matrices change, everything else
// keeps the unweighted bytes, and the metadata ends with llama-quantize's
// quantize.imatrix.* keys.
func TestQuantizeFileImportance(t *testing.T) {
	src := refdata.Path(t, "models/ts5m-F32.gguf")
	m, _ := LookupMix("Q4_K_M")
	want, err := gguf.Open(refdata.Path(t, "models/ts5m-Q4_K_M.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()

	r := rand.New(rand.NewPCG(1, 2))
	long := strings.Repeat("d/", 70) + "ts5m.imatrix" // beyond llama.cpp's 127 bytes
	im := &Importance{
		Weights: func(name string) []float32 {
			if !strings.HasPrefix(name, "blk.0.") {
				return nil
			}
			ti, _ := want.Tensor(name)
			w := make([]float32, ti.Dims[0])
			for i := range w {
				w[i] = float32(r.ExpFloat64())
			}
			return w
		},
		File: long, Dataset: "calibration.txt", Entries: 7, Chunks: 12,
	}
	out := filepath.Join(t.TempDir(), "out.gguf")
	res, err := QuantizeFile(context.Background(), src, out, Options{Mix: m, Importance: im})
	if err != nil {
		t.Fatal(err)
	}
	got, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()

	weighted := 0
	for i, w := range want.Tensors {
		g := got.Tensors[i]
		if g.Name != w.Name || g.Type != w.Type {
			t.Fatalf("tensor %d: %s %v, llama.cpp's mix has %s %v", i, g.Name, g.Type, w.Name, w.Type)
		}
		same := bytes.Equal(got.TensorData(g), want.TensorData(w))
		changes := strings.HasPrefix(w.Name, "blk.0.") && len(w.Dims) == 2 && w.Type != gguf.F32
		if changes {
			weighted++
		}
		if same == changes {
			t.Errorf("%s (%v): bytes same as without weights: %v", w.Name, w.Type, same)
		}
	}
	if res.Weighted != weighted || weighted == 0 {
		t.Errorf("Result.Weighted = %d, want %d", res.Weighted, weighted)
	}

	wantKV := []gguf.KV{
		{Key: "general.quantization_version", Value: gguf.Uint32(QuantizationVersion)},
		{Key: "general.file_type", Value: gguf.Uint32(m.FileType)},
		{Key: "quantize.imatrix.file", Value: gguf.String(long[:127])},
		{Key: "quantize.imatrix.dataset", Value: gguf.String("calibration.txt")},
		{Key: "quantize.imatrix.entries_count", Value: gguf.Int32(7)},
		{Key: "quantize.imatrix.chunks_count", Value: gguf.Int32(12)},
	}
	tail := got.KV[len(got.KV)-len(wantKV):]
	for i, kv := range wantKV {
		if tail[i].Key != kv.Key || tail[i].Value.Type != kv.Value.Type || !reflect.DeepEqual(tail[i].Value.V, kv.Value.V) {
			t.Errorf("metadata %d from the end: %s = %v (%v), want %s = %v (%v)", len(wantKV)-i,
				tail[i].Key, tail[i].Value.V, tail[i].Value.Type, kv.Key, kv.Value.V, kv.Value.Type)
		}
	}
}

// TestQuantizeFileImportanceChecks: importance weights of the wrong length
// or with a non-finite value are refused, as llama-quantize refuses them,
// except a wrong length for the token embeddings, which are then quantized
// without weights.
func TestQuantizeFileImportanceChecks(t *testing.T) {
	src := refdata.Path(t, "models/ts5m-F32.gguf")
	m, _ := LookupMix("Q4_K_M")
	for _, tc := range []struct {
		name    string
		tensor  string
		weights []float32
		ok      bool
	}{
		{"short", "blk.1.ffn_up.weight", make([]float32, 255), false},
		{"NaN", "blk.1.ffn_up.weight", append(make([]float32, 255), float32(math.NaN())), false},
		{"Inf", "output.weight", append(make([]float32, 255), float32(math.Inf(1))), false},
		{"token embeddings, short", "token_embd.weight", make([]float32, 3), true},
	} {
		im := &Importance{Weights: func(name string) []float32 {
			if name == tc.tensor {
				return tc.weights
			}
			return nil
		}, File: "x.dat"}
		out := filepath.Join(t.TempDir(), "out.gguf")
		res, err := QuantizeFile(context.Background(), src, out, Options{Mix: m, Importance: im})
		if tc.ok && (err != nil || res.Weighted != 0) {
			t.Errorf("%s: err %v, %d tensors weighted; want success without weights", tc.name, err, res.Weighted)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.tensor)) {
			t.Errorf("%s: err %v, want an error naming %s", tc.name, err, tc.tensor)
		}
	}
}
