package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nibble/engine/refdata"
)

// copyFile writes f through a Writer to path, keeping metadata and tensor order.
func copyFile(t *testing.T, f *File, path string) {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.CopyKV(f); err != nil {
		t.Fatal(err)
	}
	for _, ti := range f.Tensors {
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims); err != nil {
			t.Fatal(err)
		}
	}
	for _, ti := range f.Tensors {
		if err := w.WriteTensor(ti.Name, f.TensorData(ti)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestRoundTripIdentical reads real llama.cpp/gguf-py files and writes them
// back: identical bytes prove the writer's layout (header, alignment padding,
// tensor offsets, trailing padding) is the reference one.
func TestRoundTripIdentical(t *testing.T) {
	// models/: gguf-py (ts5m-F32), llama-quantize, convert-llama2c; hf/:
	// convert_hf_to_gguf.py; vocab/: gguf-py, no tensors.
	dir := refdata.Dir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.gguf"))
	if err != nil || len(files) < 24 {
		t.Fatalf("found %d GGUF files (%v), want the 24 of the README", len(files), err)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		t.Run(rel, func(t *testing.T) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			dst := filepath.Join(t.TempDir(), "out.gguf")
			copyFile(t, f, dst)
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			// Without tensors, writers disagree on padding the header: gguf-py's
			// vocab-only conversion leaves it unpadded (like ours), the script
			// that wrote ggml-vocab-ts5m padded it. Either is a valid file.
			n := uint64(len(got))
			if len(f.Tensors) == 0 && uint64(len(want)) == n+padding(n, f.Alignment) &&
				bytes.Equal(want[n:], make([]byte, len(want)-len(got))) {
				want = want[:len(got)]
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("copy differs: %d bytes vs %d, first difference at offset %d", len(got), len(want), i)
			}
		})
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gguf")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("a", F32, []uint64{8}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTensor("a", make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), ".model.gguf.tmp-") {
		t.Fatalf("while writing, directory holds %v (%v), want one .model.gguf.tmp-* file", entries, err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	entries, err = os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

// allValues has one value of every type, including empty and nested arrays.
var allValues = []KV{
	{"u8", Uint8(200)},
	{"i8", Int8(-100)},
	{"u16", Uint16(60000)},
	{"i16", Int16(-30000)},
	{"u32", Uint32(4000000000)},
	{"i32", Int32(-2000000000)},
	{"f32", Float32(1.5)},
	{"bool", Bool(true)},
	{"str", String("héllo")},
	{"u64", Uint64(1 << 63)},
	{"i64", Int64(-1 << 62)},
	{"f64", Float64(-2.25)},
	{"a.u8", Array([]uint8{1, 2})},
	{"a.i8", Array([]int8{-1})},
	{"a.u16", Array([]uint16{7})},
	{"a.i16", Array([]int16{-7})},
	{"a.u32", Array([]uint32{1, 2, 3})},
	{"a.i32", Array([]int32{-3})},
	{"a.f32", Array([]float32{0.5, -1})},
	{"a.bool", Array([]bool{true, false})},
	{"a.str", Array([]string{"a", "", "ccc"})},
	{"a.u64", Array([]uint64{1 << 40})},
	{"a.i64", Array([]int64{-1 << 40})},
	{"a.f64", Array([]float64{3.25})},
	{"a.empty", Array([]string{})},
	{"a.nested", Array([]Value{Array([]int32{1, 2}), Array([]Value{Array([]string{"deep"})}), Array([]bool{})})},
}

func TestMetadataRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.gguf")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, kv := range allValues {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	// SetKV of an existing key replaces in place; DeleteKV keeps the order.
	mustOK(t, w.SetKV("str", String("replaced")))
	mustOK(t, w.SetKV("gone", Bool(false)))
	mustOK(t, w.DeleteKV("gone"))
	mustOK(t, w.DeleteKV("never there"))
	mustOK(t, w.Commit())

	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.KV) != len(allValues) {
		t.Fatalf("%d keys, want %d", len(f.KV), len(allValues))
	}
	for i, want := range allValues {
		if want.Key == "str" {
			want.Value = String("replaced")
		}
		if got := f.KV[i]; got.Key != want.Key || !reflect.DeepEqual(got.Value, want.Value) {
			t.Errorf("key %d: got %s = %#v, want %s = %#v", i, got.Key, got.Value, want.Key, want.Value)
		}
	}
	// The File getters check the type.
	if s, ok := f.String("str"); !ok || s != "replaced" {
		t.Errorf("String(str) = %q, %v", s, ok)
	}
	if _, ok := f.String("u8"); ok {
		t.Error("String(u8) succeeded")
	}
	if u, ok := f.Uint("u16"); !ok || u != 60000 {
		t.Errorf("Uint(u16) = %d, %v", u, ok)
	}
	if i, ok := f.Int("i8"); !ok || i != -100 {
		t.Errorf("Int(i8) = %d, %v", i, ok)
	}
	if fl, ok := f.Float("f64"); !ok || fl != -2.25 {
		t.Errorf("Float(f64) = %v, %v", fl, ok)
	}
	if b, ok := f.Bool("bool"); !ok || !b {
		t.Errorf("Bool(bool) = %v, %v", b, ok)
	}
	if _, ok := f.Bool("u8"); ok {
		t.Error("Bool(u8) succeeded")
	}
	if s, ok := f.Strings("a.str"); !ok || len(s) != 3 || s[2] != "ccc" {
		t.Errorf("Strings(a.str) = %q, %v", s, ok)
	}
	if _, ok := f.Strings("a.u8"); ok {
		t.Error("Strings(a.u8) succeeded")
	}
	if _, ok := f.Get("missing"); ok {
		t.Error("Get(missing) succeeded")
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriterErrors checks every misuse the writer reports instead of writing
// a file llama.cpp could not read, and that a failed writer leaves no file.
func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func(w *Writer) error
		msg  string
	}{
		{"value type mismatch", func(w *Writer) error {
			return w.SetKV("k", Value{Type: ValueUint32, V: int32(1)})
		}, "value of type uint32 holds Go type int32"},
		{"array elem mismatch", func(w *Writer) error {
			return w.SetKV("k", Value{Type: ValueArray, Elem: ValueInt8, V: []uint8{1}})
		}, "element type int8"},
		{"nested array of scalars", func(w *Writer) error {
			return w.SetKV("k", Array([]Value{Uint8(1)}))
		}, "element 0 of an array of arrays has type uint8"},
		{"unsupported Go type", func(w *Writer) error {
			return w.SetKV("k", Value{Type: ValueInt64, V: 1})
		}, "unsupported Go type int"},
		{"bad alignment", func(w *Writer) error {
			mustOK(t, w.SetKV(KeyAlignment, Uint32(24)))
			return w.Commit()
		}, "general.alignment must be a uint32 power of two"},
		{"long name", func(w *Writer) error {
			return w.AddTensor(strings.Repeat("x", 64), F32, []uint64{1})
		}, "name longer than 63 bytes"},
		{"duplicate tensor", func(w *Writer) error {
			mustOK(t, w.AddTensor("a", F32, []uint64{1}))
			return w.AddTensor("a", F32, []uint64{1})
		}, "add tensor a: duplicate name"},
		{"bad dims", func(w *Writer) error {
			return w.AddTensor("a", Q4_K, []uint64{128})
		}, "row width 128 is not a multiple of the Q4_K block size 256"},
		{"unknown type", func(w *Writer) error {
			return w.AddTensor("a", Type(5), []uint64{32})
		}, "unknown tensor type 5"},
		{"out of order", func(w *Writer) error {
			mustOK(t, w.AddTensor("a", F32, []uint64{1}))
			mustOK(t, w.AddTensor("b", F32, []uint64{1}))
			return w.WriteTensor("b", make([]byte, 4))
		}, "write tensor b: out of order, next is a"},
		{"wrong size", func(w *Writer) error {
			mustOK(t, w.AddTensor("a", Q8_0, []uint64{32, 2}))
			return w.WriteTensor("a", make([]byte, 64))
		}, "64 bytes, want 68 for Q8_0 [32 2]"},
		{"too many tensors", func(w *Writer) error {
			mustOK(t, w.AddTensor("a", F32, []uint64{1}))
			mustOK(t, w.WriteTensor("a", make([]byte, 4)))
			return w.WriteTensor("a", make([]byte, 4))
		}, "all 1 declared tensors already written"},
		{"metadata after header", func(w *Writer) error {
			mustOK(t, w.AddTensor("a", F32, []uint64{1}))
			mustOK(t, w.WriteTensor("a", make([]byte, 4)))
			return w.SetKV("late", Bool(true))
		}, "header already written"},
		{"tensor after header", func(w *Writer) error {
			mustOK(t, w.AddTensor("a", F32, []uint64{1}))
			mustOK(t, w.WriteTensor("a", make([]byte, 4)))
			return w.AddTensor("b", F32, []uint64{1})
		}, "header already written"},
		{"missing tensor data", func(w *Writer) error {
			mustOK(t, w.AddTensor("a", F32, []uint64{1}))
			mustOK(t, w.AddTensor("b", F32, []uint64{1}))
			mustOK(t, w.AddTensor("c", F32, []uint64{1}))
			mustOK(t, w.WriteTensor("a", make([]byte, 4)))
			return w.Commit()
		}, "tensor b (and 1 more) not written"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := Create(filepath.Join(dir, "m.gguf"))
			if err != nil {
				t.Fatal(err)
			}
			err = tc.run(w)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want one mentioning %q", err, tc.msg)
			}
			mustOK(t, w.Abort())
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%d files left behind", len(entries))
			}
		})
	}
}

