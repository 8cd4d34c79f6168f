package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"nibble/engine/gguf"
	"nibble/engine/hw"
	"nibble/engine/refdata"
	"nibble/engine/tokenizer"
	"nibble/quant"
)

// rssChildEnv makes the test binary the child of
// TestAdviseMemoryMatchesPeakRSS: "CTX\tMODEL\tPROMPT" runs MODEL at CTX
// positions of context with the text in the file PROMPT (see peakRSSChild).
const rssChildEnv = "NIBBLE_ADVISE_RSS_CHILD"

func TestMain(m *testing.M) {
	if arg := os.Getenv(rssChildEnv); arg != "" {
		os.Exit(peakRSSChild(arg))
	}
	// Commands such as bench and advise read and write the catalog: never
	// the real one of whoever runs the tests (tests that look at the
	// catalog set their own with catalogHome).
	home, err := os.MkdirTemp("", "nibble-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("NIBBLE_HOME", home)
	// Nor the keyring, which pull reads for the access token: an
	// in-memory one answers.
	keyring.MockInit()
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

// peakRSSChild runs nibble's main, as a user would run `nibble run MODEL
// --ctx CTX --prompt "$(cat PROMPT)" -n 16 --temp 0`, then prints the peak
// resident memory on standard error, after what run printed. Calling main
// also links everything nibble links (the window's code and the data its
// packages initialize), which a test binary otherwise leaves out.
func peakRSSChild(arg string) int {
	fields := strings.Split(arg, "\t")
	if len(fields) != 3 {
		fmt.Fprintf(os.Stderr, "%s=%q: want CTX, MODEL and PROMPT separated by tabs\n", rssChildEnv, arg)
		return 2
	}
	prompt, err := os.ReadFile(fields[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Args = []string{"nibble", "run", fields[1], "--ctx", fields[0], "--prompt", string(prompt), "-n", "16", "--temp", "0"}
	main()
	rss, err := hw.PeakRSS()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "peak_rss_bytes %d\n", rss)
	return 0
}

// buildChild compiles this package's tests into dir, without build tags, and
// returns the binary: the child must link what `go build ./app` links, and
// `make test` runs the tests with -tags ci, whose headless window driver
// leaves out 10 MiB of code and data.
func buildChild(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is needed to build the child: %v", err)
	}
	bin := filepath.Join(dir, "nibble.test")
	if out, err := exec.Command(goTool, "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the child: %v\n%s", err, out)
	}
	return bin
}

// childCommand returns the command that runs bin as a child whose peak
// memory starts from zero. On Linux and macOS a process's peak memory
// survives exec, and a child that Go starts directly begins as a view of
// the big parent; so the child is started by a shell that forks first (a
// command followed by another is not exec'd in place), from a process of a
// few hundred kilobytes, as when a user starts nibble.
func childCommand(bin string) *exec.Cmd {
	if runtime.GOOS == "windows" {
		return exec.Command(bin)
	}
	return exec.Command("/bin/sh", "-c", `"$0"; exit $?`, bin)
}

// TestAdviseMemoryMatchesPeakRSS runs models in child processes and checks
// that the memory advise predicts for the file as it is (current) is within
// 10 % of the peak resident memory the process reaches with its context
// full: the shared models in several types and two context lengths, and
// small synthetic models with TinyLlama's and Llama 3's vocabularies.
func TestAdviseMemoryMatchesPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs models in child processes")
	}
	text := refdata.Path(t, "text/calibration.txt")
	dir := t.TempDir()
	child := buildChild(t, dir)
	synth := func(name, spec, mix string) string {
		path := filepath.Join(dir, name+".gguf")
		if _, _, err := run(t, "synth", "--shape", spec, "--type", mix, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tinyllama := synth("tinyllama-small", "arch=llama,tokenizer=spm,layers=2,embd=256,heads=4,kv_heads=2,ffn=512", "Q4_0")
	llama3 := synth("llama3-small", "arch=llama,tokenizer=bpe,layers=2,embd=256,heads=4,kv_heads=2,ffn=512", "Q4_K_M")

	type tc struct {
		path string
		ctx  int
	}
	var cases []tc
	for _, typ := range []string{"F32", "F16", "Q8_0", "Q4_K_M", "Q2_K"} {
		for _, ctx := range []int{64, 256} {
			cases = append(cases, tc{refdata.Path(t, "models/ts5m-"+typ+".gguf"), ctx})
		}
	}
	for _, path := range []string{tinyllama, llama3} {
		for _, ctx := range []int{128, 1024} {
			cases = append(cases, tc{path, ctx})
		}
	}
	for _, c := range cases {
		stdout, _, err := run(t, "advise", "--json", "--ctx", strconv.Itoa(c.ctx), c.path)
		if err != nil {
			t.Fatal(err)
		}
		var a adviceJSON
		if err := json.Unmarshal([]byte(stdout), &a); err != nil {
			t.Fatal(err)
		}
		prompt := filepath.Join(dir, "prompt.txt")
		if err := os.WriteFile(prompt, []byte(fillingPrompt(t, c.path, c.ctx, text)), 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := childCommand(child)
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d\t%s\t%s", rssChildEnv, c.ctx, c.path, prompt))
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s at %d: child: %v\n%s", c.path, c.ctx, err, stderr.String())
		}
		var rss uint64
		if i := strings.LastIndex(stderr.String(), "peak_rss_bytes "); i < 0 {
			t.Fatalf("child printed no peak memory:\n%s", stderr.String())
		} else if _, err := fmt.Sscan(stderr.String()[i+len("peak_rss_bytes "):], &rss); err != nil {
			t.Fatal(err)
		}
		e := float64(a.Current.MemoryBytes)/float64(rss) - 1
		t.Logf("%-22s ctx %4d: predicted %6.1f MiB, peak RSS %6.1f MiB, error %+5.1f %%",
			filepath.Base(c.path), c.ctx, float64(a.Current.MemoryBytes)/(1<<20), float64(rss)/(1<<20), 100*e)
		if math.Abs(e) > 0.10 {
			t.Errorf("%s at a context of %d: predicted %d bytes, the process peaked at %d (%+.1f %%)",
				c.path, c.ctx, a.Current.MemoryBytes, rss, 100*e)
		}
	}
}

// fillingPrompt returns the most words from the start of the text file whose
// tokens leave 16 positions of a context of ctx free, for model.
func fillingPrompt(t *testing.T, model string, ctx int, textFile string) string {
	t.Helper()
	text, err := os.ReadFile(textFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(string(text))
	n := sort.Search(len(words), func(n int) bool {
		return len(tok.Encode(strings.Join(words[:n+1], " "), true, false)) > ctx-16
	})
	return strings.Join(words[:n], " ")
}

// onComputer makes advise see a Linux computer with memory ram instead of
// this one, until the test ends.
func onComputer(t *testing.T, ram hw.RAM) {
	saved := probeHardware
	probeHardware = func(context.Context) hw.Report {
		return hw.Report{OS: "linux", Arch: "amd64", RAM: ram, GPUs: []hw.GPU{}, GPUsComplete: true}
	}
	t.Cleanup(func() { probeHardware = saved })
}

// adviseJSON runs `nibble advise --json` with args and decodes its output.
func adviseJSON(t *testing.T, args ...string) adviceJSON {
	t.Helper()
	stdout, _, err := run(t, append([]string{"advise", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var a adviceJSON
	if err := json.Unmarshal([]byte(stdout), &a); err != nil {
		t.Fatalf("advise --json is not JSON: %v", err)
	}
	return a
}

// TestAdviseJSON checks the fields of every level and their consistency on
// a big computer, where every level runs well.
func TestAdviseJSON(t *testing.T) {
	onComputer(t, hw.RAM{Total: 64 << 30, Available: 48 << 30})
	path := refdata.Path(t, "models/ts5m-F32.gguf")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	a := adviseJSON(t, path)
	if a.Context != 256 || a.Bandwidth != 25e9 || a.SpeedMeasured || a.MemoryTotal != 64<<30 {
		t.Errorf("context %d, bandwidth %g (measured %v), memory %d; want the model's 256, the default 25 GB/s, 64 GiB",
			a.Context, a.Bandwidth, a.SpeedMeasured, a.MemoryTotal)
	}
	cur := a.Current
	if cur.Type != "F32" || cur.FileBytes != uint64(st.Size()) || cur.MemoryBytes <= cur.FileBytes || cur.Verdict != "Runs well" {
		t.Errorf("current %+v, want F32, the file's %d bytes, more memory than that, runs well", cur, st.Size())
	}
	mixes := quant.Mixes()
	if len(a.Levels) != len(mixes) {
		t.Fatalf("%d levels, want %d", len(a.Levels), len(mixes))
	}
	overhead := cur.MemoryBytes - cur.FileBytes // the state, the process and the tokenizer
	for i, l := range a.Levels {
		if l.Type != mixes[i].Name || l.MemoryBytes-l.FileBytes != overhead || l.Verdict != "Runs well" || !l.Offered {
			t.Errorf("level %d: %+v; want %s, memory = file + %d, runs well, offered", i, l, mixes[i].Name, overhead)
		}
		// A token reads the file less its header and all but one embedding row.
		if s := a.Bandwidth / l.TokensPerSecond; s > float64(l.FileBytes) || s < 0.8*float64(l.FileBytes) {
			t.Errorf("%s: %g tokens/s is %g bytes a token for a file of %d", l.Type, l.TokensPerSecond, s, l.FileBytes)
		}
		lossless := l.Type == "F32" || l.Type == "F16" || l.Type == "BF16"
		if (l.KLD == 0) != lossless || l.Quality == "" || l.SameTopToken <= 0 || l.SameTopToken > 1 {
			t.Errorf("%s: KLD %g, same top token %g, quality %q", l.Type, l.KLD, l.SameTopToken, l.Quality)
		}
	}
	if a.Recommended != "F16" || !strings.Contains(a.Reason, "best quality that runs well") || a.Warning != "" {
		t.Errorf("recommends %q (%s / %s); want F16: no loss, half the size of F32", a.Recommended, a.Reason, a.Warning)
	}
}

// TestAdviseRecommendations runs the recommendation rules through the
// command on fake computers.
func TestAdviseRecommendations(t *testing.T) {
	f32 := refdata.Path(t, "models/ts5m-F32.gguf")
	q4 := refdata.Path(t, "models/ts5m-Q4_K_M.gguf")

	// An 8 GiB laptop, at a context of a million tokens so that the model
	// needs gigabytes (3 KiB of KV cache a token); free memory such that
	// Q6_K takes exactly 80 % of it.
	onComputer(t, hw.RAM{Total: 64 << 30, Available: 48 << 30})
	long := adviseJSON(t, "--ctx", "1000000", f32)
	q6 := long.Levels[slices.IndexFunc(long.Levels, func(l levelJSON) bool { return l.Type == "Q6_K" })]
	laptop := hw.RAM{Total: 8 << 30, Available: uint64(float64(q6.MemoryBytes) / 0.8)}

	for _, tc := range []struct {
		name        string
		ram         hw.RAM
		args        []string
		recommended string
		text        []string // in the table's output
	}{
		{"big machine, 32-bit file", hw.RAM{Total: 64 << 30, Available: 48 << 30}, []string{f32}, "F16",
			[]string{"Recommended: F16", "F32 (this file)", "almost identical to the original"}},
		{"big machine, Q4_K_M file", hw.RAM{Total: 64 << 30, Available: 48 << 30}, []string{q4}, "Q4_K_M",
			[]string{"Recommended: Q4_K_M", "Q4_K_M (this file)", "Q8_0 *", "* needs the original model"}},
		{"8 GiB laptop, long context", laptop, []string{"--ctx", "1000000", f32}, "Q6_K",
			[]string{"Recommended: Q6_K", "Q8_0", "Tight: close other apps", "This file (F32) needs about 2.9 GiB: Tight"}},
		{"tiny machine", hw.RAM{Total: 2<<30 + 10<<20, Available: 10 << 20}, []string{f32}, "",
			[]string{"Too large", "too large for this computer at a context of 256 tokens: a smaller model is needed"}},
	} {
		onComputer(t, tc.ram)
		a := adviseJSON(t, tc.args...)
		if a.Recommended != tc.recommended {
			t.Errorf("%s: recommends %q (%s), want %q", tc.name, a.Recommended, a.Reason, tc.recommended)
		}
		stdout, _, err := run(t, append([]string{"advise"}, tc.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.text {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: the output lacks %q:\n%s", tc.name, want, stdout)
			}
		}
	}
}

// TestAdviseMeasuredInputs passes a measured speed and KL divergence.
// TestBenchSpeedCorrectsAdvice: nibble bench of a catalog variant stores its
// generation speed, and nibble advise then scales its speeds from it, for
// that file and for another level of the same model; --speed still wins.
func TestBenchSpeedCorrectsAdvice(t *testing.T) {
	catalogHome(t)
	onComputer(t, hw.RAM{Total: 64 << 30, Available: 48 << 30})
	q4, q8 := refdata.Path(t, "models/ts5m-Q4_K_M.gguf"), refdata.Path(t, "models/ts5m-Q8_0.gguf")
	for _, p := range []string{q4, q8} {
		if _, _, err := run(t, "import", p); err != nil {
			t.Fatal(err)
		}
	}
	stdout, _, err := run(t, "bench", q4, "-p", "0", "-n", "4", "-r", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var b benchResult
	if err := json.Unmarshal([]byte(stdout), &b); err != nil {
		t.Fatal(err)
	}
	if b.Saved != "tinystories-5m:Q4_K_M" {
		t.Fatalf("bench saved its speed on %q, want tinystories-5m:Q4_K_M", b.Saved)
	}
	a := adviseJSON(t, q4)
	if !a.SpeedMeasured || math.Abs(a.Current.TokensPerSecond-b.TGPerSecond) > 1e-6*b.TGPerSecond {
		t.Errorf("advise on the measured file: %g tokens/s (measured %v), want bench's %g", a.Current.TokensPerSecond, a.SpeedMeasured, b.TGPerSecond)
	}
	a8 := adviseJSON(t, q8)
	if !a8.SpeedMeasured || a8.Current.TokensPerSecond >= b.TGPerSecond {
		t.Errorf("advise on the Q8_0 file: %g tokens/s (measured %v), want scaled from Q4_K_M's %g, slower", a8.Current.TokensPerSecond, a8.SpeedMeasured, b.TGPerSecond)
	}
	if a := adviseJSON(t, "--speed", "100", q4); a.Current.TokensPerSecond != 100 {
		t.Errorf("--speed 100 gives %g tokens/s", a.Current.TokensPerSecond)
	}
}

func TestAdviseMeasuredInputs(t *testing.T) {
	onComputer(t, hw.RAM{Total: 64 << 30, Available: 48 << 30})
	path := refdata.Path(t, "models/ts5m-Q4_K_M.gguf")
	a := adviseJSON(t, "--speed", "100", "--kld", "q4_k_m=0.004", "--kld", "Q2_K=0.9", path)
	if !a.SpeedMeasured || math.Abs(a.Current.TokensPerSecond-100) > 1e-9 {
		t.Errorf("current at %g tokens/s (measured %v), want the 100 measured", a.Current.TokensPerSecond, a.SpeedMeasured)
	}
	for _, l := range a.Levels {
		switch {
		case l.Type == "Q4_K_M" && (l.KLD != 0.004 || !l.KLDMeasured || l.TokensPerSecond != a.Current.TokensPerSecond):
			t.Errorf("Q4_K_M: %+v; want the measured KLD 0.004 and speed", l)
		case l.Type == "Q2_K" && (l.KLD != 0.9 || !l.KLDMeasured || l.TokensPerSecond <= 100):
			t.Errorf("Q2_K: %+v; want the measured KLD 0.9, faster than Q4_K_M", l)
		case l.Type == "Q8_0" && (l.KLDMeasured || l.TokensPerSecond >= 100):
			t.Errorf("Q8_0: %+v; want llama.cpp's KLD, slower than Q4_K_M", l)
		}
	}
	for _, args := range [][]string{
		{"advise"},
		{"advise", path, "--ctx", "-1"},
		{"advise", path, "--kld", "Q9_X=0.1"},
		{"advise", path, "--kld", "Q4_0=much"},
	} {
		if _, _, err := run(t, args...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
