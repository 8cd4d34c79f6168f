package main

import (
	"context"
	"fmt"
	"io"
)

const rmUsage = `Usage: nibble rm NAME[:TAG] [--delete-file]

Removes a model, with all its variants, or one variant (NAME:TAG, as 'nibble
list' shows them) from Nibble's catalog. Nibble's own copies are deleted.
Your own files (imported with --link, the default) stay where they are
unless --delete-file is given.
`

type rmOptions struct {
	ref        string
	deleteFile bool
}

func runRmCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o rmOptions
	fs := newFlagSet("rm", stderr, func(w io.Writer) { fmt.Fprint(w, rmUsage) })
	fs.BoolVar(&o.deleteFile, "delete-file", false, "also delete your own files, not only Nibble's copies")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	o.ref = pos[0]
	return runRm(o, stdout, stderr)
}

func runRm(o rmOptions, stdout, stderr io.Writer) error {
	c, err := openCatalog(stderr)
	if err != nil {
		return err
	}
	defer c.Close()
	e, err := c.Lookup(o.ref)
	if err != nil {
		return err
	}
	var ids []uint64
	for _, v := range e.Variants {
		ids = append(ids, v.ID)
	}
	removed, err := c.Remove(ids, o.deleteFile)
	for _, v := range removed {
		what := "your file is kept: " + v.Path
		switch {
		case v.Owned:
			what = "deleted Nibble's copy " + v.Path
		case o.deleteFile:
			what = "deleted your file " + v.Path
		}
		fmt.Fprintf(stdout, "removed %s (%s)\n", e.Model.Ref(v), what)
	}
	return err
}
