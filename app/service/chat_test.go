package service

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"nibble/catalog"
	"nibble/engine/refdata"
	"nibble/engine/sample"
	"nibble/engine/session"
)

func TestGenerationParams(t *testing.T) {
	d := DefaultGeneration()
	p := GenerationParams(d)
	want := sample.Defaults()
	want.Seed = p.Sampling.Seed
	if p.Sampling != want || p.MaxTokens != 0 || d.ContextLength != 0 {
		t.Errorf("defaults give %+v (context %d), want llama.cpp's %+v, no limits", p, d.ContextLength, want)
	}
	if q := GenerationParams(d); q.Sampling.Seed == p.Sampling.Seed {
		t.Errorf("seed 0 gave the seed %d twice, want a new one each time", q.Sampling.Seed)
	}
	g := catalog.GenerationSettings{Temperature: 0.25, TopK: 5, TopP: 0.5, MinP: 0.125, RepeatPenalty: 1.5, RepeatLastN: 32, Seed: 7, MaxTokens: 16}
	want = sample.Params{Temperature: 0.25, TopK: 5, TopP: 0.5, MinP: 0.125, RepeatPenalty: 1.5, RepeatLastN: 32, Seed: 7}
	if p := GenerationParams(g); p.Sampling != want || p.MaxTokens != 16 {
		t.Errorf("GenerationParams(%+v) = %+v, want %+v and 16 tokens", g, p, want)
	}
}

// TestChatModelKeepsOne: the chat model is reused for the same file and
// options; other options close it, once the generation using it has been
// stopped and has released it.
func TestChatModelKeepsOne(t *testing.T) {
	path := refdata.Path(t, "models/ts5m-Q8_0.gguf")
	s := New(nil, nil)
	defer s.CloseChatModel()
	ctx := context.Background()

	first, err := s.ChatModel(ctx, path, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first.Release()
	first.Release() // a second call does nothing
	busy, err := s.ChatModel(ctx, path, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if busy.Model != first.Model {
		t.Fatal("the same file and options opened the model again")
	}
	if busy.Ctx.Err() != nil {
		t.Fatal("a new lease's context is already cancelled")
	}

	type result struct {
		l   *ModelLease
		err error
	}
	other := make(chan result, 1)
	go func() {
		l, err := s.ChatModel(ctx, path, session.Options{ContextLength: 128})
		other <- result{l, err}
	}()
	select {
	case <-busy.Ctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("another model was asked for, and the generation using this one was not stopped")
	}
	select {
	case r := <-other:
		t.Fatalf("the model was replaced while a generation still used it (%v)", r.err)
	case <-time.After(50 * time.Millisecond):
	}
	busy.Release()
	r := <-other
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.l.Release()
	if r.l.Model == busy.Model || r.l.Model.Config().ContextLength != 128 {
		t.Errorf("asked for a context of 128, got the model with %d", r.l.Model.Config().ContextLength)
	}
}

func TestChatModelMissingFile(t *testing.T) {
	s := New(nil, nil)
	_, err := s.ChatModel(context.Background(), filepath.Join(t.TempDir(), "gone.gguf"), session.Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file gives %v, want fs.ErrNotExist", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ChatModel(ctx, refdata.Path(t, "models/ts5m-Q8_0.gguf"), session.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context gives %v", err)
	}
}
