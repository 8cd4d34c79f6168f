package hw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/mem"
)

// hostTimeout bounds each probe of the real machine. nvidia-smi answers in
// well under a second when its driver is loaded, a couple of seconds on a
// cold start of many GPUs.
const hostTimeout = 5 * time.Second

// Host returns this computer as the probes see it: gopsutil for memory,
// processor and disk, the root file system, and programs found on the PATH.
func Host() Env {
	return Env{
		OS:      runtime.GOOS,
		Arch:    runtime.GOARCH,
		Files:   os.DirFS("/"),
		Run:     runCommand,
		RAM:     hostRAM,
		CPU:     hostCPU,
		Disk:    hostDisk,
		Timeout: hostTimeout,
	}
}

// runCommand is the Runner of the real machine.
func runCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	// A hung tool is killed when ctx ends; WaitDelay stops a child it left
	// holding the output pipe from keeping us waiting too.
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err == nil {
		return out, nil
	}
	// Tools explain a failure on either stream (nvidia-smi uses stdout).
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if line := firstLine(exit.Stderr); line != "" {
			return out, fmt.Errorf("%s: %w: %s", name, err, line)
		}
		if line := firstLine(out); line != "" {
			return out, fmt.Errorf("%s: %w: %s", name, err, line)
		}
	}
	return out, fmt.Errorf("%s: %w", name, err)
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	return string(bytes.TrimSpace(line))
}

func hostRAM(ctx context.Context) (RAM, error) {
	m, err := ReadMemory()
	if err != nil {
		return RAM{}, err
	}
	r := RAM{Total: m.Total, Available: m.Available}
	s, err := mem.SwapMemoryWithContext(ctx)
	if err != nil {
		return r, fmt.Errorf("read swap size: %w", err)
	}
	r.SwapTotal, r.SwapFree = s.Total, s.Free
	return r, nil
}

// hostDisk reads the free space of the disk that holds dir. The folder may
// not exist yet (no model downloaded), so it asks about the nearest folder
// above it that does: the disk dir will be created on.
func hostDisk(ctx context.Context, dir string) (Disk, error) {
	existing := dir
	for {
		if _, err := os.Stat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		existing = parent
	}
	u, err := disk.UsageWithContext(ctx, existing)
	if err != nil {
		return Disk{}, fmt.Errorf("read free space of %s: %w", existing, err)
	}
	return Disk{Path: dir, Free: u.Free, Total: u.Total}, nil
}
