package gguf

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Little helpers to hand-craft GGUF bytes, field by field.

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func str(s string) []byte { return append(u64(uint64(len(s))), s...) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// header is magic, version 3 and the two counts.
func header(nTensors, nKV uint64) []byte {
	return cat([]byte("GGUF"), u32(3), u64(nTensors), u64(nKV))
}

// kv encodes one key/value pair; payload is the value's bytes.
func kv(key string, t ValueType, payload ...[]byte) []byte {
	return cat(str(key), u32(uint32(t)), cat(payload...))
}

// tinfo encodes one tensor info.
func tinfo(name string, typ Type, offset uint64, dims ...uint64) []byte {
	b := cat(str(name), u32(uint32(len(dims))))
	for _, d := range dims {
		b = append(b, u64(d)...)
	}
	return cat(b, u32(uint32(typ)), u64(offset))
}

// pad32 pads b with zeros to a multiple of 32, like the header before data.
func pad32(b []byte) []byte { return append(b, make([]byte, padding(uint64(len(b)), 32))...) }

func zeros(n int) []byte { return make([]byte, n) }

// TestOpenBad gives Open one hand-crafted bad file per kind of damage and
// checks it fails with the right sentinel and a message naming the problem.
func TestOpenBad(t *testing.T) {
	nested := u32(uint32(ValueUint8))
	for range maxArrayDepth {
		nested = cat(u32(uint32(ValueArray)), u64(1), nested)
	}
	nested = cat(nested, u64(0)) // the innermost, empty array

	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"empty file", nil, ErrTruncated, "0 bytes"},
		{"wrong magic", []byte("GGML\x03\x00\x00\x00"), ErrNotGGUF, `magic "GGML"`},
		{"text file", []byte("hello world"), ErrNotGGUF, "magic"},
		{"version 1", cat([]byte("GGUF"), u32(1), u32(0), u32(0)), ErrVersion, "unsupported GGUF version 1"},
		{"version 4", cat([]byte("GGUF"), u32(4), u64(0), u64(0)), ErrVersion, "version 4"},
		{"big-endian", cat([]byte("GGUF"), binary.BigEndian.AppendUint32(nil, 3), u64(0), u64(0)), ErrVersion, "big-endian"},
		{"truncated version", []byte("GGUF\x03"), ErrTruncated, "header"},
		{"truncated counts", cat([]byte("GGUF"), u32(3), u64(0)), ErrTruncated, "header"},
		{"absurd key count", header(0, 1<<62), ErrTruncated, "metadata count 4611686018427387904"},
		{"absurd tensor count", header(1<<40, 0), ErrTruncated, "tensor count 1099511627776"},
		{"key length past end", cat(header(0, 1), u64(1<<40), []byte("a key of some length")), ErrTruncated, "string of 1099511627776 bytes"},
		{"string value past end", cat(header(0, 1), kv("k", ValueString, u64(100), []byte("abc"))), ErrTruncated, `key "k"`},
		{"array count past end", cat(header(0, 1), kv("k", ValueArray, u32(uint32(ValueUint32)), u64(3), u32(1), u32(2))), ErrTruncated, "array of uint32 count 3"},
		{"absurd array count", cat(header(0, 1), kv("k", ValueArray, u32(uint32(ValueString)), u64(1<<61))), ErrTruncated, "array of string count"},
		{"truncated value", cat(header(0, 1), kv("k", ValueUint64, u32(7))), ErrTruncated, "uint64"},
		{"unknown value type", cat(header(0, 1), kv("k", 13, u32(0))), ErrCorrupt, "unknown value type 13"},
		{"unknown array type", cat(header(0, 1), kv("k", ValueArray, u32(99), u64(0))), ErrCorrupt, "array of unknown value type 99"},
		{"arrays nested too deep", cat(header(0, 1), kv("k", ValueArray, nested)), ErrCorrupt, "nested more than"},
		{"bad bool", cat(header(0, 1), kv("k", ValueBool, []byte{2})), ErrCorrupt, "bool byte 2"},
		{"duplicate key", cat(header(0, 2), kv("k", ValueUint8, []byte{1}), kv("k", ValueUint8, []byte{2})), ErrCorrupt, `duplicate metadata key "k"`},
		{"alignment not power of two", cat(header(0, 1), kv(KeyAlignment, ValueUint32, u32(48))), ErrCorrupt, "48, not a power of two"},
		{"alignment zero", cat(header(0, 1), kv(KeyAlignment, ValueUint32, u32(0))), ErrCorrupt, "0, not a power of two"},
		{"alignment wrong type", cat(header(0, 1), kv(KeyAlignment, ValueUint64, u64(32))), ErrCorrupt, "type uint64, want uint32"},
		{"zero dims", pad32(cat(header(1, 0), str("t"), u32(0), u32(0), u64(0))), ErrCorrupt, `"t"): malformed GGUF file: 0 dims`},
		{"five dims", pad32(cat(header(1, 0), tinfo("t", F32, 0, 1, 1, 1, 1, 1))), ErrCorrupt, "5 dims, want 1 to 4"},
		{"zero dim", pad32(cat(header(1, 0), tinfo("t", F32, 0, 4, 0))), ErrCorrupt, "dim 1 is zero"},
		{"element count overflow", pad32(cat(header(1, 0), tinfo("t", I8, 0, 1<<32, 1<<32))), ErrCorrupt, "element count of dims [4294967296 4294967296] overflows"},
		{"byte size overflow", pad32(cat(header(1, 0), tinfo("t", F64, 0, 1<<31, 1<<31))), ErrCorrupt, "byte size"},
		{"unknown tensor type", pad32(cat(header(1, 0), tinfo("t", 4, 0, 32))), ErrUnknownType, "unknown tensor type 4"},
		{"row width not a block multiple", pad32(cat(header(1, 0), tinfo("t", Q4_0, 0, 48, 2))), ErrCorrupt, "row width 48 is not a multiple of the Q4_0 block size 32"},
		{"misaligned offset", cat(pad32(cat(header(1, 0), tinfo("t", F32, 4, 1))), zeros(64)), ErrCorrupt, "offset 4 is not a multiple of the alignment 32"},
		{"tensor past end", cat(pad32(cat(header(1, 0), tinfo("t", F32, 0, 16))), zeros(32)), ErrTruncated, `tensor "t"`},
		{"tensor offset past end", cat(pad32(cat(header(1, 0), tinfo("t", F32, 1<<63, 1))), zeros(32)), ErrTruncated, "past the end"},
		{"no data section", pad32(cat(header(1, 0), tinfo("t", F32, 0, 1))), ErrTruncated, "past the end"},
		{"no header padding", cat(header(1, 0), tinfo("t", F32, 0, 1)), ErrTruncated, "data section at 64"},
		{"overlapping tensors", cat(pad32(cat(header(2, 0), tinfo("a", F32, 0, 16), tinfo("b", F32, 32, 8))), zeros(96)), ErrCorrupt, `tensors "a" and "b" overlap`},
		{"duplicate tensor", cat(pad32(cat(header(2, 0), tinfo("a", F32, 0, 1), tinfo("a", F32, 32, 1))), zeros(64)), ErrCorrupt, `duplicate tensor name "a"`},
		{"truncated tensor info", cat(header(1, 0), str("tensor.name"), u32(2), u64(4), u64(4)), ErrTruncated, `tensor 0 ("tensor.name")`},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".gguf")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatalf("case %d: Open succeeded", i)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestOpenGood covers valid files the real test data does not: v2, tensors
