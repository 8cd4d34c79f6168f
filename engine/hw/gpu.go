package hw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path"
	"strconv"
	"strings"
)

// GPU is a graphics processor and the memory a model on it could use.
type GPU struct {
	Name   string `json:"name"`   // e.g. "NVIDIA GeForce RTX 4090"; from sysfs, the vendor and PCI device id
	Vendor string `json:"vendor"` // "NVIDIA", "AMD", "Intel" or "Apple"
	// VRAM is the GPU's own (dedicated) memory, in bytes: 0 when it shares
	// main memory (Shared) or when its size is unknown.
	VRAM     uint64 `json:"vram_bytes"`
	VRAMUsed uint64 `json:"vram_used_bytes"`
	// Shared is true for a GPU built into the processor that works in main
	// memory (Apple Silicon, Intel and AMD integrated graphics). What it can
	// use is part of Report.RAM, not in addition to it.
	Shared bool `json:"shares_memory"`
	// Budget is the most memory a model on this GPU can use, in bytes: the
	// VRAM of a card with its own, the operating system's limit for a
	// shared one (a share of RAM); 0 when unknown.
	Budget uint64 `json:"budget_bytes"`
}

// PCI vendor ids, as in /sys/class/drm/card*/device/vendor.
var vendors = map[string]string{
	"0x10de": "NVIDIA",
	"0x1002": "AMD",
	"0x8086": "Intel",
}

// integratedVRAMMax is the largest VRAM a GPU may report and still be taken
// for integrated graphics. Linux's amdgpu reports the firmware's carve-out
// of an AMD APU as VRAM, 64 MiB to 512 MiB by default, while a discrete card
// worth running a model on has 2 GiB or more. A carve-out set larger in the
// firmware is reported as VRAM, which is right: the OS cannot use that
// memory, so it is not counted in RAM as well.
const integratedVRAMMax = 1 << 30

// AppleGPUBudget returns how much of a Mac's unified memory the GPU may use,
// given the memory's total size in bytes: what Metal reports as the device's
// recommendedMaxWorkingSetSize, which llama.cpp and Ollama take as the limit
// for a model. Apple documents no formula; measurements reported on
// llama.cpp's issues are two thirds of the memory up to 36 GiB (16 GiB →
// 10.7 GiB) and three quarters above (64 GiB → 48 GiB, 128 GiB → 96 GiB).
// A user can raise it with `sysctl iogpu.wired_limit_mb`, which this does not
// read.
func AppleGPUBudget(ram uint64) uint64 {
	if ram <= 36<<30 {
		return ram / 3 * 2
	}
	return ram / 4 * 3
}

// gpus finds the graphics processors: the unified-memory GPU on Apple
// Silicon, nvidia-smi on Linux and Windows, and on Linux the DRM devices in
// sysfs. ram is the main memory's size, 0 if unknown. complete is as
// Report.GPUsComplete; each error is one thing that could not be found out.
func (e Env) gpus(ctx context.Context, ram uint64) (gpus []GPU, complete bool, errs []error) {
	gpus = []GPU{}
	switch e.OS {
	case "darwin":
		// Intel Macs have AMD or Intel graphics we do not look for.
		if e.Arch != "arm64" {
			return gpus, false, nil
		}
		return append(gpus, GPU{Name: "Apple Silicon GPU", Vendor: "Apple", Shared: true, Budget: AppleGPUBudget(ram)}), true, nil
	case "linux", "windows":
	default:
		return gpus, false, nil
	}

	nvidia, nvidiaErr := e.nvidiaSMI(ctx)
	nvidiaMissing := errors.Is(nvidiaErr, exec.ErrNotFound)
	if nvidiaErr != nil && !nvidiaMissing {
		errs = append(errs, nvidiaErr)
	}
	gpus = append(gpus, nvidia...)
	if e.OS != "linux" {
		return gpus, false, errs
	}

	cards, err := e.drmCards()
	if err != nil {
		return gpus, false, append(errs, err)
	}
	for _, g := range cards {
		if g.Vendor == "NVIDIA" {
			if nvidiaErr == nil {
				continue // nvidia-smi listed it, with its memory
			}
			if nvidiaMissing {
				errs = append(errs, fmt.Errorf("%s is installed but nvidia-smi is not, so its memory is unknown", g.Name))
			}
		}
		gpus = append(gpus, g)
	}
	return gpus, true, errs
}

