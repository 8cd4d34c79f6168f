package hw

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// DiskFull tells whether err, or an error it wraps, is the system saying a
// write found no room: the disk is full (ERROR_DISK_FULL, or
// ERROR_HANDLE_DISK_FULL) or the user's disk quota is used up
// (ERROR_DISK_QUOTA_EXCEEDED), which the user fixes the same way, by making
// room. It looks at error values, not messages: an error flattened into
// text (with %v or %s rather than %w) is not recognised.
//
// Windows never returns syscall.ENOSPC, but portable Go code that means
// "disk full" does (tests imitating a full disk among them), so it counts.
func DiskFull(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) ||
		errors.Is(err, windows.ERROR_HANDLE_DISK_FULL) ||
		errors.Is(err, windows.ERROR_DISK_QUOTA_EXCEEDED) ||
		errors.Is(err, syscall.ENOSPC)
}
