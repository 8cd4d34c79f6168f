//go:build !windows

package hw

import "syscall"

// platformDiskFull are this system's other ways of saying "disk full".
var platformDiskFull = []error{syscall.EDQUOT}
