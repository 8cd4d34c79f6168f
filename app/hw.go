package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dustin/go-humanize"

	"nibble/engine/hw"
)

const hwUsage = `Usage: nibble hw [--json] [--models-dir DIR]

Shows what this computer has for running models: memory, processor,
graphics and the free disk space in the folder models are kept in.
`

type hwOptions struct {
	asJSON    bool
	modelsDir string // "" leaves the disk out
}

func runHWCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := hwOptions{modelsDir: defaultModelsDir()}
	fs := newFlagSet("hw", stderr, func(w io.Writer) { fmt.Fprint(w, hwUsage) })
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of text")
	fs.StringVar(&o.modelsDir, "models-dir", o.modelsDir, "the folder models are kept in")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	return runHW(ctx, o, stdout)
}

// defaultModelsDir is where models are kept unless --models-dir says
// otherwise: nibble/models in the user's configuration folder, or "" when
// the user has none (no home folder). The catalog will own this choice.
func defaultModelsDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "nibble", "models")
}

func runHW(ctx context.Context, o hwOptions, stdout io.Writer) error {
	r := hw.Probe(ctx, hw.Options{ModelsDir: o.modelsDir})
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printHW(stdout, r)
	return nil
}

// printHW describes r in words for someone who does not know what swap or
// VRAM are; what could not be found out comes last, as notes.
func printHW(w io.Writer, r hw.Report) {
	if r.RAM.Total > 0 {
		fmt.Fprintf(w, "Memory: %s (%s free)", humanize.IBytes(r.RAM.Total), humanize.IBytes(r.RAM.Available))
		if r.RAM.SwapTotal > 0 {
			fmt.Fprintf(w, ", plus %s of swap on disk (slow)", humanize.IBytes(r.RAM.SwapTotal))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "Memory: unknown")
	}

	fmt.Fprintf(w, "Processor: %s, %s", orUnknown(r.CPU.Model), cores(r.CPU))
	if names := r.CPU.Features.Names(); len(names) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(names, ", "))
	}
	fmt.Fprintln(w)

	for _, g := range r.GPUs {
		fmt.Fprintf(w, "Graphics: %s, %s\n", g.Name, gpuMemory(g))
	}
	if len(r.GPUs) == 0 {
		if r.GPUsComplete {
			fmt.Fprintln(w, "Graphics: none found — models run on the CPU")
		} else {
			fmt.Fprintln(w, "Graphics: none found, but not every kind can be checked on this system — models run on the CPU")
		}
	}

	if r.Disk != nil {
		fmt.Fprintf(w, "Disk: %s free in %s\n", humanize.IBytes(r.Disk.Free), r.Disk.Path)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, "Note:", p)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown model"
	}
	return s
}

// cores says how many cores the processor has, and threads when it runs
// two per core.
func cores(c hw.CPU) string {
	switch {
	case c.PhysicalCores == 0 && c.LogicalCores == 0:
		return "number of cores unknown"
	case c.PhysicalCores == 0:
		return fmt.Sprintf("%d threads", c.LogicalCores)
	case c.LogicalCores > c.PhysicalCores:
		return fmt.Sprintf("%d cores, %d threads", c.PhysicalCores, c.LogicalCores)
	default:
		return fmt.Sprintf("%d cores", c.PhysicalCores)
	}
}

func gpuMemory(g hw.GPU) string {
	switch {
	case g.Shared && g.Budget > 0:
		return fmt.Sprintf("built in: shares the main memory (up to %s of it)", humanize.IBytes(g.Budget))
	case g.Shared:
		return "built in: shares the main memory"
	case g.VRAM > 0 && g.VRAMUsed > 0:
		return fmt.Sprintf("%s of its own memory (%s in use)", humanize.IBytes(g.VRAM), humanize.IBytes(g.VRAMUsed))
	case g.VRAM > 0:
		return fmt.Sprintf("%s of its own memory", humanize.IBytes(g.VRAM))
	default:
		return "memory size unknown"
	}
}
