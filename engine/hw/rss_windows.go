package hw

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// processMemoryCounters is Windows' PROCESS_MEMORY_COUNTERS (psapi.h);
// golang.org/x/sys/windows has no binding of GetProcessMemoryInfo.
type processMemoryCounters struct {
	cb                         uint32
	pageFaultCount             uint32
	peakWorkingSetSize         uintptr
	workingSetSize             uintptr
	quotaPeakPagedPoolUsage    uintptr
	quotaPagedPoolUsage        uintptr
	quotaPeakNonPagedPoolUsage uintptr
	quotaNonPagedPoolUsage     uintptr
	pagefileUsage              uintptr
	peakPagefileUsage          uintptr
}

var procGetProcessMemoryInfo = windows.NewLazySystemDLL("psapi.dll").NewProc("GetProcessMemoryInfo")

// PeakRSS returns the most physical memory this process has held at once
// since it started (its peak working set), in bytes. Pages of files mapped
// into memory count once they are read, so for a process that runs a
// memory-mapped model the figure includes the weights it touched.
func PeakRSS() (uint64, error) {
	var c processMemoryCounters
	c.cb = uint32(unsafe.Sizeof(c))
	ok, _, err := procGetProcessMemoryInfo.Call(uintptr(windows.CurrentProcess()), uintptr(unsafe.Pointer(&c)), uintptr(c.cb))
	if ok == 0 {
		return 0, fmt.Errorf("read peak memory use: %w", err)
	}
	return uint64(c.peakWorkingSetSize), nil
}
