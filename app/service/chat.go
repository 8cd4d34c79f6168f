package service

import (
	"context"
	"math/rand/v2"
	"sync"

	"nibble/catalog"
	"nibble/engine/sample"
	"nibble/engine/session"
)

// DefaultGeneration returns the settings a new chat starts with: llama.cpp's
// sampling defaults (the ones nibble chat and nibble run use), a new seed
// for every answer, answers as long as the model wants and the model's own
// context length (at most session.DefaultContextLength).
func DefaultGeneration() catalog.GenerationSettings {
	d := sample.Defaults()
	return catalog.GenerationSettings{
		Temperature: float64(d.Temperature), TopK: d.TopK, TopP: float64(d.TopP), MinP: float64(d.MinP),
		RepeatPenalty: float64(d.RepeatPenalty), RepeatLastN: d.RepeatLastN,
	}
}

// GenerationParams turns a chat's stored settings into the engine's. Seed 0
// draws a new seed for every call, so that regenerating an answer gives
// another one; any other seed is used as is.
func GenerationParams(g catalog.GenerationSettings) session.Params {
	seed := g.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return session.Params{
		MaxTokens: g.MaxTokens,
		Sampling: sample.Params{
			Temperature: float32(g.Temperature), TopK: g.TopK, TopP: float32(g.TopP), MinP: float32(g.MinP),
			RepeatPenalty: float32(g.RepeatPenalty), RepeatLastN: g.RepeatLastN, Seed: seed,
		},
	}
}

// chatModel is the model the service keeps open for chats.
type chatModel struct {
	path  string
	opts  session.Options
	model *session.Model
	// closing is cancelled when the model is about to be closed, which
	// stops the generations using it.
	closing context.Context
	close   context.CancelFunc
	// users counts the leases not yet released. Add is only called with
	// Service.chatMu held while this is Service.chat, so Wait, called after
	// it stopped being, cannot race with it.
	users sync.WaitGroup
}

// A ModelLease is one use of the chat model (a generation, or just making
// sure it is loaded). The model stays open until Release.
type ModelLease struct {
	Model *session.Model
	// Ctx is the caller's context, also cancelled when another chat needs
	// another model (or other options) and this one is about to be closed:
	// generate with it, so the generation stops and the lease is released.
	Ctx     context.Context
	release func()
}

// Release ends the lease; the model may then be closed. Calling it again
// does nothing.
func (l *ModelLease) Release() { l.release() }

// ChatModel returns a lease on the model at path opened with opts. The
// service keeps at most one model open for chats: when it is this one (the
// same file and options) it is reused at once; otherwise the open one is
// closed — its generations are stopped (their contexts cancelled) and
// waited for — and the file is opened, which takes from a fraction of a
// second to several seconds, so call ChatModel from a background goroutine.
// Errors are session.Open's (session.ErrTooLarge when it does not fit in
// the memory free now) or ctx's. Calls are serialised; the caller must not
// hold another lease when it calls, or it waits for itself.
func (s *Service) ChatModel(ctx context.Context, path string, opts session.Options) (*ModelLease, error) {
	s.chatMu.Lock()
	defer s.chatMu.Unlock()
	if cm := s.chat; cm == nil || cm.path != path || cm.opts != opts {
		s.closeChatModel()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := session.Open(path, opts)
		if err != nil {
			return nil, err
		}
		closing, cancel := context.WithCancel(context.Background())
		s.chat = &chatModel{path: path, opts: opts, model: m, closing: closing, close: cancel}
	}
	cm := s.chat
	cm.users.Add(1)
	genCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(cm.closing, cancel)
	return &ModelLease{Model: cm.model, Ctx: genCtx, release: sync.OnceFunc(func() {
		stop()
		cancel()
		cm.users.Done()
	})}, nil
}

// CloseChatModel stops the generations using the chat model, waits for
// them to end and closes it. Call it before the program ends; a later
// ChatModel opens a model again.
func (s *Service) CloseChatModel() {
	s.chatMu.Lock()
	defer s.chatMu.Unlock()
	s.closeChatModel()
}

// closeChatModel is CloseChatModel with chatMu held.
func (s *Service) closeChatModel() {
	cm := s.chat
	if cm == nil {
		return
	}
	s.chat = nil
	cm.close()
	cm.users.Wait()
	cm.model.Close()
}
