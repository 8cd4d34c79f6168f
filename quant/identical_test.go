package quant

import (
	"bytes"
	"path/filepath"
	"sort"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// TestIdenticalToLlamaCpp quantizes every F32 tensor of the shared ts5m model
// to each type llama-quantize used for it in one of its mix files, and
// compares the result with llama.cpp's bytes block by block. The target is
// every block identical; the log reports the share per type.
func TestIdenticalToLlamaCpp(t *testing.T) {
	srcPath := refdata.Path(t, "models/ts5m-F32.gguf")
	src, err := gguf.Open(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	// reference tensors by type, each (tensor name, type) pair once.
	type ref struct {
		file string
		name string
		data []byte
	}
	byType := map[gguf.Type][]ref{}
	seen := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(srcPath), "ts5m-*.gguf"))
	sort.Strings(files)
	for _, path := range files {
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, ti := range f.Tensors {
			key := ti.Name + "/" + ti.Type.String()
			if ti.Type == gguf.F32 || seen[key] {
				continue
			}
			seen[key] = true
			byType[ti.Type] = append(byType[ti.Type], ref{filepath.Base(path), ti.Name, f.TensorData(ti)})
		}
	}

	for _, typ := range []gguf.Type{gguf.F16, gguf.BF16, gguf.Q8_0, gguf.Q4_0, gguf.Q4_1, gguf.Q5_0, gguf.Q5_1,
		gguf.Q2_K, gguf.Q3_K, gguf.Q4_K, gguf.Q5_K, gguf.Q6_K} {
		t.Run(typ.String(), func(t *testing.T) {
			refs := byType[typ]
			if len(refs) == 0 {
				t.Fatalf("no %v tensor in the shared ts5m files", typ)
			}
			var blocks, same int
			for _, r := range refs {
				ti, ok := src.Tensor(r.name)
				if !ok {
					t.Fatalf("%s: tensor %s not in the F32 model", r.file, r.name)
				}
				x := f32View(src.TensorData(ti))
				got := make([]byte, len(r.data))
				if err := Quantize(typ, got, x); err != nil {
					t.Fatalf("%s %s: %v", r.file, r.name, err)
				}
				bb := typ.BlockBytes()
				firstDiff := -1
				for b := 0; b < len(got)/bb; b++ {
					blocks++
					if bytes.Equal(got[b*bb:(b+1)*bb], r.data[b*bb:(b+1)*bb]) {
						same++
					} else if firstDiff < 0 {
						firstDiff = b
					}
				}
				if firstDiff >= 0 {
					t.Errorf("%s %s (%v): block %d differs from llama.cpp's", r.file, r.name, typ, firstDiff)
				}
			}
			t.Logf("%v: %d/%d blocks identical to llama.cpp (%.4f%%) over %d tensors",
				typ, same, blocks, 100*float64(same)/float64(blocks), len(refs))
		})
	}
}
