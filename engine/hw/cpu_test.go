package hw

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestCPUFeatureNames(t *testing.T) {
	for _, tc := range []struct {
		f    CPUFeatures
		want []string
	}{
		{CPUFeatures{}, nil},
		{CPUFeatures{AVX2: true, FMA: true, F16C: true}, []string{"AVX2", "FMA", "F16C"}},
		{
			CPUFeatures{AVX2: true, FMA: true, AVX512F: true, AVX512BW: true, AVX512VL: true, AVX512VNNI: true, AVX512BF16: true},
			[]string{"AVX2", "FMA", "AVX512F", "AVX512BW", "AVX512VL", "AVX512_VNNI", "AVX512_BF16"},
		},
		{CPUFeatures{AVX2: true, AVXVNNI: true}, []string{"AVX2", "AVX_VNNI"}},
		{CPUFeatures{NEON: true, DotProd: true, I8MM: true, FP16: true}, []string{"NEON", "DOTPROD", "I8MM", "FP16"}},
	} {
		if got := tc.f.Names(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v.Names() = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// TestDetectCPUFeatures checks what golang.org/x/sys/cpu found here against
// the rules of each architecture and, on Linux, against the flags the
// kernel lists in /proc/cpuinfo (which it also clears when it does not save
// the registers a feature needs).
func TestDetectCPUFeatures(t *testing.T) {
	f := DetectCPUFeatures()
	t.Logf("features: %q", f.Names())
	x86 := f.AVX2 || f.FMA || f.F16C || f.AVX512F || f.AVX512BW || f.AVX512VL || f.AVX512VNNI || f.AVX512BF16 || f.AVXVNNI
	arm := f.NEON || f.DotProd || f.I8MM || f.FP16
	switch runtime.GOARCH {
	case "amd64":
		if arm {
			t.Errorf("arm64 features on amd64: %+v", f)
		}
		if (f.AVX512BW || f.AVX512VL || f.AVX512VNNI || f.AVX512BF16) && !f.AVX512F {
			t.Errorf("AVX-512 extensions without AVX512F: %+v", f)
		}
	case "arm64":
		if x86 || !f.NEON {
			t.Errorf("on arm64, want NEON and no x86 features: %+v", f)
		}
	}

	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo to compare with: %v", err)
	}
	flags := map[string]bool{}
	for line := range strings.Lines(string(cpuinfo)) {
		name, list, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if ok && (name == "flags" || name == "Features") {
			for _, flag := range strings.Fields(list) {
				flags[flag] = true
			}
			break // every processor lists the same
		}
	}
	for _, c := range []struct {
		arch, flag string
		have       bool
	}{
		{"amd64", "avx2", f.AVX2}, {"amd64", "fma", f.FMA}, {"amd64", "f16c", f.F16C},
		{"amd64", "avx512f", f.AVX512F}, {"amd64", "avx512bw", f.AVX512BW}, {"amd64", "avx512vl", f.AVX512VL},
		{"amd64", "avx512_vnni", f.AVX512VNNI}, {"amd64", "avx512_bf16", f.AVX512BF16}, {"amd64", "avx_vnni", f.AVXVNNI},
		{"arm64", "asimd", f.NEON}, {"arm64", "asimddp", f.DotProd}, {"arm64", "i8mm", f.I8MM}, {"arm64", "asimdhp", f.FP16},
	} {
		if c.arch == runtime.GOARCH && c.have != flags[c.flag] {
			t.Errorf("%s: detected %v, /proc/cpuinfo says %v", c.flag, c.have, flags[c.flag])
		}
	}
}
