package hw

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

const gib = 1 << 30

// machine describes a computer to the probes: what they would read on it.
type machine struct {
	os, arch string
	ram      uint64
	sysfs    fstest.MapFS // the root file system; see cards
	// smi is what nvidia-smi prints, smiErr how it fails; hang makes it
	// wait until it is cancelled.
	smi    string
	smiErr error
	hang   bool
}

// notInstalled is the error exec gives for a program not on the PATH.
var notInstalled = &exec.Error{Name: "nvidia-smi", Err: exec.ErrNotFound}

var nvidiaQuery = []string{"--query-gpu=name,memory.total,memory.used", "--format=csv,noheader,nounits"}

func (m machine) env(t *testing.T) Env {
	return Env{
		OS: m.os, Arch: m.arch, Files: m.sysfs,
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			if name != "nvidia-smi" || !slices.Equal(args, nvidiaQuery) {
				t.Errorf("ran %s %q; only nvidia-smi %q expected", name, args, nvidiaQuery)
				return nil, &exec.Error{Name: name, Err: exec.ErrNotFound}
			}
			if m.hang {
				<-ctx.Done()
				return nil, errors.New("signal: killed")
			}
			return []byte(m.smi), m.smiErr
		},
		RAM: func(context.Context) (RAM, error) { return RAM{Total: m.ram, Available: m.ram / 2}, nil },
		CPU: func(context.Context) (CPU, error) {
			return CPU{Model: "Test CPU", PhysicalCores: 4, LogicalCores: 8}, nil
		},
		Disk: func(_ context.Context, dir string) (Disk, error) {
			return Disk{Path: dir, Free: 100 * gib, Total: 500 * gib}, nil
		},
		Timeout: time.Second,
	}
}

// cards builds a Linux sysfs tree with one sys/class/drm/cardN per element,
// its device files as given, plus the connector and render-node entries a
// real tree has next to each card (which must not count as more GPUs).
func cards(devices ...map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i, files := range devices {
		card := fmt.Sprintf("sys/class/drm/card%d", i)
		for name, content := range files {
			fsys[card+"/device/"+name] = &fstest.MapFile{Data: []byte(content + "\n")}
		}
		fsys[card+"-HDMI-A-1/status"] = &fstest.MapFile{Data: []byte("disconnected\n")}
		fsys[fmt.Sprintf("sys/class/drm/renderD%d/device/vendor", 128+i)] = &fstest.MapFile{Data: []byte(files["vendor"] + "\n")}
	}
	fsys["sys/class/drm/version"] = &fstest.MapFile{Data: []byte("drm 1.1.0 20060810\n")}
	return fsys
}

func bytesOf(n uint64) string { return fmt.Sprint(n) }

var (
	nvidiaCard = map[string]string{"vendor": "0x10de", "device": "0x2684"}
	amdCard    = map[string]string{
		"vendor": "0x1002", "device": "0x744c",
		"mem_info_vram_total": bytesOf(24 * gib), "mem_info_vram_used": bytesOf(1 * gib),
		"mem_info_gtt_total": bytesOf(16 * gib),
	}
	amdAPU = map[string]string{
		"vendor": "0x1002", "device": "0x15bf", "product_name": "AMD Radeon 780M",
		"mem_info_vram_total": bytesOf(512 << 20), "mem_info_vram_used": bytesOf(300 << 20),
		"mem_info_gtt_total": bytesOf(15 * gib),
	}
	intelIGPU = map[string]string{"vendor": "0x8086", "device": "0x46a6", "mem_info_gtt_total": bytesOf(8 * gib)}
)

