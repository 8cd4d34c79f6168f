package hw

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// hostCPU reads the processor's name and core counts from the same sysctls
// gopsutil reads on macOS. gopsutil's cpu package is not used here because
// on macOS it also links github.com/shoenig/go-m1cpu, cgo code that queries
// IOKit for clock speeds when every program starts.
func hostCPU(context.Context) (CPU, error) {
	c := CPU{Features: DetectCPUFeatures()}
	var errs []error
	var err error
	if c.Model, err = unix.Sysctl("machdep.cpu.brand_string"); err != nil {
		errs = append(errs, fmt.Errorf("read processor name: %w", err))
	}
	if n, err := unix.SysctlUint32("hw.logicalcpu"); err != nil {
		errs = append(errs, fmt.Errorf("count processor threads: %w", err))
	} else {
		c.LogicalCores = int(n)
	}
	if n, err := unix.SysctlUint32("hw.physicalcpu"); err != nil {
		errs = append(errs, fmt.Errorf("count processor cores: %w", err))
	} else {
		c.PhysicalCores = int(n)
	}
	return c, errors.Join(errs...)
}
