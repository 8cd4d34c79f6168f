//go:build !windows

package hw

import (
	"errors"
	"syscall"
)

// DiskFull tells whether err, or an error it wraps, is the system saying a
// write found no room: the disk is full (ENOSPC) or the user's disk quota
// is used up (EDQUOT), which the user fixes the same way, by making room.
// It looks at error values, not messages: an error flattened into text
// (with %v or %s rather than %w) is not recognised.
func DiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