func TestProbeGPUs(t *testing.T) {
	rtx4090 := GPU{Name: "NVIDIA GeForce RTX 4090", Vendor: "NVIDIA", VRAM: 24564 << 20, VRAMUsed: 1024 << 20, Budget: 24564 << 20}
	a100 := GPU{Name: "NVIDIA A100-SXM4-80GB", Vendor: "NVIDIA", VRAM: 81920 << 20, Budget: 81920 << 20}
	intel := GPU{Name: "Intel GPU 0x46a6", Vendor: "Intel", Shared: true, Budget: 8 * gib}
	nvidiaUnknown := GPU{Name: "NVIDIA GPU 0x2684", Vendor: "NVIDIA"}
	for _, tc := range []struct {
		name     string
		m        machine
		want     []GPU
		complete bool
		problems []string // each appears in one problem, in order
	}{
		{
			name:     "Linux without GPU",
			m:        machine{os: "linux", arch: "amd64", sysfs: fstest.MapFS{}, smiErr: notInstalled},
			want:     []GPU{},
			complete: true,
		},
		{
			name: "Linux VM with a virtual GPU",
			m: machine{os: "linux", arch: "amd64", smiErr: notInstalled,
				sysfs: cards(map[string]string{"vendor": "0x1af4", "device": "0x1050"})},
			want:     []GPU{},
			complete: true,
		},
		{
			name: "NVIDIA, one GPU",
			m: machine{os: "linux", arch: "amd64", sysfs: cards(nvidiaCard),
				smi: "NVIDIA GeForce RTX 4090, 24564, 1024\n"},
			want:     []GPU{rtx4090},
			complete: true,
		},
		{
			name: "NVIDIA, two GPUs",
			m: machine{os: "linux", arch: "amd64", sysfs: cards(nvidiaCard, nvidiaCard),
				smi: "NVIDIA A100-SXM4-80GB, 81920, 0\nNVIDIA A100-SXM4-80GB, 81920, 0\n"},
			want:     []GPU{a100, a100},
			complete: true,
		},
		{
			name: "NVIDIA with unified memory: sizes not available",
			m: machine{os: "linux", arch: "arm64", sysfs: cards(nvidiaCard),
				smi: "NVIDIA GB10, [N/A], [N/A]\n"},
			want:     []GPU{{Name: "NVIDIA GB10", Vendor: "NVIDIA"}},
			complete: true,
		},
		{
			name:     "NVIDIA on Windows",
			m:        machine{os: "windows", arch: "amd64", smi: "NVIDIA GeForce RTX 4090, 24564, 1024\r\n"},
			want:     []GPU{rtx4090},
			complete: false,
		},
		{
			name:     "Windows without nvidia-smi",
			m:        machine{os: "windows", arch: "amd64", smiErr: notInstalled},
			want:     []GPU{},
			complete: false,
		},
		{
			name: "AMD discrete",
			m:    machine{os: "linux", arch: "amd64", sysfs: cards(amdCard), smiErr: notInstalled},
			want: []GPU{{Name: "AMD GPU 0x744c", Vendor: "AMD", VRAM: 24 * gib, VRAMUsed: 1 * gib,
				Budget: 24 * gib}},
			complete: true,
		},
		{
			name:     "AMD integrated: carve-out left out, GTT is the budget",
			m:        machine{os: "linux", arch: "amd64", sysfs: cards(amdAPU), smiErr: notInstalled},
			want:     []GPU{{Name: "AMD Radeon 780M", Vendor: "AMD", Shared: true, Budget: 15 * gib}},
			complete: true,
		},
		{
			name:     "Intel integrated, GTT only",
			m:        machine{os: "linux", arch: "amd64", sysfs: cards(intelIGPU), smiErr: notInstalled},
			want:     []GPU{intel},
			complete: true,
		},
		{
			name: "Intel integrated on i915, no memory files",
			m: machine{os: "linux", arch: "amd64", smiErr: notInstalled,
				sysfs: cards(map[string]string{"vendor": "0x8086", "device": "0x9a49"})},
			want:     []GPU{{Name: "Intel GPU 0x9a49", Vendor: "Intel", Shared: true}},
			complete: true,
		},
		{
			name: "Intel Arc on xe",
			m: machine{os: "linux", arch: "amd64", smiErr: notInstalled,
				sysfs: cards(map[string]string{"vendor": "0x8086", "device": "0xe20b",
					"tile0/physical_vram_size_bytes": bytesOf(12 * gib)})},
			want:     []GPU{{Name: "Intel GPU 0xe20b", Vendor: "Intel", VRAM: 12 * gib, Budget: 12 * gib}},
			complete: true,
		},
		{
			name: "laptop with Intel and NVIDIA",
			m: machine{os: "linux", arch: "amd64", sysfs: cards(intelIGPU, nvidiaCard),
				smi: "NVIDIA GeForce RTX 4090, 24564, 1024\n"},
			want:     []GPU{rtx4090, intel},
			complete: true,
		},
		{
			name:     "Apple Silicon, 16 GB",
			m:        machine{os: "darwin", arch: "arm64", ram: 16 * gib},
			want:     []GPU{{Name: "Apple Silicon GPU", Vendor: "Apple", Shared: true, Budget: 11453246122}},
			complete: true,
		},
		{
			name:     "Apple Silicon, 64 GB",
			m:        machine{os: "darwin", arch: "arm64", ram: 64 * gib},
			want:     []GPU{{Name: "Apple Silicon GPU", Vendor: "Apple", Shared: true, Budget: 48 * gib}},
			complete: true,
		},
		{
			name:     "Intel Mac",
			m:        machine{os: "darwin", arch: "amd64", ram: 16 * gib},
			want:     []GPU{},
			complete: false,
		},
		{
			name:     "NVIDIA card without nvidia-smi",
			m:        machine{os: "linux", arch: "amd64", sysfs: cards(nvidiaCard), smiErr: notInstalled},
			want:     []GPU{nvidiaUnknown},
			complete: true,
			problems: []string{"NVIDIA GPU 0x2684 is installed but nvidia-smi is not"},
		},
		{
			name: "nvidia-smi failing",
			m: machine{os: "linux", arch: "amd64", sysfs: cards(nvidiaCard),
				smiErr: errors.New("nvidia-smi: exit status 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")},
			want:     []GPU{nvidiaUnknown},
			complete: true,
			problems: []string{"couldn't communicate with the NVIDIA driver"},
		},
		{
			name:     "nvidia-smi printing garbage",
			m:        machine{os: "linux", arch: "amd64", sysfs: cards(intelIGPU), smi: "Segmentation fault\n"},
			want:     []GPU{intel},
			complete: true,
			problems: []string{`nvidia-smi: unexpected output "Segmentation fault"`},
		},
		{
			name:     "nvidia-smi printing a bad size",
			m:        machine{os: "windows", arch: "amd64", smi: "NVIDIA GeForce RTX 3060, lots, 0\n"},
			want:     []GPU{},
			complete: false,
			problems: []string{"unexpected memory size"},
		},
		{
			name:     "nvidia-smi hanging",
			m:        machine{os: "linux", arch: "amd64", sysfs: cards(amdCard), hang: true},
			want:     []GPU{{Name: "AMD GPU 0x744c", Vendor: "AMD", VRAM: 24 * gib, VRAMUsed: 1 * gib, Budget: 24 * gib}},
			complete: true,
			problems: []string{"nvidia-smi did not answer within the time limit"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.m.env(t)
			if tc.m.hang {
				env.Timeout = 50 * time.Millisecond
			}
			r := env.Probe(context.Background(), Options{})
			if !reflect.DeepEqual(r.GPUs, tc.want) {
				t.Errorf("GPUs:\n got %+v\nwant %+v", r.GPUs, tc.want)
			}
			if r.GPUsComplete != tc.complete {
				t.Errorf("GPUsComplete = %v, want %v", r.GPUsComplete, tc.complete)
			}
			if len(r.Problems) != len(tc.problems) {
				t.Fatalf("problems %q, want %d matching %q", r.Problems, len(tc.problems), tc.problems)
			}
			for i, want := range tc.problems {
				if !strings.HasPrefix(r.Problems[i], "graphics: ") || !strings.Contains(r.Problems[i], want) {
					t.Errorf("problem %q, want a graphics problem mentioning %q", r.Problems[i], want)
				}
			}
			// The other probes are not held up by the GPUs.
			if r.RAM.Total != tc.m.ram || r.CPU.Model != "Test CPU" {
				t.Errorf("memory or processor lost: %+v %+v", r.RAM, r.CPU)
			}
		})
	}
}

