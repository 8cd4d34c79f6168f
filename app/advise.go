package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/hw"
	"nibble/engine/session"
	"nibble/quant"
	"nibble/quant/advise"
)

const adviseUsage = `Usage: nibble advise MODEL.gguf [--ctx N] [--json] [--speed T] [--bandwidth GB/s] [--kld LEVEL=K]

Tells which quantization level of the model runs well on this computer: for
every level, the file size, the memory it needs at the chosen context, whether
it fits, how fast it generates and how much quality it loses; then the one
level to use. Speeds are estimated from the memory bandwidth unless nibble
bench measured this model (the file, or another level of it in the catalog)
or --speed gives a measured speed. Quality figures are llama.cpp's for
Llama-3-8B unless the catalog holds measurements on this model or --kld
gives one.
`

type adviseOptions struct {
	path      string
	ctx       int
	asJSON    bool
	speed     float64 // tokens/s measured on the file; 0: none
	measured  string  // where the speed came from, for the table
	bandwidth float64 // GB/s; 0: the platform's default
	kld       map[string]float64
}

func runAdviseCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := adviseOptions{kld: map[string]float64{}}
	fs := newFlagSet("advise", stderr, func(w io.Writer) { fmt.Fprint(w, adviseUsage) })
	fs.IntVar(&o.ctx, "ctx", 0, fmt.Sprintf("context length in tokens (default: the model's, at most %d)", session.DefaultContextLength))
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of the table")
	fs.Float64Var(&o.speed, "speed", 0, "generation tokens/s measured on this file (default: what nibble bench stored in the catalog)")
	fs.Float64Var(&o.bandwidth, "bandwidth", 0, "memory bandwidth in GB/s (default: a typical figure for this kind of computer)")
	fs.Func("kld", "KL divergence measured on this model for a level, as LEVEL=K (repeatable)", func(s string) error {
		name, val, ok := strings.Cut(s, "=")
		mix, err := quant.LookupMix(name)
		if !ok || err != nil {
			return fmt.Errorf("want LEVEL=K with a level such as Q4_K_M, have %q", s)
		}
		k, err := strconv.ParseFloat(val, 64)
		if err != nil || k < 0 {
			return fmt.Errorf("%q is not a KL divergence (a number ≥ 0)", val)
		}
		o.kld[mix.Name] = k
		return nil
	})
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if o.ctx < 0 || o.speed < 0 || o.bandwidth < 0 {
		fmt.Fprintln(stderr, "nibble advise: --ctx, --speed and --bandwidth must not be negative")
		fs.Usage()
		return errUsage
	}
	o.path = pos[0]
	return runAdvise(ctx, o, stdout)
}

// probeHardware is hw.Probe without the disk; tests replace it to play other
// computers.
var probeHardware = func(ctx context.Context) hw.Report { return hw.Probe(ctx, hw.Options{}) }

// adviceJSON is what `nibble advise --json` prints. current is the file as
// it is, at the chosen context.
type adviceJSON struct {
	Model         string         `json:"model"`
	Name          string         `json:"name,omitempty"`
	Context       int            `json:"context"`
	MemoryTotal   uint64         `json:"memory_total_bytes"`
	MemoryFree    uint64         `json:"memory_available_bytes"`
	Bandwidth     float64        `json:"bandwidth_bytes_per_second"`
	SpeedMeasured bool           `json:"speed_measured"`
	Levels        []levelJSON    `json:"levels"`
	Recommended   string         `json:"recommended"` // "" when nothing fits
	Reason        string         `json:"reason"`
	Warning       string         `json:"warning,omitempty"`
	Current       predictionJSON `json:"current"`
}

type predictionJSON struct {
	Type            string  `json:"type"` // "" when the file's level is none of Nibble's
	FileBytes       uint64  `json:"file_bytes"`
	MemoryBytes     uint64  `json:"memory_bytes"`
	Verdict         string  `json:"verdict"`
	TokensPerSecond float64 `json:"tokens_per_second"`
}

type levelJSON struct {
	predictionJSON
	KLD          float64 `json:"kld"`
	KLDMeasured  bool    `json:"kld_measured"`
	SameTopToken float64 `json:"same_top_token"` // share of next tokens the original would also pick first
	Quality      string  `json:"quality"`
	Offered      bool    `json:"offered"` // false: needs the original model, or cannot be made
	// Unavailable says why the level cannot be made from this file (as
	// llama-quantize refuses it); its other figures are then zero.
	Unavailable string `json:"unavailable,omitempty"`
}

