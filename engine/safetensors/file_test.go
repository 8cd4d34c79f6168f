package safetensors

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// build returns a safetensors file: the 8-byte length, header, then
// dataSize zero bytes.
func build(header string, dataSize int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataSize)...)
}

func TestParse(t *testing.T) {
	const header = `{"b": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [16, 28]},
		"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
		"s": {"dtype": "F16", "shape": [], "data_offsets": [28, 30]},
		"__metadata__": {"format": "pt"}}   `
	f, err := parse(build(header, 30))
	if err != nil {
		t.Fatal(err)
	}
	hdr := uint64(8 + len(header))
	want := []Tensor{
		{Name: "a", Type: gguf.F32, Shape: []uint64{4}, Begin: hdr, Size: 16},
		{Name: "b", Type: gguf.BF16, Shape: []uint64{2, 3}, Begin: hdr + 16, Size: 12},
		{Name: "s", Type: gguf.F16, Shape: []uint64{}, Begin: hdr + 28, Size: 2},
	}
	if !reflect.DeepEqual(f.Tensors, want) {
		t.Errorf("tensors\n got %+v\nwant %+v", f.Tensors, want)
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", f.Metadata)
	}
}

func TestParseRejects(t *testing.T) {
	long := binary.LittleEndian.AppendUint64(nil, MaxHeaderBytes+1)
	for _, tc := range []struct {
		name string
		file []byte
		want error
		msg  string
	}{
		{"short", []byte{1, 2, 3}, ErrCorrupt, "shorter than the header length"},
		{"length over limit", append(long, make([]byte, 64)...), ErrCorrupt, "over the"},
		{"length past end", build(`{}`, 0)[:9], ErrCorrupt, "runs past the end"},
		{"not an object", build(`[]`, 0), ErrCorrupt, "not a JSON object"},
		{"bad JSON", build(`{"a": `, 0), ErrCorrupt, "tensor \"a\""},
		{"trailing data", build(`{} {}`, 0), ErrCorrupt, "data after"},
		{"duplicate", build(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}`, 8), ErrCorrupt, "twice"},
		{"unknown field", build(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}`, 4), ErrCorrupt, "unknown field"},
		{"no shape", build(`{"a": {"dtype": "F32", "data_offsets": [0, 4]}}`, 4), ErrCorrupt, "lacks shape"},
		{"dtype", build(`{"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}`, 8), ErrDType, `"F64"`},
		{"negative dim", build(`{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}`, 4), ErrCorrupt, "tensor \"a\""},
		{"size mismatch", build(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}`, 8), ErrCorrupt, "takes 8 bytes"},
		{"overflow", build(`{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}`, 0), ErrCorrupt, "overflows"},
		{"past data", build(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}`, 4), ErrCorrupt, "outside"},
		{"reversed", build(`{"a": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}`, 4), ErrCorrupt, "outside"},
		{"overlap", build(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "z": {"dtype": "F16", "shape": [0], "data_offsets": [2, 2]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}`, 8), ErrCorrupt, "overlap"},
		{"metadata not strings", build(`{"__metadata__": {"a": 1}}`, 0), ErrCorrupt, "__metadata__"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.file)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

// TestOpenModel reads the shared HF copy of ts5m: two shards listed by the
// index, 57 tensors, in the order convert_hf_to_gguf.py reads them.
func TestOpenModel(t *testing.T) {
	dir := refdata.Path(t, "hf/ts5m")
	m, err := OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Files) != 2 || len(m.Tensors) != 57 {
		t.Fatalf("%d files, %d tensors; want 2 and 57", len(m.Files), len(m.Tensors))
	}
	first, last := m.Tensors[0], m.Tensors[56]
	if first.Name != "model.embed_tokens.weight" || !reflect.DeepEqual(first.Shape, []uint64{2048, 256}) || first.Type != gguf.BF16 {
		t.Errorf("first tensor %+v", first.Tensor)
	}
	if last.Name != "model.norm.weight" || last.File != m.Files[1] {
		t.Errorf("last tensor %+v", last.Tensor)
	}
	if got := m.Tensors[37].Name; got != "lm_head.weight" {
		t.Errorf("first tensor of shard 2 is %s, want lm_head.weight", got)
	}
	var total uint64
	for _, r := range m.Tensors {
		total += uint64(len(r.Data()))
	}
	if total != 11540992 { // the index's metadata.total_size
		t.Errorf("tensor bytes %d, want 11540992", total)
	}
}

// TestOpenModelErrors checks that a broken folder is reported by what is
// missing.
func TestOpenModelErrors(t *testing.T) {
	src := refdata.Path(t, "hf/ts5m")
	copyDir := func(t *testing.T, skip string) string {
		dir := t.TempDir()
		entries, _ := os.ReadDir(src)
		for _, e := range entries {
			if e.Name() == skip {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	t.Run("missing shard", func(t *testing.T) {
		_, err := OpenModel(copyDir(t, "model-00002-of-00002.safetensors"))
		if err == nil || !strings.Contains(err.Error(), "missing shard file model-00002-of-00002.safetensors") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("tensor missing from index", func(t *testing.T) {
		dir := copyDir(t, "")
		if err := os.WriteFile(filepath.Join(dir, IndexFile), []byte(`{"weight_map": {"model.norm.weight": "model-00002-of-00002.safetensors"}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := OpenModel(dir)
		if err == nil || !strings.Contains(err.Error(), "model.embed_tokens.weight in model-00001-of-00002.safetensors is not listed") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("tensor missing from shard", func(t *testing.T) {
		dir := copyDir(t, "")
		b, _ := os.ReadFile(filepath.Join(dir, IndexFile))
		b = []byte(strings.Replace(string(b), `"weight_map": {`, `"weight_map": {"extra.weight": "model-00001-of-00002.safetensors", `, 1))
		os.WriteFile(filepath.Join(dir, IndexFile), b, 0o644)
		_, err := OpenModel(dir)
		if err == nil || !strings.Contains(err.Error(), "tensor extra.weight is missing from model-00001-of-00002.safetensors") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("no weights", func(t *testing.T) {
		_, err := OpenModel(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "no model.safetensors") {
			t.Errorf("error %v", err)
		}
	})
}