func TestAppleGPUBudget(t *testing.T) {
	for _, tc := range []struct {
		ram, want uint64
	}{
		{0, 0},
		{8 * gib, 5726623060},            // 2/3 of 8 GiB, rounded down
		{16 * gib, 11453246122},          // 10.67 GiB, as Metal reports on a 16 GB Mac
		{36 * gib, 24 * gib},             // the last size at 2/3
		{48 * gib, 36 * gib},             // the first at 3/4
		{64 * gib, 48 * gib},             // as Metal reports on a 64 GB Mac
		{128 * gib, 96 * gib},            // and on a 128 GB one
		{192 * gib, 144 * gib},           // Mac Studio
		{24 * gib, 16 * gib},             // M2/M3/M4 with 24 GB
		{36*gib + 1<<20, 27*gib + 3<<18}, // 3/4 of a size just above 36 GiB
	} {
		if got := AppleGPUBudget(tc.ram); got != tc.want {
			t.Errorf("AppleGPUBudget(%d) = %d, want %d", tc.ram, got, tc.want)
		}
	}
}

func FuzzParseNvidiaSMI(f *testing.F) {
	f.Add("NVIDIA GeForce RTX 4090, 24564, 1024\n")
	f.Add("NVIDIA A100-SXM4-80GB, 81920, 0\nNVIDIA A100-SXM4-80GB, 81920, 4\n")
	f.Add("NVIDIA GB10, [N/A], [N/A]\r\n")
	f.Add("No devices were found\n")
	f.Fuzz(func(t *testing.T, out string) {
		gpus, err := parseNvidiaSMI([]byte(out))
		if err != nil {
			return
		}
		for _, g := range gpus {
			if g.Vendor != "NVIDIA" || g.Budget != g.VRAM || g.Shared {
				t.Errorf("parsed %q into %+v", out, g)
			}
		}
	})
}
