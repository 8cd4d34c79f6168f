package imatrix

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nibble/engine/gguf"
)

// sample is a small matrix with awkward values: sums that do not divide
// evenly, a 3-D weight (two experts, one of which saw no token) and two
// datasets.
func sample() *Matrix {
	return &Matrix{
		Entries: map[string]Entry{
			"blk.0.attn_q.weight":      {Sums: []float32{1, 2.5, 1e-7, 3.3333333}, Counts: []float64{1536}},
			"blk.0.ffn_down.weight":    {Sums: []float32{7, 0.1, 11}, Counts: []float64{1536}},
			"blk.1.ffn_up_exps.weight": {Sums: []float32{1, 2, 3, 4}, Counts: []float64{3, 0}},
		},
		Datasets:  []string{"old.txt", "calibration.txt"},
		Chunks:    3,
		ChunkSize: 512,
	}
}

// le builds little-endian test input from int32, float32, string and
// []float32 values.
func le(fields ...any) []byte {
	var b []byte
	for _, f := range fields {
		switch v := f.(type) {
		case int:
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
		case float32:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		case string:
			b = append(b, v...)
		default:
			panic(f)
		}
	}
	return b
}

func TestWeights(t *testing.T) {
	m := sample()
	tests := []struct {
		name string
		want []float32
	}{
		{"blk.0.attn_q.weight", []float32{1.0 / 1536, 2.5 / 1536, 1e-7 / 1536, 3.3333333 / 1536}},
		{"blk.1.ffn_up_exps.weight", []float32{1.0 / 3, 2.0 / 3, 1, 1}}, // the expert without tokens gets 1, as in llama-quantize
		{"output.weight", nil},
	}
	for _, tt := range tests {
		if got := m.Weights(tt.name); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Weights(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestLegacyLayout checks the legacy format field by field against bytes
// built by hand from llama.cpp's layout: what Read makes of them, and that
// Write gives the same bytes back.
func TestLegacyLayout(t *testing.T) {
	file := le(2,
		19, "blk.0.attn_q.weight", 3, 2, float32(3), float32(1.5), // ncall 3: weights 1, 0.5
		21, "blk.0.ffn_down.weight", 3, 1, float32(6),
		3, 9, "calib.txt")
	path := filepath.Join(t.TempDir(), "imatrix.dat")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Chunks != 3 || m.ChunkSize != 512 || !reflect.DeepEqual(m.Datasets, []string{"calib.txt"}) {
		t.Errorf("chunks %d, chunk size %d, datasets %q; want 3, 512, [calib.txt]", m.Chunks, m.ChunkSize, m.Datasets)
	}
	for name, want := range map[string][]float32{"blk.0.attn_q.weight": {1, 0.5}, "blk.0.ffn_down.weight": {2}} {
		if got := m.Weights(name); !reflect.DeepEqual(got, want) {
			t.Errorf("Weights(%s) = %v, want %v", name, got, want)
		}
	}
	out := filepath.Join(t.TempDir(), "again.dat")
	if err := Write(out, m); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, file) {
		t.Errorf("written again:\n%x\nwant\n%x", got, file)
	}
}

// TestGGUFLayout checks a written GGUF file with the GGUF reader: the keys
// and tensors llama.cpp writes and reads.
func TestGGUFLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imatrix.gguf")
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var keys []string
	for _, kv := range f.KV {
		keys = append(keys, kv.Key)
	}
	if want := []string{"general.type", "imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	typ, _ := f.String("general.type")
	ds, _ := f.Strings("imatrix.datasets")
	cc, _ := f.Get("imatrix.chunk_count")
	cs, _ := f.Get("imatrix.chunk_size")
	if typ != "imatrix" || !reflect.DeepEqual(ds, []string{"old.txt", "calibration.txt"}) || cc.V != uint32(3) || cs.V != uint32(512) {
		t.Errorf("general.type %q, datasets %q, chunk_count %v, chunk_size %v", typ, ds, cc.V, cs.V)
	}
	want := []struct {
		name string
		dims []uint64
		data []float32
	}{
		{"blk.0.attn_q.weight.in_sum2", []uint64{4, 1}, []float32{1, 2.5, 1e-7, 3.3333333}},
		{"blk.0.attn_q.weight.counts", []uint64{1, 1}, []float32{1536}},
		{"blk.0.ffn_down.weight.in_sum2", []uint64{3, 1}, []float32{7, 0.1, 11}},
		{"blk.0.ffn_down.weight.counts", []uint64{1, 1}, []float32{1536}},
		{"blk.1.ffn_up_exps.weight.in_sum2", []uint64{2, 2}, []float32{1, 2, 3, 4}},
		{"blk.1.ffn_up_exps.weight.counts", []uint64{1, 2}, []float32{3, 0}},
	}
	if len(f.Tensors) != len(want) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(want))
	}
	for i, w := range want {
		ti := f.Tensors[i]
		if ti.Name != w.name || ti.Type != gguf.F32 || !reflect.DeepEqual(ti.Dims, w.dims) || !reflect.DeepEqual(floats(f.TensorData(ti)), w.data) {
			t.Errorf("tensor %d: %s %v %v %v, want %s F32 %v %v", i, ti.Name, ti.Type, ti.Dims, floats(f.TensorData(ti)), w.name, w.dims, w.data)
		}
	}
}

