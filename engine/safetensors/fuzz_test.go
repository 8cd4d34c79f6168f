package safetensors

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the header parser: it must never panic,
// and every file it accepts must keep each tensor inside the data area, of
// the size its shape says, without overlapping another.
func FuzzParse(f *testing.F) {
	f.Add(build(`{}`, 0))
	f.Add(build(`{"a": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]}, "__metadata__": {"format": "pt"}}`, 12))
	f.Add(build(`{"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}, "b": {"dtype": "F16", "shape": [1], "data_offsets": [4, 6]}}`, 6))
	// The start of a real shard (its whole header and a little data) when the
	// shared test data is there.
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "testdata", "hf", "ts5m", "model-00002-of-00002.safetensors")); err == nil {
		f.Add(b[:2200])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse(data)
		if err != nil {
			return
		}
		for i, tn := range file.Tensors {
			if tn.Begin+tn.Size > uint64(len(data)) || tn.Begin < 8 {
				t.Fatalf("tensor %s [%d, +%d) outside the %d-byte file", tn.Name, tn.Begin, tn.Size, len(data))
			}
			if tn.Size != tn.Elements()*uint64(tn.Type.BlockBytes()) {
				t.Fatalf("tensor %s: %d bytes for shape %v", tn.Name, tn.Size, tn.Shape)
			}
			if i > 0 && file.Tensors[i-1].Name >= tn.Name {
				t.Fatalf("tensors not sorted by name")
			}
			for _, u := range file.Tensors[:i] {
				if tn.Size > 0 && u.Size > 0 && tn.Begin < u.Begin+u.Size && u.Begin < tn.Begin+tn.Size {
					t.Fatalf("tensors %s and %s overlap", u.Name, tn.Name)
				}
			}
		}
	})
}
