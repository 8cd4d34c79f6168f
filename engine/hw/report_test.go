package hw

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
)

// TestProbeHost runs the real probes on this machine.
func TestProbeHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nibble", "models") // not created yet
	r := Probe(context.Background(), Options{ModelsDir: dir})
	t.Logf("%+v", r)
	if r.RAM.Total < 64<<20 || r.RAM.Available == 0 || r.RAM.Available > r.RAM.Total {
		t.Errorf("implausible memory: %+v", r.RAM)
	}
	if r.RAM.SwapFree > r.RAM.SwapTotal {
		t.Errorf("more swap free than there is: %+v", r.RAM)
	}
	c := r.CPU
	if c.LogicalCores < 1 || c.PhysicalCores < 0 || c.PhysicalCores > c.LogicalCores {
		t.Errorf("implausible cores: %d physical, %d logical", c.PhysicalCores, c.LogicalCores)
	}
	if c.Features != DetectCPUFeatures() {
		t.Errorf("report's features %+v differ from DetectCPUFeatures", c.Features)
	}
	if r.GPUs == nil {
		t.Error("GPUs is nil, want a list")
	}
	for _, g := range r.GPUs {
		if g.Shared && g.VRAM != 0 {
			t.Errorf("GPU shares memory but has VRAM: %+v", g)
		}
	}
	if r.Disk == nil || r.Disk.Path != dir || r.Disk.Free == 0 || r.Disk.Free > r.Disk.Total {
		t.Errorf("implausible disk: %+v (problems %q)", r.Disk, r.Problems)
	}
}

// TestProbeKeepsGoing checks that probes that fail leave what they could
// read, one problem line each, and do not stop the others.
func TestProbeKeepsGoing(t *testing.T) {
	env := machine{os: "linux", arch: "amd64", sysfs: cards(intelIGPU), smiErr: notInstalled}.env(t)
	env.RAM = func(context.Context) (RAM, error) {
		return RAM{Total: 8 * gib, Available: 4 * gib}, errors.New("read swap size: no such file")
	}
	env.CPU = func(context.Context) (CPU, error) {
		return CPU{LogicalCores: 4}, errors.Join(errors.New("read processor name: denied"), errors.New("count processor cores: denied"))
	}
	env.Disk = func(context.Context, string) (Disk, error) { return Disk{}, errors.New("read free space of /: denied") }

	r := env.Probe(context.Background(), Options{ModelsDir: "/models"})
	want := []string{
		"memory: read swap size: no such file",
		"processor: read processor name: denied; count processor cores: denied",
		"disk: read free space of /: denied",
	}
	if !slices.Equal(r.Problems, want) {
		t.Errorf("problems:\n got %q\nwant %q", r.Problems, want)
	}
	if r.RAM.Total != 8*gib || r.CPU.LogicalCores != 4 || len(r.GPUs) != 1 || r.Disk != nil {
		t.Errorf("lost what could be read: %+v", r)
	}
}

func TestProbeWithoutModelsDir(t *testing.T) {
	env := machine{os: "linux", arch: "amd64", sysfs: fstest.MapFS{}, smiErr: notInstalled}.env(t)
	env.Disk = func(context.Context, string) (Disk, error) {
		t.Error("disk probed without a models folder")
		return Disk{}, nil
	}
	if r := env.Probe(context.Background(), Options{}); r.Disk != nil || len(r.Problems) != 0 {
		t.Errorf("disk %+v, problems %q; want neither", r.Disk, r.Problems)
	}
}