// TestCommitReplaces checks that Commit replaces an existing file, leaves no
// temporary file, and that Abort after Commit keeps the result.
func TestCommitReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	mustOK(t, os.WriteFile(path, []byte("old"), 0o644))
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, w.AddTensor("a", F32, []uint64{3}))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("target gone before Commit: %v", err)
	}
	mustOK(t, w.WriteTensor("a", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}))
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("target changed before Commit: %q", got)
	}
	mustOK(t, w.Commit())
	mustOK(t, w.Abort())
	if err := w.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "m.gguf" {
		t.Errorf("directory holds %v, want only m.gguf", entries)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ti, _ := f.Tensor("a")
	if got := f.TensorData(ti); len(got) != 12 || got[11] != 12 || f.DataOffset%32 != 0 {
		t.Errorf("tensor data %v at %d", got, f.DataOffset)
	}
	if st, _ := os.Stat(path); st.Size() != int64(f.DataOffset)+32 {
		t.Errorf("file is %d bytes, want data section padded to 32", st.Size())
	}
}

func TestValueGetters(t *testing.T) {
	tests := []struct {
		v    Value
		u    uint64
		uOK  bool
		i    int64
		iOK  bool
		fl   float64
		flOK bool
	}{
		{Uint8(7), 7, true, 7, true, 0, false},
		{Int8(-1), 0, false, -1, true, 0, false},
		{Int32(5), 5, true, 5, true, 0, false},
		{Uint64(1 << 63), 1 << 63, true, 0, false, 0, false},
		{Int64(-5), 0, false, -5, true, 0, false},
		{Float32(0.5), 0, false, 0, false, 0.5, true},
		{Float64(2), 0, false, 0, false, 2, true},
		{String("7"), 0, false, 0, false, 0, false},
		{Array([]uint32{1}), 0, false, 0, false, 0, false},
		{Value{Type: ValueUint16, V: uint32(1)}, 0, false, 0, false, 0, false}, // malformed
	}
	for _, tc := range tests {
		u, uOK := tc.v.Uint()
		i, iOK := tc.v.Int()
		fl, flOK := tc.v.Float()
		if u != tc.u || uOK != tc.uOK || i != tc.i || iOK != tc.iOK || fl != tc.fl || flOK != tc.flOK {
			t.Errorf("%v %#v: Uint %d %v, Int %d %v, Float %v %v", tc.v.Type, tc.v.V, u, uOK, i, iOK, fl, flOK)
		}
	}
}
