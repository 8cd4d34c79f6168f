package mmap

import (
	"fmt"
	"math"
	"os"
)

// Open maps the whole file at path read-only with Map, or returns nil for an
// empty file (mapping zero bytes fails on every OS). The mapping outlives
// the descriptor, which Open closes; the caller must Unmap a non-nil result.
func Open(path string) ([]byte, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return nil, nil
	}
	if st.Size() > math.MaxInt {
		return nil, fmt.Errorf("%s: file of %d bytes too large to map", path, st.Size())
	}
	b, err := Map(fd, int(st.Size()))
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return b, nil
}
