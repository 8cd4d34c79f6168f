package hw

import "golang.org/x/sys/windows"

// platformDiskFull are this system's other ways of saying "disk full".
var platformDiskFull = []error{windows.ERROR_DISK_FULL, windows.ERROR_HANDLE_DISK_FULL, windows.ERROR_DISK_QUOTA_EXCEEDED}