func runAdvise(ctx context.Context, o adviseOptions, stdout io.Writer) error {
	m, err := advise.Read(o.path, o.ctx)
	if err != nil {
		return err
	}
	r := probeHardware(ctx)
	opts := advise.Options{Hardware: r, Bandwidth: o.bandwidth * 1e9, KLD: o.kld}
	if o.speed > 0 {
		opts.Speed = &advise.Speed{TokensPerSecond: o.speed}
		o.measured = "the speed you gave"
	} else {
		opts.Speed, o.measured = catalogMeasurements(o.path, opts.KLD)
	}
	a, err := advise.Advise(m, opts)
	if err != nil {
		return err
	}
	if !o.asJSON {
		printAdvice(stdout, m, r, a, o.measured)
		return nil
	}
	out := adviceJSON{
		Model: o.path, Name: m.Name, Context: a.Context,
		MemoryTotal: r.RAM.Total, MemoryFree: r.RAM.Available,
		Bandwidth: a.Bandwidth, SpeedMeasured: a.SpeedMeasured,
		Recommended: a.Recommended, Reason: a.Reason, Warning: a.Warning,
		Current: predictionOut(a.Current),
	}
	for _, l := range a.Levels {
		out.Levels = append(out.Levels, levelJSON{
			predictionJSON: predictionOut(l.Prediction),
			KLD:            l.KLD, KLDMeasured: l.KLDMeasured, SameTopToken: l.SameTopToken,
			Quality: string(l.Quality), Offered: l.Offered, Unavailable: l.Unavailable,
		})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func predictionOut(p advise.Prediction) predictionJSON {
	return predictionJSON{Type: p.Type, FileBytes: p.FileBytes, MemoryBytes: p.MemoryBytes,
		Verdict: string(p.Verdict), TokensPerSecond: p.TokensPerSecond}
}

// printAdvice writes the table of levels, then the recommendation and what
// the file as it is needs.
func printAdvice(w io.Writer, m advise.Model, r hw.Report, a advise.Advice, measured string) {
	name := m.Name
	if name == "" {
		name = "This model"
	}
	fmt.Fprintf(w, "%s (%s, %s parameters) at a context of %d tokens\n",
		name, m.Arch, humanize.SIWithDigits(float64(m.Params), 2, ""), a.Context)
	fmt.Fprintf(w, "This computer: %s of memory, %s free now\n", humanize.IBytes(r.RAM.Total), humanize.IBytes(r.RAM.Available))
	if a.SpeedMeasured {
		fmt.Fprintf(w, "Speeds: scaled from %s\n", measured)
	} else {
		fmt.Fprintf(w, "Speeds: estimated from a memory speed of %.0f GB/s; nibble bench FILE measures the real one\n", a.Bandwidth/1e9)
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  level\tfile\tmemory\tverdict\tspeed\tquality")
	needsOriginal, unavailable := false, ""
	for _, l := range a.Levels {
		mark := ""
		switch {
		case l.Unavailable != "":
			fmt.Fprintf(tw, "  %s †\t-\t-\t-\t-\t%s\n", l.Type, l.Quality)
			unavailable = l.Unavailable
			continue
		case l.Type == a.Current.Type:
			mark = " (this file)"
		case !l.Offered:
			mark, needsOriginal = " *", true
		}
		fmt.Fprintf(tw, "  %s%s\t%s\t%s\t%s\t%s\t%s\n", l.Type, mark, humanize.IBytes(l.FileBytes),
			humanize.IBytes(l.MemoryBytes), l.Verdict, tokensPerSecond(l.TokensPerSecond), l.Quality)
	}
	tw.Flush()
	if needsOriginal {
		fmt.Fprintln(w, "  * needs the original model: this file has already lost what these levels keep")
	}
	if unavailable != "" {
		fmt.Fprintf(w, "  † cannot be made from this file, as llama-quantize would refuse it (%s)\n", unavailable)
	}
	fmt.Fprintln(w)

	if a.Recommended != "" {
		fmt.Fprintf(w, "Recommended: %s\n", a.Recommended)
	}
	fmt.Fprintln(w, a.Reason)
	if a.Warning != "" {
		fmt.Fprintln(w, a.Warning)
	}
	typ := a.Current.Type
	if typ == "" {
		typ = "a level Nibble does not offer"
	}
	fmt.Fprintf(w, "This file (%s) needs about %s: %s.\n", typ, humanize.IBytes(a.Current.MemoryBytes), a.Current.Verdict)
}

// tokensPerSecond writes a speed with the precision it deserves: it is an
// estimate.
func tokensPerSecond(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f tokens/s", v)
	}
	return fmt.Sprintf("%.1f tokens/s", v)
}

// catalogMeasurements is service.Measurements on the user's catalog; a
// catalog that cannot be opened (the window holds it) gives nothing.
func catalogMeasurements(path string, kld map[string]float64) (speed *advise.Speed, source string) {
	c, err := catalog.Open(catalog.Options{})
	if err != nil {
		return nil, ""
	}
	defer c.Close()
	return service.Measurements(c, path, kld)
}
