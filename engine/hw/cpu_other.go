//go:build !darwin

package hw

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/shirou/gopsutil/v3/cpu"
)

// hostCPU reads the processor's name and core counts through gopsutil.
// (On macOS, cpu_darwin.go reads them without it.)
func hostCPU(ctx context.Context) (CPU, error) {
	// runtime.NumCPU is what Go schedules on; it stands in when the OS
	// does not say how many threads the processor has.
	c := CPU{Features: DetectCPUFeatures(), LogicalCores: runtime.NumCPU()}
	var errs []error
	if infos, err := cpu.InfoWithContext(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read processor name: %w", err))
	} else if len(infos) > 0 {
		c.Model = strings.TrimSpace(infos[0].ModelName)
	}
	if n, err := cpu.CountsWithContext(ctx, true); err != nil {
		errs = append(errs, fmt.Errorf("count processor threads: %w", err))
	} else if n > 0 {
		c.LogicalCores = n
	}
	if n, err := cpu.CountsWithContext(ctx, false); err != nil {
		errs = append(errs, fmt.Errorf("count processor cores: %w", err))
	} else {
		c.PhysicalCores = n
	}
	return c, errors.Join(errs...)
}
