//go:build !linux && !darwin && !windows

package hw

import (
	"errors"
	"runtime"
)

// PeakRSS would return the process's peak resident set size; Nibble reads it
// on Linux, macOS and Windows only.
func PeakRSS() (uint64, error) {
	return 0, errors.New("read peak memory use: not supported on " + runtime.GOOS)
}
