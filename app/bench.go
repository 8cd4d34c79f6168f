package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/catalog"
	"nibble/engine/gguf"
	"nibble/engine/hw"
	"nibble/engine/kernels"
	"nibble/engine/model"
)

const benchUsage = `Usage: nibble bench MODEL.gguf [--threads N] [-p 512] [-n 128] [-r 3] [--json]

Measures the engine's speed on a model, like llama.cpp's llama-bench:
  pp  prompt processing: -p tokens evaluated at once from an empty context,
      only the last token's logits computed;
  tg  text generation: -n tokens evaluated one at a time after a one-token
      prompt.
Each test runs -r times after one untimed warm-up run; the table shows the
median tokens per second and the spread (min, max). Also shown: the peak
memory of the process (its resident set, the model's mapped pages included)
and the kernel that multiplies each weight type. Tokens are random ids, so
any model works, including one from nibble synth. --cpuprofile writes a Go
CPU profile of the timed runs (go tool pprof FILE shows where time goes).
`

type benchOptions struct {
	path    string
	threads int
	nPrompt int
	nGen    int
	reps    int
	asJSON  bool
	profile string
}

func runBenchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o benchOptions
	fs := newFlagSet("bench", stderr, func(w io.Writer) { fmt.Fprint(w, benchUsage) })
	fs.IntVar(&o.threads, "threads", 0, "threads to use (default: all cores)")
	fs.IntVar(&o.nPrompt, "p", 512, "prompt tokens of the pp test (0: no pp test)")
	fs.IntVar(&o.nGen, "n", 128, "generated tokens of the tg test (0: no tg test)")
	fs.IntVar(&o.reps, "r", 3, "repetitions of each test")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of the table")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the timed runs to this `file`")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if o.nPrompt < 0 || o.nGen < 0 || o.nPrompt+o.nGen == 0 || o.reps < 1 {
		fmt.Fprintln(stderr, "nibble bench: -p and -n must not be negative nor both 0, and -r must be at least 1")
		fs.Usage()
		return errUsage
	}
	o.path = pos[0]
	return runBench(ctx, o, stdout, stderr)
}

// benchResult is what `nibble bench --json` prints. Speeds are tokens per
// second; pp and tg hold one per repetition, in order.
type benchResult struct {
	Model        string            `json:"model"`
	Name         string            `json:"name,omitempty"`
	Architecture string            `json:"architecture"`
	Type         string            `json:"type,omitempty"`
	Params       uint64            `json:"n_params"`
	FileBytes    int64             `json:"file_bytes"`
	Threads      int               `json:"threads"`
	Kernels      map[string]string `json:"kernels"` // weight type → kernel
	NPrompt      int               `json:"n_prompt"`
	NGen         int               `json:"n_gen"`
	Repetitions  int               `json:"repetitions"`
	PP           []float64         `json:"pp"`
	TG           []float64         `json:"tg"`
	PPPerSecond  float64           `json:"pp_tokens_per_second"` // median of pp
	TGPerSecond  float64           `json:"tg_tokens_per_second"` // median of tg
	PeakRSSBytes uint64            `json:"peak_rss_bytes"`
	// Saved names the catalog variant the generation speed was stored on
	// ("name:tag"), "" if none.
	Saved string `json:"saved_to_catalog,omitempty"`
}

