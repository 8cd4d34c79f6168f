package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"nibble/engine/session"
)

const chatUsage = `Usage: nibble chat MODEL.gguf [options]

Chats with the model in the terminal, using the model's chat template.
Type a message and press Enter. Ctrl-C stops the answer being written; at the
prompt, Ctrl-C or Ctrl-D leaves. Commands: /clear starts over, /bye leaves.
`

type chatOptions struct {
	modelOptions
	path     string
	system   string
	template string
	verbose  bool
	gen      session.Params
}

func runChatCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o chatOptions
	fs := newFlagSet("chat", stderr, func(w io.Writer) { fmt.Fprint(w, chatUsage) })
	fs.StringVar(&o.system, "system", "", "system prompt: how the assistant should behave")
	fs.StringVar(&o.template, "template", "", "a Jinja chat template to use instead of the model's")
	fs.BoolVar(&o.verbose, "verbose", false, "print speeds after every answer")
	o.modelOptions.register(fs)
	registerGeneration(fs, &o.gen, 0)
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	o.path = pos[0]
	return runChat(ctx, o, os.Stdin, stdout, stderr)
}

// runChat is the chat loop. It handles Ctrl-C itself: while an answer is
// being written, Ctrl-C stops it and the chat goes on; at the prompt it
// leaves, as does the end of input.
func runChat(ctx context.Context, o chatOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	m, err := session.Open(o.path, session.Options{
		ContextLength: o.ctx, Threads: o.threads, Force: o.force, ChatTemplate: o.template})
	if err != nil {
		return err
	}
	defer m.Close()
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	conv := m.NewConversation(o.system)
	fmt.Fprintf(stderr, "Chatting with %s (context %d tokens). /bye or Ctrl-D to leave.\n", o.path, m.Config().ContextLength)
	for {
		fmt.Fprint(stdout, ">>> ")
		var line string
		select {
		case <-ctx.Done():
			return nil
		case <-interrupts:
			fmt.Fprintln(stdout)
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(stdout)
				return nil
			}
			line = strings.TrimSpace(l)
		}
		switch line {
		case "":
			continue
		case "/bye", "/exit":
			return nil
		case "/clear":
			conv = m.NewConversation(o.system)
			fmt.Fprintln(stderr, "(new conversation)")
			continue
		}

		answerCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			select {
			case <-interrupts:
				cancel()
			case <-done:
			}
		}()
		_, stats, err := conv.Send(answerCtx, line, o.gen, func(s string) { fmt.Fprint(stdout, s) })
		close(done)
		cancel()
		fmt.Fprintln(stdout)
		if err != nil {
			fmt.Fprintln(stderr, "nibble:", err)
			continue
		}
		if stats.Reason == session.StopCancelled {
			fmt.Fprintln(stderr, "(stopped)")
		}
		if stats.TrimmedMessages > 0 {
			fmt.Fprintf(stderr, "(the %d oldest messages no longer fit in the context and were left out)\n", stats.TrimmedMessages)
		}
		if o.verbose {
			printSpeed(stderr, stats)
		}
	}
}