// stored out of info order, a custom alignment, an empty data section.
func TestOpenGood(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		version   uint32
		align     uint64
		dataStart uint64
		tensors   map[string]uint64 // name -> absolute offset of its data
	}{
		{"v2 without tensors", cat([]byte("GGUF"), u32(2), u64(0), u64(1), kv("a", ValueString, str("x"))), 2, 32, 64, nil},
		{"header only", header(0, 0), 3, 32, 32, nil},
		{"tensors out of order", cat(pad32(cat(header(2, 0), tinfo("late", F32, 32, 8), tinfo("early", F16, 0, 16))), zeros(64)), 3, 32, 128,
			map[string]uint64{"late": 160, "early": 128}},
		{"alignment 64", cat(header(1, 1), kv(KeyAlignment, ValueUint32, u32(64)), tinfo("q", Q8_0, 0, 32), zeros(128-90), zeros(34)), 3, 64, 128,
			map[string]uint64{"q": 128}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.gguf")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Version != tc.version || f.Alignment != tc.align || f.DataOffset != tc.dataStart {
				t.Errorf("version %d alignment %d data at %d, want %d %d %d", f.Version, f.Alignment, f.DataOffset, tc.version, tc.align, tc.dataStart)
			}
			if len(f.Tensors) != len(tc.tensors) {
				t.Fatalf("%d tensors, want %d", len(f.Tensors), len(tc.tensors))
			}
			for name, at := range tc.tensors {
				ti, ok := f.Tensor(name)
				if !ok {
					t.Fatalf("tensor %q missing", name)
				}
				d := f.TensorData(ti)
				if uint64(len(d)) != ti.Bytes() || &d[0] != &f.data[at] {
					t.Errorf("tensor %q: %d bytes at the wrong place, want %d at %d", name, len(d), ti.Bytes(), at)
				}
			}
			if err := f.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := f.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestOpenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.gguf")
	_, err := Open(path)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one wrapping os.ErrNotExist and naming the file", err)
	}
}
