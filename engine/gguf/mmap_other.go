//go:build !unix && !windows

package gguf

import (
	"io"
	"os"
)

// mmap reads the file into the heap on systems without a mapping API Nibble
// uses (js, wasip1, plan9): correct, but it costs the file's size in memory.
func mmap(f *os.File, size int) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

func munmap([]byte) error { return nil }
