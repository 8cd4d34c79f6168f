package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"

	"nibble/catalog"
)

const importUsage = `Usage: nibble import FILE.gguf [--link | --copy | --move] [--name NAME]

Adds a GGUF model file to Nibble's catalog, as a variant of the model its
metadata names, and computes its SHA-256 checksum.

What happens to the file:
  --link  (the default) the file stays where it is and stays yours: Nibble
          only remembers where it is, and 'nibble rm' never deletes it
  --copy  Nibble makes its own copy in its models folder; yours is untouched
  --move  the file moves into Nibble's models folder and becomes Nibble's

Ctrl-C during a copy cancels the import and leaves nothing behind; during the
checksum it stops the checksum only, the model staying imported.
`

type importOptions struct {
	path string
	mode catalog.ImportMode
	name string
}

func runImportCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o importOptions
	var link, copyIn, move bool
	fs := newFlagSet("import", stderr, func(w io.Writer) { fmt.Fprint(w, importUsage) })
	fs.BoolVar(&link, "link", false, "reference the file where it is (the default)")
	fs.BoolVar(&copyIn, "copy", false, "make Nibble's own copy in its models folder")
	fs.BoolVar(&move, "move", false, "move the file into Nibble's models folder")
	fs.StringVar(&o.name, "name", "", "the model's name (default: from the file's metadata or name)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	o.path = pos[0]
	switch {
	case btoi(link)+btoi(copyIn)+btoi(move) > 1:
		fmt.Fprintln(stderr, "nibble import: give only one of --link, --copy and --move")
		fs.Usage()
		return errUsage
	case copyIn:
		o.mode = catalog.Copy
	case move:
		o.mode = catalog.Move
	default:
		o.mode = catalog.Link
	}
	return runImport(ctx, o, stdout, stderr)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func runImport(ctx context.Context, o importOptions, stdout, stderr io.Writer) error {
	c, err := openCatalog(stderr)
	if err != nil {
		return err
	}
	defer c.Close()
	bar := newProgressBar(stderr)
	what := map[catalog.ImportMode]string{catalog.Link: "checksum", catalog.Copy: "copying", catalog.Move: "moving"}[o.mode]
	im, err := c.Import(ctx, o.path, catalog.ImportOptions{
		Mode:     o.mode,
		Name:     o.name,
		Progress: func(done, total int64) { bar.update(done, total, what) },
	})
	if err != nil {
		bar.done()
		return err
	}
	v, hashErr := im.Wait()
	bar.done()
	m := im.Model
	where := "linked where it is, still yours"
	if v.Owned {
		where = "Nibble's copy"
	}
	fmt.Fprintf(stdout, "imported %s: %s, %s parameters, %s\n  %s (%s)\n", m.Ref(v), m.Architecture,
		paramCount(m.Parameters), humanize.IBytes(uint64(v.Size)), v.Path, where)
	switch {
	case hashErr == nil:
		fmt.Fprintf(stdout, "  sha256 %s\n", v.SHA256)
	case errors.Is(hashErr, context.Canceled):
		fmt.Fprintln(stderr, "the checksum was not computed (cancelled); the model is imported all the same")
	default:
		fmt.Fprintf(stderr, "the checksum was not computed: %v; the model is imported all the same\n", hashErr)
	}
	if im.KeptOriginal != nil {
		fmt.Fprintf(stderr, "warning: %v\n", im.KeptOriginal)
	}
	return nil
}
