package session

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"nibble/engine/hw"
	"nibble/engine/refdata"
	"nibble/engine/sample"
)

func openTS5M(t *testing.T, opts Options) *Model {
	t.Helper()
	m, err := Open(refdata.Path(t, "models/ts5m-F32.gguf"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

var greedy = Params{Sampling: sample.Params{}}

// TestCompleteMatchesLlamaCpp generates 32 tokens greedily from the shared
// prompt and compares the streamed text with what llama.cpp printed: the
// tokenizer, the model, the sampler and the streaming decoder together.
func TestCompleteMatchesLlamaCpp(t *testing.T) {
	m := openTS5M(t, Options{})
	prompt, err := os.ReadFile(refdata.Path(t, "logits/ts5m.prompt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(refdata.Path(t, "logits/ts5m-F32.greedy.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	p := greedy
	p.MaxTokens = 32
	text, stats, err := m.Complete(context.Background(), string(prompt), p, func(s string) { streamed.WriteString(s) })
	if err != nil {
		t.Fatal(err)
	}
	if text != string(want) || streamed.String() != text {
		t.Errorf("generated %q (streamed %q), llama.cpp %q", text, streamed.String(), want)
	}
	if stats.PromptTokens != 64 || stats.GeneratedTokens != 32 || stats.Reason != StopMaxTokens {
		t.Errorf("stats %+v: want 64 prompt tokens, 32 generated, stopped for length", stats)
	}
}

func TestCompleteKeepsTheSpaceBeforeTheNextWord(t *testing.T) {
	m := openTS5M(t, Options{})
	p := greedy
	p.MaxTokens = 3
	text, _, err := m.Complete(context.Background(), "Once upon a time,", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text != " there was a" {
		t.Errorf("continuation %q, want %q", text, " there was a")
	}
}

func TestStopStringIsNotEmitted(t *testing.T) {
	m := openTS5M(t, Options{})
	var streamed strings.Builder
	p := greedy
	p.MaxTokens = 32
	p.Stop = []string{"little girl"}
	text, stats, err := m.Complete(context.Background(), "Once upon a time, there was a", p,
		func(s string) { streamed.WriteString(s) })
	if err != nil {
		t.Fatal(err)
	}
	if stats.Reason != StopString || strings.Contains(text, "little girl") || streamed.String() != text {
		t.Errorf("text %q, streamed %q, reason %s: want it cut before the stop string", text, streamed.String(), stats.Reason)
	}
}

func TestStopFilterHoldsBackPrefixes(t *testing.T) {
	var emitted []string
	f := newStopFilter([]string{"</s>", "User:"}, func(s string) { emitted = append(emitted, s) })
	for _, piece := range []string{"Hello", " <", "/", "x", " Us", "er", ":", " more"} {
		if f.write(piece) {
			break
		}
	}
	if got := strings.Join(emitted, "|"); got != "Hello| |</x| " {
		t.Errorf("emitted %q", got)
	}
	if f.text() != "Hello </x " {
		t.Errorf("text %q", f.text())
	}
}

// TestConversationReusesTheCache checks that a second message evaluates only
// its own tokens and that the answer equals the one a fresh conversation
// with the same history gives.
func TestConversationReusesTheCache(t *testing.T) {
	m := openTS5M(t, Options{})
	p := greedy
	p.MaxTokens = 8
	c := m.NewConversation("You tell stories.")
	ctx := context.Background()
	if _, _, err := c.Send(ctx, "Tell me about a cat.", p, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Send(ctx, "And a dog?", p, nil); err != nil {
		t.Fatal(err)
	}
	second, stats, err := c.Send(ctx, "What happened next?", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := len(c.cached)
	if stats.PromptTokens >= total/2 {
		t.Errorf("third message evaluated %d of %d tokens: the cache was not reused", stats.PromptTokens, total)
	}

	fresh := m.NewConversation("You tell stories.")
	fresh.Messages = append(fresh.Messages, c.Messages[:len(c.Messages)-2]...)
	again, _, err := fresh.Send(ctx, "What happened next?", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != second {
		t.Errorf("with the cache %q, from scratch %q", second, again)
	}
	if len(c.Messages) != 6 || c.Messages[5].Role != "assistant" {
		t.Errorf("messages after three turns: %+v", c.Messages)
	}
}

func TestConversationTrimsOldTurns(t *testing.T) {
	m := openTS5M(t, Options{ContextLength: 128})
	p := greedy
	p.MaxTokens = 16
	c := m.NewConversation("Stories.")
	trimmed := 0
	for i := range 8 {
		_, stats, err := c.Send(context.Background(), "Tell me one more story about the little dog please.", p, nil)
		if err != nil {
			t.Fatalf("turn %d: %v", i, err)
		}
		trimmed += stats.TrimmedMessages
	}
	if trimmed == 0 {
		t.Fatal("eight turns fit in 128 positions: nothing was trimmed")
	}
	if c.System != "Stories." || c.Messages[0].Role != "user" {
		t.Errorf("after trimming: system %q, first message %+v", c.System, c.Messages[0])
	}
}

func TestCancelKeepsThePartialAnswer(t *testing.T) {
	m := openTS5M(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := m.NewConversation("")
	pieces := 0
	text, stats, err := c.Send(ctx, "Tell me a story.", Params{}, func(string) {
		if pieces++; pieces == 3 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Reason != StopCancelled || text == "" || c.Messages[len(c.Messages)-1].Content != text {
		t.Errorf("reason %s, text %q, last message %+v", stats.Reason, text, c.Messages[len(c.Messages)-1])
	}
}

func TestOpenRefusesWhenMemoryIsShort(t *testing.T) {
	path := refdata.Path(t, "models/ts5m-F32.gguf")
	defer func(f func() (hw.Memory, error)) { readMemory = f }(readMemory)
	readMemory = func() (hw.Memory, error) { return hw.Memory{Total: 16 << 20, Available: 8 << 20}, nil }
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "free") {
		t.Fatalf("err = %v, want ErrTooLarge saying what is free", err)
	}
	m, err := Open(path, Options{Force: true})
	if err != nil {
		t.Fatalf("Force: %v", err)
	}
	m.Close()
}
