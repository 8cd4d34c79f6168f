//go:build !unix && !windows

package mmap

import (
	"io"
	"os"
)

// Map reads the file into the heap on systems without a mapping API Nibble
// uses (js, wasip1, plan9): correct, but it costs the file's size in memory.
func Map(f *os.File, size int) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Unmap does nothing: the garbage collector frees the bytes.
func Unmap([]byte) error { return nil }

// Release does nothing: heap bytes cannot be given back while referenced.
func Release([]byte) {}
