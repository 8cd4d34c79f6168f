// Package mmap maps files read-only into memory for the model readers
// (engine/gguf, engine/safetensors), so that a model's weights are read
// straight from the page cache instead of being copied into the Go heap.
//
// Open maps a whole file by path (what the readers call); Map and Unmap
// wrap the operating system's call (mmap on unix, MapViewOfFile on
// Windows); on systems without one Nibble uses (js, wasip1, plan9) Map
// reads the file into the heap instead. Release lets a reader that
// streams through a file, one tensor at a time, give back the pages it has
// finished with, so that the process's resident memory stays near one
// tensor's size instead of growing to the whole file's.
package mmap
