//go:build unix

package gguf

import (
	"os"

	"golang.org/x/sys/unix"
)

// mmap maps the first size (> 0) bytes of f read-only. The mapping stays
// valid after f is closed.
func mmap(f *os.File, size int) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
}

func munmap(b []byte) error { return unix.Munmap(b) }
