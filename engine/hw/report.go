package hw

import (
	"context"
	"io/fs"
	"strings"
	"time"
)

// Report is what Probe found. A zero number means unknown; Problems says why.
type Report struct {
	OS   string `json:"os"`   // as runtime.GOOS: "linux", "darwin", "windows"
	Arch string `json:"arch"` // as runtime.GOARCH: "amd64", "arm64"
	RAM  RAM    `json:"memory"`
	CPU  CPU    `json:"cpu"`
	// GPUs lists the graphics processors found, never nil. A GPU that
	// shares main memory (GPU.Shared) draws from RAM.Total: its budget
	// is not memory in addition to it.
	GPUs []GPU `json:"gpus"`
	// GPUsComplete is true when every kind of GPU this system can have was
	// looked for, so an empty GPUs means there is none. It is false on
	// Windows (only NVIDIA cards are seen, through nvidia-smi), on Intel
	// Macs and when Linux's /sys/class/drm could not be read.
	GPUsComplete bool `json:"gpus_complete"`
	// Disk is the free space where models are kept; nil when
	// Options.ModelsDir was empty or the space could not be read.
	Disk *Disk `json:"disk,omitempty"`
	// Problems says, one line each, what could not be found out and why.
	Problems []string `json:"problems,omitempty"`
}

// RAM is main memory and swap, in bytes.
type RAM struct {
	Total uint64 `json:"total_bytes"`
	// Available is what programs can still get without swapping (the OS's
	// estimate: free memory plus caches it can drop).
	Available uint64 `json:"available_bytes"`
	SwapTotal uint64 `json:"swap_total_bytes"`
	SwapFree  uint64 `json:"swap_free_bytes"`
}

// Disk is the space on the disk that holds a folder, in bytes.
type Disk struct {
	Path string `json:"path"` // the folder asked about, which may not exist yet
	// Free is what this user can still write there.
	Free  uint64 `json:"free_bytes"`
	Total uint64 `json:"total_bytes"`
}

// Options says what Probe looks at beyond the machine itself.
type Options struct {
	// ModelsDir is the folder models are kept in, whose disk's free space
	// is reported; "" leaves the disk out.
	ModelsDir string
}

// Runner runs a program and returns what it wrote to standard output. The
// error wraps exec.ErrNotFound when the program is not installed; it is
// another error when the program fails or ctx ends before it does.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// Env is the machine as the probes see it: they read nothing except through
// it. Host returns this computer's; tests fill one in to describe another.
// On error, the RAM, CPU and Disk functions still return the fields they
// could read.
type Env struct {
	OS, Arch string // as runtime.GOOS and runtime.GOARCH
	// Files is the file system from its root ("/"): the Linux GPU probe
	// reads sys/class/drm in it.
	Files fs.FS
	Run   Runner
	RAM   func(ctx context.Context) (RAM, error)
	CPU   func(ctx context.Context) (CPU, error)
	Disk  func(ctx context.Context, dir string) (Disk, error)
	// Timeout bounds each probe: nvidia-smi can hang when its driver is
	// in a bad state, and Windows' WMI can be slow.
	Timeout time.Duration
}

// Probe reports on this computer: Host().Probe(ctx, o). It takes well under a
// second on a healthy machine and at most a few times Host's timeout (5 s)
// when tools hang. Safe to call from any goroutine.
func Probe(ctx context.Context, o Options) Report {
	return Host().Probe(ctx, o)
}

// Probe reports on the machine e describes. Each probe runs in turn under
// e.Timeout; one that fails keeps what it could read, leaves the rest zero
// and adds a line to r.Problems.
func (e Env) Probe(ctx context.Context, o Options) Report {
	r := Report{OS: e.OS, Arch: e.Arch}
	note := func(area string, err error) {
		if err != nil { // errors.Join puts one error a line: keep them on one
			r.Problems = append(r.Problems, area+": "+strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	var err error
	r.RAM, err = withTimeout(ctx, e.Timeout, e.RAM)
	note("memory", err)
	r.CPU, err = withTimeout(ctx, e.Timeout, e.CPU)
	note("processor", err)

	gpuCtx, cancel := context.WithTimeout(ctx, e.Timeout)
	var gpuErrs []error
	r.GPUs, r.GPUsComplete, gpuErrs = e.gpus(gpuCtx, r.RAM.Total)
	cancel()
	for _, err := range gpuErrs {
		note("graphics", err)
	}

	if o.ModelsDir != "" {
		d, err := withTimeout(ctx, e.Timeout, func(ctx context.Context) (Disk, error) {
			return e.Disk(ctx, o.ModelsDir)
		})
		note("disk", err)
		if err == nil {
			r.Disk = &d
		}
	}
	return r
}

func withTimeout[T any](ctx context.Context, d time.Duration, probe func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return probe(ctx)
}
