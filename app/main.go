// Command nibble is Nibble: with no arguments it opens the desktop window;
// with a subcommand it runs that command in the terminal (`nibble help`).
//
// This package is wiring only: flags, output and exit codes. What the
// commands do lives in quant/, engine/ and catalog/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"nibble/ui"
)

func main() {
	if len(os.Args) < 2 {
		ui.Run()
		return
	}
	// The first Ctrl-C cancels the context so a command can clean up (a
	// quantize removes its temporary file); a second one kills the process.
	// Chat handles Ctrl-C itself: it stops an answer, not the chat.
	ctx := context.Background()
	if os.Args[1] != "chat" {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		go func() {
			<-ctx.Done()
			stop()
		}()
		defer stop()
	}
	err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "nibble: cancelled")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "nibble:", err)
		os.Exit(1)
	}
}

// errUsage marks an error whose message has already been printed along with
// the usage text; main only sets the exit code.
var errUsage = errors.New("usage")

// command is one subcommand: its name, a one-line summary for `nibble help`,
// and the function that parses its arguments and runs it.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order `nibble help` shows them.
func commands() []command {
	return []command{
		{"chat", "chat with a model in the terminal", runChatCommand},
		{"run", "continue a prompt with a model", runRunCommand},
		{"list", "list the models in Nibble's catalog", runListCommand},
		{"import", "add a GGUF model file to the catalog (kept in place by default)", runImportCommand},
		{"pull", "download a GGUF model from the Hugging Face hub into the catalog", runPullCommand},
		{"show", "show a model of the catalog and its variants", runShowCommand},
		{"rm", "remove a model or a variant from the catalog", runRmCommand},
		{"quantize", "make a smaller copy of a model at a quantization level", runQuantizeCommand},
		{"convert", "turn a Hugging Face model folder into a GGUF model, quantized or not", runConvertCommand},
		{"imatrix", "compute a model's importance matrix over a calibration text, like llama-imatrix", runImatrixCommand},
		{"inspect", "show what a GGUF model file contains", runInspectCommand},
		{"hw", "show what this computer has for running models", runHWCommand},
		{"advise", "tell which quantization level of a model runs well on this computer", runAdviseCommand},
		{"tokenize", "print the token ids of text read from standard input", runTokenizeCommand},
		{"logits", "write a model's logits for given token ids (to compare with llama.cpp)", runLogitsCommand},
		{"bench", "measure prompt and generation speed and peak memory, like llama-bench", runBenchCommand},
		{"perplexity", "measure how well a model predicts a text, like llama-perplexity", runPerplexityCommand},
		{"kld", "measure how far a variant's predictions are from its base model's (KL divergence, agreement)", runKLDCommand},
		{"synth", "write a random-weight model in the shape of a real one, for benchmarks", runSynthCommand},
		{"screenshots", "developer: save a picture of every screen of the window (make screenshots)", runScreenshotsCommand},
		{"help", "list the commands, or explain one: nibble help COMMAND", runHelpCommand},
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(ctx, args[1:], stdout, stderr)
			if errors.Is(err, flag.ErrHelp) { // -h: the usage is printed, nothing failed
				return nil
			}
			return err
		}
	}
	fmt.Fprintf(stderr, "nibble: unknown command %q\n\n", name)
	printCommands(stderr)
	return errUsage
}
