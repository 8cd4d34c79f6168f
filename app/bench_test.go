package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/kernels"
	"nibble/engine/refdata"
)

func TestBenchJSON(t *testing.T) {
	path := refdata.Path(t, "models/ts5m-Q4_K_M.gguf")
	stdout, _, err := run(t, "bench", path, "-p", "16", "-n", "4", "-r", "2", "--threads", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("bench --json is not JSON: %v\n%s", err, stdout)
	}
	if r.Model != path || r.Architecture != "llama" || r.Type != "Q4_K_M" || r.Params != 5770496 ||
		r.Threads != 2 || r.NPrompt != 16 || r.NGen != 4 || r.Repetitions != 2 {
		t.Errorf("bench describes %+v", r)
	}
	if len(r.PP) != 2 || len(r.TG) != 2 {
		t.Fatalf("%d pp and %d tg measurements, want 2 each", len(r.PP), len(r.TG))
	}
	for _, x := range append(append([]float64{r.PPPerSecond, r.TGPerSecond}, r.PP...), r.TG...) {
		if !(x > 0) {
			t.Errorf("speed %v, want positive: %+v", x, r)
		}
	}
	if min(r.PP[0], r.PP[1]) > r.PPPerSecond || r.PPPerSecond > max(r.PP[0], r.PP[1]) {
		t.Errorf("pp median %v outside its measurements %v", r.PPPerSecond, r.PP)
	}
	if r.FileBytes <= 0 || r.PeakRSSBytes < uint64(r.FileBytes) {
		t.Errorf("peak RSS %d bytes for a file of %d", r.PeakRSSBytes, r.FileBytes)
	}
	if r.Kernels["Q4_K"] == "" || r.Kernels["Q6_K"] == "" || len(r.Kernels) != 2 {
		t.Errorf("kernels %v, want Q4_K and Q6_K", r.Kernels)
	}

	// Raw JSON field names are what scripts read.
	var fields map[string]any
	json.Unmarshal([]byte(stdout), &fields)
	for _, k := range []string{"pp_tokens_per_second", "tg_tokens_per_second", "peak_rss_bytes", "threads",
		"kernels", "model", "type", "n_params", "file_bytes", "pp", "tg"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON has no %q", k)
		}
	}
}

func TestBenchTable(t *testing.T) {
	stdout, _, err := run(t, "bench", refdata.Path(t, "models/ts5m-Q4_K_M.gguf"), "-p", "8", "-n", "0", "-r", "1", "--threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tinystories-5m (llama, Q4_K_M)", "Q4_K " + kernels.Name(gguf.Q4_K), "pp8", "t/s (median)", "peak memory"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "tg0") {
		t.Errorf("-n 0 still runs a tg test:\n%s", stdout)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "m.gguf", "-p", "0", "-n", "0"},
		{"bench", "m.gguf", "-r", "0"},
		{"bench", "m.gguf", "-p", "-1"},
	} {
		_, stderr, err := run(t, args...)
		if !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage") {
			t.Errorf("%q: err %v, stderr %q; want a usage error", args, err, stderr)
		}
	}
}
