package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestMapRelease maps a file, releases unaligned parts of it and checks that
// every byte still reads as written.
func TestMapRelease(t *testing.T) {
	want := make([]byte, 3*os.Getpagesize()+123)
	for i := range want {
		want[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Map(f, len(want))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer Unmap(b)
	if !bytes.Equal(b, want) {
		t.Fatal("mapping differs from the file")
	}
	Release(b[5 : len(b)-5])
	Release(b[len(b)-1:])
	Release(b[:0])
	if !bytes.Equal(b, want) {
		t.Fatal("data changed after Release")
	}
}
