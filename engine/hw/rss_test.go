package hw

import (
	"runtime"
	"testing"
)

// TestPeakRSSCountsTouchedMemory touches 128 MiB and expects the peak to
// cover it, and never to shrink.
func TestPeakRSSCountsTouchedMemory(t *testing.T) {
	before, err := PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	const size = 128 << 20
	buf := make([]byte, size)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	after, err := PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(buf)
	if after < size || after < before {
		t.Errorf("peak RSS %d bytes after touching %d (before: %d)", after, size, before)
	}
}
