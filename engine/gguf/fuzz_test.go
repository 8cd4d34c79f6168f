package gguf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// buildFile returns a complete valid file with kv and tensors of zero data,
// laid out like the Writer does, without touching the disk.
func buildFile(t testing.TB, kv []KV, tensors []TensorInfo, align uint64) []byte {
	t.Helper()
	tensors = slices.Clone(tensors)
	if err := layout(tensors, align); err != nil {
		t.Fatal(err)
	}
	b := encodeHeader(kv, tensors, align)
	if n := len(tensors); n > 0 {
		last := tensors[n-1]
		size := last.Offset + last.Bytes()
		b = append(b, make([]byte, size+padding(size, align))...)
	}
	return b
}

// FuzzOpen feeds arbitrary bytes to the parser: it must never panic or
// allocate without bound, must fail with one of the sentinel errors, and any
// file it accepts must be self-consistent and survive a write/read round trip.
func FuzzOpen(f *testing.F) {
	f.Add([]byte("GGUF"))
	f.Add(header(0, 0))
	f.Add(buildFile(f, allValues, []TensorInfo{
		{Name: "a", Type: F32, Dims: []uint64{3, 2}},
		{Name: "b", Type: Q8_0, Dims: []uint64{32}},
	}, 32))
	f.Add(buildFile(f, []KV{{KeyAlignment, Uint32(64)}, {"general.architecture", String("llama")}}, []TensorInfo{
		{Name: "k", Type: Q4_K, Dims: []uint64{256, 1, 1, 2}},
		{Name: "n", Type: F16, Dims: []uint64{5}},
	}, 64))
	// The header of a real llama.cpp file when the shared test data is there,
	// cut down so that mutating and minimizing stay fast: its first bytes as
	// they are, and its metadata with arrays cut to 4 elements plus its first
	// 3 tensor infos as a valid file.
	real := filepath.Join("..", "..", "..", "shared", "testdata", "models", "ts5m-Q4_K_M.gguf")
	if b, err := os.ReadFile(real); err == nil {
		f.Add(b[:512])
		if file, err := parse(b); err == nil {
			kv := slices.Clone(file.KV)
			for i, e := range kv {
				if e.Value.Type == ValueArray {
					s := reflect.ValueOf(e.Value.V)
					kv[i].Value.V = s.Slice(0, min(4, s.Len())).Interface()
				}
			}
			f.Add(buildFile(f, kv, file.Tensors[:3], file.Alignment))
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse(data)
		if err != nil {
			if file != nil {
				t.Fatal("parse returned a File and an error")
			}
			sentinels := []error{ErrNotGGUF, ErrVersion, ErrTruncated, ErrUnknownType, ErrCorrupt}
			if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		for _, kv := range file.KV {
			if err := kv.Value.check(); err != nil {
				t.Fatalf("key %q: parsed value fails check: %v", kv.Key, err)
			}
			if _, ok := file.Get(kv.Key); !ok {
				t.Fatalf("Get(%q) failed", kv.Key)
			}
		}
		var size uint64
		for _, ti := range file.Tensors {
			if got := uint64(len(file.TensorData(ti))); got != ti.Bytes() {
				t.Fatalf("tensor %q: %d bytes of data, want %d", ti.Name, got, ti.Bytes())
			}
			if ti.Rows()*ti.Dims[0] != ti.Elements() {
				t.Fatalf("tensor %q: rows %d * width %d != %d elements", ti.Name, ti.Rows(), ti.Dims[0], ti.Elements())
			}
			size += ti.Bytes() + file.Alignment
		}
		if size > 1<<20 {
			return // a huge alignment; re-encoding would allocate too much
		}

		// Re-encode what was read and read it back: the header must be stable.
		b := buildFile(t, file.KV, file.Tensors, file.Alignment)
		again, err := parse(b)
		if err != nil {
			t.Fatalf("re-encoded file does not parse: %v", err)
		}
		h1 := encodeHeader(file.KV, again.Tensors, file.Alignment)
		h2 := encodeHeader(again.KV, again.Tensors, again.Alignment)
		if !bytes.Equal(h1, h2) {
			t.Fatal("header changed in a write/read round trip")
		}
	})
}
