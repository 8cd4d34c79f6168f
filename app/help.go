package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
)

func printCommands(w io.Writer) {
	fmt.Fprintln(w, "Usage: nibble [COMMAND] [ARGUMENTS]")
	fmt.Fprintln(w, "\nWith no command, nibble opens its window. Commands:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun 'nibble help COMMAND' or 'nibble COMMAND -h' for a command's options.")
}

func runHelpCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printCommands(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			// Every command prints its own usage for -h.
			return c.run(ctx, []string{"-h"}, stdout, stdout)
		}
	}
	fmt.Fprintf(stderr, "nibble help: unknown command %q\n\n", args[0])
	printCommands(stderr)
	return errUsage
}