func runBench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	f, err := gguf.Open(o.path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := os.Stat(o.path)
	if err != nil {
		return err
	}
	threads := o.threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	m, err := model.Load(f, model.Options{ContextLength: max(o.nPrompt, o.nGen+1), Threads: threads})
	if err != nil {
		return err
	}
	in := describe(o.path, f)
	res := benchResult{
		Model: o.path, Name: in.Name, Architecture: in.Architecture, Type: in.FileType,
		Params: in.Parameters, FileBytes: st.Size(), Threads: threads, Kernels: kernelNames(f),
		NPrompt: o.nPrompt, NGen: o.nGen, Repetitions: o.reps, PP: []float64{}, TG: []float64{},
	}

	b := newBencher(m)
	for rep := -1; rep < o.reps; rep++ { // rep -1 is the warm-up
		if rep == 0 && o.profile != "" {
			stop, err := startProfile(o.profile)
			if err != nil {
				return err
			}
			defer stop()
		}
		if o.nPrompt > 0 {
			tps, err := b.promptProcessing(o.nPrompt)
			if err != nil {
				return err
			}
			if rep >= 0 {
				res.PP = append(res.PP, tps)
			}
		}
		if o.nGen > 0 {
			tps, err := b.textGeneration(ctx, o.nGen)
			if err != nil {
				return err
			}
			if rep >= 0 {
				res.TG = append(res.TG, tps)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	res.PPPerSecond, res.TGPerSecond = median(res.PP), median(res.TG)
	if res.PeakRSSBytes, err = hw.PeakRSS(); err != nil {
		fmt.Fprintln(stderr, "warning:", err)
	}
	if o.threads == 0 && res.TGPerSecond > 0 {
		res.Saved = saveSpeed(o.path, res.TGPerSecond, stderr)
	}

	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printBench(stdout, res)
	return nil
}

// startProfile starts a CPU profile written to path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// saveSpeed stores the generation speed on the catalog variant whose file is
// path, where nibble advise and the app read it to correct their estimates,
// and returns the variant's "name:tag" ("" if the file is not in the
// catalog). Only runs with the default threads are saved: they are what the
// app runs with. A catalog that cannot be opened (the window holds it) is
// a note, not an error: the measurement was still printed.
func saveSpeed(path string, tps float64, stderr io.Writer) string {
	c, err := catalog.Open(catalog.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "note: speed not saved in the catalog:", err)
		return ""
	}
	defer c.Close()
	e, _, err := c.LookupFile(path)
	if err == nil {
		_, err = c.SetSpeed(e.Variants[0].ID, catalog.Speed{TokensPerSecond: tps, Measured: time.Now()})
	}
	if err != nil {
		if !errors.Is(err, catalog.ErrNotFound) {
			fmt.Fprintln(stderr, "note: speed not saved in the catalog:", err)
		}
		return ""
	}
	return e.Model.Ref(e.Variants[0])
}

// bencher runs the two tests on one State, reset before each run.
type bencher struct {
	state  *model.State
	tokens []int32   // random ids, as llama-bench uses
	logits []float32 // one token's
}

func newBencher(m *model.Model) *bencher {
	c := m.Config()
	r := rand.New(rand.NewPCG(1, 2))
	tokens := make([]int32, c.ContextLength)
	for i := range tokens {
		tokens[i] = int32(r.IntN(c.VocabSize))
	}
	return &bencher{state: m.NewState(), tokens: tokens, logits: make([]float32, c.VocabSize)}
}

// promptProcessing evaluates n tokens in one Forward from an empty context
// and returns tokens per second.
func (b *bencher) promptProcessing(n int) (float64, error) {
	b.state.Truncate(0)
	start := time.Now()
	if err := b.state.Forward(b.tokens[:n], 0, b.logits); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// textGeneration evaluates one token, then times n more evaluated one at a
// time, and returns tokens per second.
func (b *bencher) textGeneration(ctx context.Context, n int) (float64, error) {
	b.state.Truncate(0)
	if err := b.state.Forward(b.tokens[:1], 0, b.logits); err != nil {
		return 0, err
	}
	start := time.Now()
	for pos := 1; pos <= n; pos++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := b.state.Forward(b.tokens[pos:pos+1], pos, b.logits); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// kernelNames says which kernel multiplies each weight type of f's
// matrices for one token on this CPU (kernels.Name: "go", or the native
// kernel's instruction set).
func kernelNames(f *gguf.File) map[string]string {
	names := map[string]string{}
	for _, t := range f.Tensors {
		if len(t.Dims) >= 2 && kernels.Supported(t.Type) {
			names[t.Type.String()] = kernels.Name(t.Type)
		}
	}
	return names
}

// median returns the middle of xs (the mean of the two middle ones for an
// even count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printBench(w io.Writer, r benchResult) {
	name := r.Name
	if name == "" {
		name = r.Model
	}
	fmt.Fprintf(w, "model:   %s (%s, %s)\n", name, r.Architecture, r.Type)
	fmt.Fprintf(w, "file:    %s, %s, %s parameters\n", r.Model, humanize.IBytes(uint64(r.FileBytes)),
		humanize.SIWithDigits(float64(r.Params), 2, ""))
	var ks []string
	for _, t := range slices.Sorted(maps.Keys(r.Kernels)) {
		ks = append(ks, t+" "+r.Kernels[t])
	}
	fmt.Fprintf(w, "kernels: %s\n\n", strings.Join(ks, ", "))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "threads\ttest\tt/s (median)\tmin\tmax\t")
	row := func(test string, xs []float64) {
		if len(xs) > 0 {
			fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.2f\t%.2f\t\n", r.Threads, test, median(xs), slices.Min(xs), slices.Max(xs))
		}
	}
	row(fmt.Sprintf("pp%d", r.NPrompt), r.PP)
	row(fmt.Sprintf("tg%d", r.NGen), r.TG)
	tw.Flush()
	if r.PeakRSSBytes > 0 {
		fmt.Fprintf(w, "\npeak memory: %s (resident, model pages included)\n", humanize.IBytes(r.PeakRSSBytes))
	}
	if r.Saved != "" {
		fmt.Fprintf(w, "generation speed saved in the catalog for %s (nibble advise and the app use it)\n", r.Saved)
	}
}
