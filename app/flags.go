package main

import (
	"flag"
	"fmt"
	"io"
)

// newFlagSet returns a flag set for a subcommand that reports errors instead
// of exiting, and whose usage text is the command's own text followed by its
// options.
func newFlagSet(name string, stderr io.Writer, usage func(io.Writer)) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		usage(fs.Output())
		fmt.Fprintln(fs.Output(), "\nOptions:")
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may come before, between or after the
// positional arguments ("nibble quantize in out --type Q4_0", which the flag
// package alone does not allow) and checks that there are exactly nPos
// positional arguments, printing the usage if not.
func parseArgs(fs *flag.FlagSet, args []string, nPos int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != nPos {
		fmt.Fprintf(fs.Output(), "nibble %s: %d arguments given, %d expected\n", fs.Name(), len(pos), nPos)
		fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}

// required checks that each named flag was given a value, printing which is
// missing and the usage if not.
func required(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		if fs.Lookup(name).Value.String() == "" {
			fmt.Fprintf(fs.Output(), "nibble %s: --%s is required\n", fs.Name(), name)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}
