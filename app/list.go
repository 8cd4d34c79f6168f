package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"nibble/catalog"
)

const listUsage = `Usage: nibble list

Lists the models in Nibble's catalog, one line per variant (quantization
level): its name for the other commands (NAME:TAG), level, size, and where
its file is, yours (left where it was) or Nibble's copy. A file that is no
longer there is marked MISSING.

The catalog lives in $NIBBLE_HOME if set, else in the "nibble" folder of
your configuration folder.
`

func runListCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("list", stderr, func(w io.Writer) { fmt.Fprint(w, listUsage) })
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	return runList(stdout, stderr)
}

func runList(stdout, stderr io.Writer) error {
	c, err := openCatalog(stderr)
	if err != nil {
		return err
	}
	defer c.Close()
	report, err := c.Reconcile()
	if err != nil {
		return err
	}
	entries, err := c.List()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintln(stdout, "No models yet. Add one with: nibble import FILE.gguf")
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tLEVEL\tSIZE\tFILE")
		for _, e := range entries {
			for _, v := range e.Variants {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)%s\n", e.Model.Ref(v), levelOf(v),
					humanize.IBytes(uint64(v.Size)), v.Path, whose(v), missingMark(v))
			}
		}
		tw.Flush()
	}
	if n := len(report.Orphans); n > 0 {
		fmt.Fprintf(stderr, "note: %d file(s) in the models folder are not in the catalog (add one back with nibble import --move FILE):\n", n)
		for _, o := range report.Orphans {
			fmt.Fprintln(stderr, "  "+o)
		}
	}
	return nil
}

// openCatalog opens the catalog for a command (list, import, show, rm). A
// damaged catalog is set aside, with a note on stderr saying where the old
// file was kept.
func openCatalog(stderr io.Writer) (*catalog.Catalog, error) {
	c, err := catalog.Open(catalog.Options{ResetDamaged: true})
	if err != nil {
		return nil, err
	}
	if backup, reason := c.SetAside(); backup != "" {
		fmt.Fprintf(stderr, "nibble: %v\nnibble: the old file was kept as %s and a new, empty catalog started\n", reason, backup)
	}
	return c, nil
}

func levelOf(v catalog.Variant) string {
	if v.Level == "" {
		return "?"
	}
	return v.Level
}

func whose(v catalog.Variant) string {
	if v.Owned {
		return "Nibble's copy"
	}
	return "your file"
}

func missingMark(v catalog.Variant) string {
	if v.Missing {
		return "  MISSING"
	}
	return ""
}
