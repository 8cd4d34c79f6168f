package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"nibble/engine/chat"
	"nibble/engine/model"
)

// Complete continues a plain text prompt (no chat template), with the
// model's BOS token first if it wants one, streaming text to emit.
func (m *Model) Complete(ctx context.Context, prompt string, p Params, emit func(string)) (string, Stats, error) {
	tokens := m.tok.Encode(prompt, true, false)
	if len(tokens) == 0 {
		return "", Stats{}, errors.New("the prompt is empty")
	}
	if len(tokens) >= m.Config().ContextLength {
		return "", Stats{}, fmt.Errorf("the prompt is %d tokens long, more than the context of %d", len(tokens), m.Config().ContextLength)
	}
	text, _, stats, err := m.generate(ctx, m.model.NewState(), tokens, true, p, emit)
	return text, stats, err
}

// A Conversation is a chat with the model: a system prompt and the messages
// so far, and the KV cache of what the model has already read, so a new
// message costs only its own tokens. Not safe for concurrent use.
type Conversation struct {
	m        *Model
	state    *model.State
	System   string         // the system prompt; "" for none
	Messages []chat.Message // user and assistant turns, oldest first
	cached   []int32        // the tokens whose keys and values are in state
}

// NewConversation starts a conversation. Its KV cache is allocated now.
func (m *Model) NewConversation(system string) *Conversation {
	return &Conversation{m: m, state: m.model.NewState(), System: system}
}

// Send adds the user's message and generates the assistant's answer,
// streaming it to emit. The answer, complete or cut short by a stop or a
// cancelled ctx, is appended to Messages. When the conversation no longer
// fits the context with room for the answer, the oldest turns are left out
// (the system prompt is kept) and Stats.TrimmedMessages says how many.
func (c *Conversation) Send(ctx context.Context, user string, p Params, emit func(string)) (string, Stats, error) {
	c.Messages = append(c.Messages, chat.Message{Role: "user", Content: user})
	reply, stats, err := c.reply(ctx, p, emit)
	if err != nil {
		c.Messages = c.Messages[:len(c.Messages)-1]
	}
	return reply, stats, err
}

// Regenerate replaces the last answer with a new one (draw it with another
// seed for a different answer).
func (c *Conversation) Regenerate(ctx context.Context, p Params, emit func(string)) (string, Stats, error) {
	n := len(c.Messages)
	if n == 0 || c.Messages[n-1].Role != "assistant" {
		return "", Stats{}, errors.New("there is no answer to regenerate")
	}
	last := c.Messages[n-1]
	c.Messages = c.Messages[:n-1]
	reply, stats, err := c.reply(ctx, p, emit)
	if err != nil {
		c.Messages = append(c.Messages, last)
	}
	return reply, stats, err
}

// answerRoom is how many positions of context an answer gets at least when
// the caller sets no MaxTokens (a quarter of the context if that is less):
// older turns are dropped to make room.
const answerRoom = 256

func (c *Conversation) reply(ctx context.Context, p Params, emit func(string)) (string, Stats, error) {
	room := p.MaxTokens
	if room <= 0 {
		room = min(answerRoom, c.m.Config().ContextLength/4)
	}
	limit := c.m.Config().ContextLength - room
	var tokens []int32
	trimmed := 0
	for {
		var err error
		tokens, err = c.render(c.Messages[trimmed:])
		if err != nil {
			return "", Stats{}, err
		}
		if len(tokens) <= limit {
			break
		}
		// Drop the oldest turn; keep at least the newest message.
		if trimmed >= len(c.Messages)-1 {
			return "", Stats{}, fmt.Errorf("the message is too long: %d tokens, and the context holds %d with room for an answer of %d",
				len(tokens), c.m.Config().ContextLength, room)
		}
		trimmed++
		for trimmed < len(c.Messages)-1 && c.Messages[trimmed].Role != "user" {
			trimmed++ // a kept history starts with a user message
		}
	}
	// Reuse the cache for the longest common prefix; at least the last
	// token is evaluated again so that there are logits to sample from.
	keep := commonPrefix(c.cached, tokens)
	keep = min(keep, len(tokens)-1)
	c.state.Truncate(keep)
	c.cached = c.cached[:keep]

	text, generated, stats, err := c.m.generate(ctx, c.state, tokens, false, p, emit)
	c.cached = append(append(c.cached[:keep], tokens[keep:c.state.Len()-len(generated)]...), generated...)
	if err != nil {
		return "", stats, err
	}
	stats.TrimmedMessages = trimmed
	if trimmed > 0 {
		c.Messages = c.Messages[trimmed:]
	}
	c.Messages = append(c.Messages, chat.Message{Role: "assistant", Content: text})
	return text, stats, nil
}

// render turns the system prompt and msgs into the token ids the model reads
// before answering.
func (c *Conversation) render(msgs []chat.Message) ([]int32, error) {
	all := msgs
	if c.System != "" {
		all = append([]chat.Message{{Role: "system", Content: c.System}}, msgs...)
	}
	text, err := c.m.template.Render(all, chat.Options{AddGenerationPrompt: true})
	if err != nil {
		return nil, err
	}
	// Special tokens in the rendered text are parsed. Templates differ on
	// BOS: most write it themselves; when this one did not and the model
	// wants one, it is added, as llama.cpp does.
	tok := c.m.tok
	addBOS := tok.AddBOS() && !strings.HasPrefix(text, tok.TokenText(tok.BOS()))
	return tok.Encode(text, addBOS, true), nil
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
