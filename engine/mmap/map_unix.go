//go:build unix

package mmap

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Map maps the first size (> 0) bytes of f read-only. The mapping stays
// valid after f is closed, until Unmap.
func Map(f *os.File, size int) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
}

// Unmap removes a mapping made by Map. b must be the whole slice Map returned.
func Unmap(b []byte) error { return unix.Munmap(b) }

// Release tells the kernel this process no longer needs the pages under b, a
// part of a mapping made by Map: they leave its resident set (the file's data
// stays in the page cache) and are read again if b is touched later, so the
// data stays valid. It is only a hint; errors are ignored.
func Release(b []byte) {
	if len(b) == 0 {
		return
	}
	// madvise needs a page-aligned start. Widening b to whole pages stays
	// inside the mapping, which starts on a page and ends on one.
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	skip := start % page
	whole := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), -int(skip))), len(b)+int(skip))
	_ = unix.Madvise(whole, unix.MADV_DONTNEED)
}
