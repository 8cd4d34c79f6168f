package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

const showUsage = `Usage: nibble show NAME[:TAG]

Shows what Nibble's catalog knows about a model and its variants (or one
variant, NAME:TAG): architecture, parameters, context length, license,
where it came from, and per variant its file, checksum, what it was
quantized from and its measured quality and speed.
`

type showOptions struct {
	ref string
}

func runShowCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o showOptions
	fs := newFlagSet("show", stderr, func(w io.Writer) { fmt.Fprint(w, showUsage) })
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	o.ref = pos[0]
	return runShow(o, stdout, stderr)
}

func runShow(o showOptions, stdout, stderr io.Writer) error {
	c, err := openCatalog(stderr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Reconcile(); err != nil {
		return err
	}
	e, err := c.Lookup(o.ref)
	if err != nil {
		return err
	}
	all, err := c.List() // to name the variants others were quantized from
	if err != nil {
		return err
	}
	refs := map[uint64]string{}
	for _, other := range all {
		for _, v := range other.Variants {
			refs[v.ID] = other.Model.Ref(v)
		}
	}
	m := e.Model
	fmt.Fprintf(stdout, "name:          %s\n", m.Name)
	fmt.Fprintf(stdout, "display name:  %s\n", m.DisplayName)
	fmt.Fprintf(stdout, "architecture:  %s\n", m.Architecture)
	fmt.Fprintf(stdout, "parameters:    %s (%d)\n", paramCount(m.Parameters), m.Parameters)
	if m.ContextLength > 0 {
		fmt.Fprintf(stdout, "context:       %d tokens\n", m.ContextLength)
	}
	if m.License != "" {
		fmt.Fprintf(stdout, "license:       %s\n", m.License)
	}
	fmt.Fprintf(stdout, "source:        %s\n", m.Source)
	fmt.Fprintf(stdout, "added:         %s\n", m.Added.Local().Format(time.DateTime))
	for _, v := range e.Variants {
		fmt.Fprintf(stdout, "\n%s\n", m.Ref(v))
		fmt.Fprintf(stdout, "  level:       %s\n", levelOf(v))
		fmt.Fprintf(stdout, "  file:        %s (%s)\n", v.Path, whose(v))
		if v.Missing {
			fmt.Fprintln(stdout, "  MISSING:     the file is no longer there")
		}
		fmt.Fprintf(stdout, "  size:        %s (%d bytes)\n", humanize.IBytes(uint64(v.Size)), v.Size)
		sum := v.SHA256
		if sum == "" {
			sum = "not computed"
		}
		fmt.Fprintf(stdout, "  sha256:      %s\n", sum)
		if v.QuantizedFrom != 0 {
			from := refs[v.QuantizedFrom]
			if from == "" {
				from = "a variant since removed"
			}
			fmt.Fprintf(stdout, "  made from:   %s\n", from)
		}
		if q := v.Quality; q != nil {
			fmt.Fprintf(stdout, "  quality:     KLD %.4f, same top token %.1f%%, perplexity %.2f\n", q.KLD, 100*q.SameTop, q.PPL)
		}
		if s := v.Speed; s != nil {
			fmt.Fprintf(stdout, "  speed:       %.1f tokens/s\n", s.TokensPerSecond)
		}
		fmt.Fprintf(stdout, "  added:       %s\n", v.Added.Local().Format(time.DateTime))
	}
	return nil
}

// paramCount says a parameter count the short way: "1.1 G", "256".
func paramCount(n uint64) string {
	return strings.TrimSpace(humanize.SIWithDigits(float64(n), 2, ""))
}
