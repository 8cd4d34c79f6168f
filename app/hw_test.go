package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/hw"
)

func TestPrintHW(t *testing.T) {
	const gib = 1 << 30
	cpu := hw.CPU{Model: "AMD EPYC", PhysicalCores: 2, LogicalCores: 2, Features: hw.CPUFeatures{AVX2: true, FMA: true}}
	for _, tc := range []struct {
		name string
		r    hw.Report
		want string
	}{
		{
			name: "server without GPU",
			r: hw.Report{
				RAM:          hw.RAM{Total: 24 * gib, Available: 22 * gib},
				CPU:          cpu,
				GPUs:         []hw.GPU{},
				GPUsComplete: true,
				Disk:         &hw.Disk{Path: "/root/.config/nibble/models", Free: 80 * gib, Total: 100 * gib},
			},
			want: `Memory: 24 GiB (22 GiB free)
Processor: AMD EPYC, 2 cores (AVX2, FMA)
Graphics: none found — models run on the CPU
Disk: 80 GiB free in /root/.config/nibble/models
`,
		},
		{
			name: "desktop with NVIDIA and Intel graphics",
			r: hw.Report{
				RAM: hw.RAM{Total: 32 * gib, Available: 20 * gib, SwapTotal: 8 * gib},
				CPU: hw.CPU{Model: "Intel Core i7-12700K", PhysicalCores: 12, LogicalCores: 20},
				GPUs: []hw.GPU{
					{Name: "NVIDIA GeForce RTX 4090", Vendor: "NVIDIA", VRAM: 24 * gib, VRAMUsed: gib / 2, Budget: 24 * gib},
					{Name: "Intel GPU 0x4680", Vendor: "Intel", Shared: true},
				},
				GPUsComplete: true,
			},
			want: `Memory: 32 GiB (20 GiB free), plus 8.0 GiB of swap on disk (slow)
Processor: Intel Core i7-12700K, 12 cores, 20 threads
Graphics: NVIDIA GeForce RTX 4090, 24 GiB of its own memory (512 MiB in use)
Graphics: Intel GPU 0x4680, built in: shares the main memory
`,
		},
		{
			name: "Apple Silicon",
			r: hw.Report{
				RAM:          hw.RAM{Total: 16 * gib, Available: 9 * gib},
				CPU:          hw.CPU{Model: "Apple M2", PhysicalCores: 8, LogicalCores: 8, Features: hw.CPUFeatures{NEON: true, DotProd: true}},
				GPUs:         []hw.GPU{{Name: "Apple Silicon GPU", Vendor: "Apple", Shared: true, Budget: hw.AppleGPUBudget(16 * gib)}},
				GPUsComplete: true,
			},
			want: `Memory: 16 GiB (9.0 GiB free)
Processor: Apple M2, 8 cores (NEON, DOTPROD)
Graphics: Apple Silicon GPU, built in: shares the main memory (up to 11 GiB of it)
`,
		},
		{
			name: "Windows, little known",
			r: hw.Report{
				CPU:      hw.CPU{LogicalCores: 8},
				GPUs:     []hw.GPU{},
				Problems: []string{"memory: read memory size: access denied"},
			},
			want: `Memory: unknown
Processor: unknown model, 8 threads
Graphics: none found, but not every kind can be checked on this system — models run on the CPU
Note: memory: read memory size: access denied
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			printHW(&b, tc.r)
			if b.String() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tc.want)
			}
		})
	}
}

// TestHW runs `nibble hw` on this machine, as text and as JSON.
func TestHW(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "models")
	out, _, err := run(t, "hw", "--models-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out)
	for _, want := range []string{"Memory: ", "Processor: ", "Graphics: ", "free in " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, _, err = run(t, "hw", "--json", "--models-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var r hw.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	if r.RAM.Total == 0 || r.CPU.LogicalCores < 1 || r.Disk == nil || r.Disk.Path != dir {
		t.Errorf("implausible report: %s", out)
	}

	if _, stderr, err := run(t, "hw", "extra"); !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage") {
		t.Errorf("hw extra: err %v, stderr %q; want a usage error", err, stderr)
	}
}
