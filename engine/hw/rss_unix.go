//go:build linux || darwin

package hw

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// PeakRSS returns the most physical memory this process has held at once
// since it started (its peak resident set size), in bytes. Pages of files
// mapped into memory count once they are read, so for a process that runs a
// memory-mapped model the figure includes the weights it touched.
func PeakRSS() (uint64, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("read peak memory use: %w", err)
	}
	if runtime.GOOS == "darwin" { // ru_maxrss is in bytes on macOS, in KiB on Linux
		return uint64(ru.Maxrss), nil
	}
	return uint64(ru.Maxrss) * 1024, nil
}