// nvidiaSMI lists the NVIDIA GPUs with their memory. The error wraps
// exec.ErrNotFound when nvidia-smi is not installed.
func (e Env) nvidiaSMI(ctx context.Context) ([]GPU, error) {
	out, err := e.Run(ctx, "nvidia-smi", "--query-gpu=name,memory.total,memory.used", "--format=csv,noheader,nounits")
	if ctx.Err() != nil {
		return nil, fmt.Errorf("nvidia-smi did not answer within the time limit: %w", ctx.Err())
	}
	if err != nil {
		return nil, err
	}
	gpus, err := parseNvidiaSMI(out)
	if err != nil {
		return nil, fmt.Errorf("nvidia-smi: %w", err)
	}
	return gpus, nil
}

// parseNvidiaSMI reads nvidia-smi's CSV: one line per GPU, "name, total,
// used" in MiB. A size nvidia-smi cannot tell ("[N/A]", on unified-memory
// boards such as the DGX Spark) is left unknown.
func parseNvidiaSMI(out []byte) ([]GPU, error) {
	var gpus []GPU
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Split(line, ",")
		if len(fields) != 3 {
			return nil, fmt.Errorf("unexpected output %q", line)
		}
		total, err := parseMiB(fields[1])
		if err != nil {
			return nil, fmt.Errorf("unexpected memory size in %q", line)
		}
		used, err := parseMiB(fields[2])
		if err != nil {
			return nil, fmt.Errorf("unexpected memory use in %q", line)
		}
		gpus = append(gpus, GPU{
			Name:     strings.TrimSpace(fields[0]),
			Vendor:   "NVIDIA",
			VRAM:     total,
			VRAMUsed: used,
			Budget:   total,
		})
	}
	return gpus, nil
}

// parseMiB parses a size in MiB from nvidia-smi into bytes; "[N/A]" and
// other bracketed notes are 0, unknown.
func parseMiB(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n << 20, err
}

const drmDir = "sys/class/drm"

// drmCards lists the GPUs of known vendors in Linux's DRM sysfs tree: one
// directory cardN per GPU (cardN-DP-1 and the like are its connectors),
// with the PCI device's files in cardN/device. Other vendors (virtual GPUs
// of VMs, simple framebuffers) are left out. A missing sys/class/drm means
// no graphics driver is loaded, so no GPU a program could use.
func (e Env) drmCards() ([]GPU, error) {
	entries, err := fs.ReadDir(e.Files, drmDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list graphics devices: %w", err)
	}
	var gpus []GPU
	for _, entry := range entries {
		id, ok := strings.CutPrefix(entry.Name(), "card")
		if _, err := strconv.Atoi(id); !ok || err != nil {
			continue
		}
		if g, ok := e.drmCard(path.Join(drmDir, entry.Name(), "device")); ok {
			gpus = append(gpus, g)
		}
	}
	return gpus, nil
}

// drmCard reads one GPU's sysfs device directory; ok is false when its
// vendor is not one we know. Memory files that are absent or unreadable
// leave sizes unknown: amdgpu writes mem_info_*, Intel's xe driver
// tile0/physical_vram_size_bytes, and i915 and NVIDIA's driver neither (so
// an Intel Arc card on i915 passes for integrated graphics: its memory is
// not promised when it cannot be seen).
func (e Env) drmCard(dev string) (g GPU, ok bool) {
	g.Vendor, ok = vendors[e.readSysfs(dev, "vendor")]
	if !ok {
		return GPU{}, false
	}
	g.Name = e.readSysfs(dev, "product_name") // amdgpu, on some boards
	if g.Name == "" {
		g.Name = g.Vendor + " GPU " + e.readSysfs(dev, "device")
	}
	if g.Vendor == "NVIDIA" {
		return g, true // discrete; only nvidia-smi knows its memory
	}
	vram := e.readSysfsUint(dev, "mem_info_vram_total")
	if vram == 0 {
		vram = e.readSysfsUint(dev, "tile0/physical_vram_size_bytes")
	}
	if vram <= integratedVRAMMax {
		// Integrated: it works in main memory through the GTT, whose
		// size is the driver's limit (by default half or three quarters
		// of RAM). The small carve-out is left out rather than counted
		// as VRAM next to RAM.
		g.Shared = true
		g.Budget = e.readSysfsUint(dev, "mem_info_gtt_total")
		return g, true
	}
	g.VRAM = vram
	g.VRAMUsed = e.readSysfsUint(dev, "mem_info_vram_used")
	g.Budget = vram
	return g, true
}

// readSysfs returns a sysfs file's content trimmed, "" if it cannot be read.
func (e Env) readSysfs(dir, name string) string {
	b, err := fs.ReadFile(e.Files, path.Join(dir, name))
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}

// readSysfsUint returns a sysfs file's number, 0 if it cannot be read.
func (e Env) readSysfsUint(dir, name string) uint64 {
	n, err := strconv.ParseUint(e.readSysfs(dir, name), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
