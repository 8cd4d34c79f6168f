package hw

import (
	"fmt"

	"github.com/shirou/gopsutil/v3/mem"
)

// Memory is the machine's main memory, in bytes.
type Memory struct {
	Total uint64
	// Available is what programs can still get without swapping: free
	// memory plus caches the system can drop (the OS's own estimate).
	Available uint64
}

// ReadMemory asks the operating system for total and available memory.
func ReadMemory() (Memory, error) {
	v, err := mem.VirtualMemory()
	if err != nil {
		return Memory{}, fmt.Errorf("read memory size: %w", err)
	}
	return Memory{Total: v.Total, Available: v.Available}, nil
}