// TestRoundTrip writes each format, reads it back and writes it again: the
// importance of every weight survives bit for bit, in either format and
// across them, and the second file equals the first byte for byte.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	orig := sample()
	for _, chain := range [][]string{{"a.gguf"}, {"a.dat"}, {"b.gguf", "b.dat", "b2.gguf"}, {"c.dat", "c.gguf", "c2.dat"}} {
		m := orig
		for _, name := range chain {
			path := filepath.Join(dir, name)
			if err := Write(path, m); err != nil {
				t.Fatal(err)
			}
			back, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range orig.Names() {
				if got, want := back.Weights(n), orig.Weights(n); !reflect.DeepEqual(got, want) {
					t.Errorf("%v, %s: %s weights %v, want %v", chain, name, n, got, want)
				}
			}
			if !reflect.DeepEqual(back.Names(), orig.Names()) || back.Chunks != orig.Chunks {
				t.Errorf("%v, %s: names %q chunks %d", chain, name, back.Names(), back.Chunks)
			}
			again := path + ".again" + filepath.Ext(path)
			if err := Write(again, back); err != nil {
				t.Fatal(err)
			}
			b1, _ := os.ReadFile(path)
			b2, _ := os.ReadFile(again)
			if !bytes.Equal(b1, b2) {
				t.Errorf("%v, %s: written again, the file changed", chain, name)
			}
			m = back
		}
	}
	// Only the legacy format loses something: all datasets but the last,
	// and the chunk size.
	path := filepath.Join(dir, "exact.gguf")
	if err := Write(path, orig); err != nil {
		t.Fatal(err)
	}
	if back, err := Read(path); err != nil || !reflect.DeepEqual(back, orig) {
		t.Errorf("GGUF read back %+v, %v; want %+v", back, err, orig)
	}
}

// TestReadBad gives damaged files to Read: each is an error, none a panic.
func TestReadBad(t *testing.T) {
	good := le(1, 19, "blk.0.attn_q.weight", 1, 2, float32(1), float32(2), 1, 1, "x")
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "entry count"},
		{"no entries", le(0), "0 entries"},
		{"negative entries", le(-5), "-5 entries"},
		{"negative name length", le(1, -1), "name of -1 bytes"},
		{"huge name length", le(1, 1<<30, "blk"), "name of 1073741824 bytes"},
		{"truncated name", good[:10], "name of 19 bytes"},
		{"no values", le(1, 1, "a", 1, 0), "0 values"},
		{"negative values", le(1, 1, "a", 1, -3), "-3 values"},
		{"huge value count", le(1, 1, "a", 1, 1<<30, float32(1)), "values of 4294967296 bytes"},
		{"truncated values", good[:len(good)-14], "values of 8 bytes"},
		{"more entries than data", append(le(2), good[4:len(good)-9]...), "name length"},
		{"repeated name", le(2, 1, "a", 1, 1, float32(1), 1, "a", 1, 1, float32(1)), "repeated name"},
		{"empty name", le(1, 0, 1, 1, float32(1)), "empty or repeated name"},
		{"truncated trailer", good[:len(good)-3], "dataset name length"},
		{"truncated dataset name", good[:len(good)-1], "dataset name of 1 bytes"},
		{"overflowing value", le(1, 1, "a", 1, 1, float32(3e38)), "too large"},
		{"GGUF magic only", []byte("GGUF"), "GGUF"},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		path := filepath.Join(dir, strings.Repeat("x", i+1))
		if err := os.WriteFile(path, tt.file, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// TestReadBadGGUF gives Read GGUF files that lack what llama-quantize
// requires.
func TestReadBadGGUF(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string // imatrix.* keys to write
		tensor [2]string
		dims   [2][]uint64
		want   string
	}{
		{"no datasets", []string{keyChunkCount, keyChunkSize}, [2]string{".in_sum2", ".counts"}, [2][]uint64{{4, 1}, {1, 1}}, keyDatasets},
		{"no chunk size", []string{keyDatasets, keyChunkCount}, [2]string{".in_sum2", ".counts"}, [2][]uint64{{4, 1}, {1, 1}}, keyChunkSize},
		{"sums without counts", []string{keyDatasets, keyChunkCount, keyChunkSize}, [2]string{".in_sum2", ".other"}, [2][]uint64{{4, 1}, {1, 1}}, "has no blk.0.attn_q.weight.counts"},
		{"counts without sums", []string{keyDatasets, keyChunkCount, keyChunkSize}, [2]string{".in_sum", ".counts"}, [2][]uint64{{4, 1}, {1, 1}}, "no entries"},
		{"counts of the wrong size", []string{keyDatasets, keyChunkCount, keyChunkSize}, [2]string{".in_sum2", ".counts"}, [2][]uint64{{2, 2}, {1, 1}}, "are not F32 sums"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "bad.gguf")
		w, err := gguf.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range tt.keys {
			v := gguf.Uint32(1)
			if k == keyDatasets {
				v = gguf.Array([]string{"x"})
			}
			w.SetKV(k, v)
		}
		for i, suffix := range tt.tensor {
			w.AddTensor("blk.0.attn_q.weight"+suffix, gguf.F32, tt.dims[i])
		}
		w.WriteTensor("blk.0.attn_q.weight"+tt.tensor[0], make([]byte, 16))
		w.WriteTensor("blk.0.attn_q.weight"+tt.tensor[1], make([]byte, 4))
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// FuzzDecodeLegacy: any input gives a Matrix or an error, never a panic, and
// a Matrix it gives can be written.
func FuzzDecodeLegacy(f *testing.F) {
	f.Add(le(1, 19, "blk.0.attn_q.weight", 1, 2, float32(1), float32(2), 1, 1, "x"))
	f.Add(le(1, 1, "a", 0, 1, float32(1)))
	f.Add(le(2, 1, "a", -1, 1, float32(1), 1, "b", 5, 1, float32(1e30), 7, 0))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeLegacy(data)
		if err != nil {
			return
		}
		if err := Write(filepath.Join(dir, "f.dat"), m); err != nil {
			t.Errorf("decoded, but cannot be written: %v", err)
		}
	})
}
