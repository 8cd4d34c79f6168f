package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/chat"
	"nibble/engine/session"
)

// Chat is the Chat screen: the past chats (the sidebar), the chat open with
// its messages and the answer being written, its settings, and the actions
// on them. One chat is open at a time; leaving it (opening another, starting
// a new one, deleting it) stops its answer, which is kept as stopped.
//
// Every message is in the catalog before anything depends on it: the
// user's message is saved before its answer starts, the answer as soon as it
// is complete or stopped. An answer regenerated is saved as a new message
// after the one it replaces; reading a chat back keeps the last of such a
// run (see fromCatalog).
//
// Its methods are safe for concurrent use and return at once; loading the
// model and generating run in goroutines and report through Changes.
type Chat struct {
	Changes
	svc *service.Service

	mu      sync.Mutex
	list    []ChatSummary
	listErr error
	cur     *openChat // the chat open; never nil (an empty one: none)
	opened  uint64    // how many chats were opened, numbering them
}

// ChatSummary is one past chat in the sidebar.
type ChatSummary struct {
	ID      uint64
	Title   string
	Model   string // the model's name and level, or that it is gone
	Updated time.Time
}

// Message is one turn of the open chat, as the screen shows it.
type Message struct {
	Role    string // "user" or "assistant"
	Text    string // markdown for answers
	Writing bool   // the answer is being written
	Stopped bool   // the user stopped the answer before the model finished
	// TokensPerSecond is the speed the answer was written at; 0 for answers
	// read from the catalog.
	TokensPerSecond float64
	// Trimmed is how many of the oldest messages the model could not read
	// when it wrote this answer, for lack of context.
	Trimmed int
}

// TrimmedNote says, for an answer written without the oldest messages,
// how many were left out; "" for others.
func (m Message) TrimmedNote() string {
	switch m.Trimmed {
	case 0:
		return ""
	case 1:
		return "The oldest message no longer fits in the model's memory and was left out."
	}
	return fmt.Sprintf("The oldest %d messages no longer fit in the model's memory and were left out.", m.Trimmed)
}

// Footer is the discreet line under an answer: whether it was stopped and
// how fast it was written; "" for none.
func (m Message) Footer() string {
	var parts []string
	switch {
	case m.Writing:
		return ""
	case m.Stopped && m.Text == "":
		parts = append(parts, "Stopped before the answer began")
	case m.Stopped:
		parts = append(parts, "Stopped")
	}
	if m.TokensPerSecond > 0 {
		parts = append(parts, fmt.Sprintf("%.1f tokens/s", m.TokensPerSecond))
	}
	return strings.Join(parts, " · ")
}

// ChatView is what the screen shows at one moment; the caller owns it.
type ChatView struct {
	Chats []ChatSummary // the past chats, the most recent first
	// Serial changes whenever another chat is opened (or a new one
	// started), so that a view can tell its form is for another chat.
	Serial uint64
	// Open says a chat is open: a stored one (ID) or a new one (ID 0)
	// that is saved with its first message.
	Open     bool
	ID       uint64
	Title    string
	Model    string // the model's name and level
	System   string // the system prompt
	Settings catalog.GenerationSettings
	Ready    bool // the history is read
	// ReadOnly says the chat can be read but not continued; ReadOnlyNote
	// says why, in plain words.
	ReadOnly     bool
	ReadOnlyNote string
	Loading      bool // the model is being loaded
	Writing      bool // an answer is being written
	Messages     []Message
	// Problem and Next are the last error in plain words and what to do
	// next (Explain); "" when all is well.
	Problem, Next string
}

// CanSend tells whether the user can send a message (or regenerate) now.
func (v ChatView) CanSend() bool { return v.Open && v.Ready && !v.ReadOnly && !v.Writing }

// CanRegenerate tells whether Regenerate does something now: the last
// message is an answer, or a message left without one.
func (v ChatView) CanRegenerate() bool { return v.CanSend() && len(v.Messages) > 0 }

// openChat is a chat while it is open.
type openChat struct {
	serial   uint64
	chat     catalog.Chat // ID 0: new, not saved until its first message
	model    catalog.Model
	variant  catalog.Variant
	ready    bool   // history read
	readOnly string // why it cannot be continued; "" if it can
	messages []Message
	loads    int   // model loads under way
	problem  error // the last error, shown until the next action
	// The generation under way: cancel stops it, done is closed when it
	// has ended and saved its answer. cancel is nil when none runs.
	cancel context.CancelFunc
	done   chan struct{}
	// conv is the conversation with convModel, reused from one answer to
	// the next (it holds what the model read); only the generation
	// goroutine uses it.
	conv      *session.Conversation
	convModel *session.Model
}

// NewChat returns the Chat screen over svc with no chat open, reading the
// list of past chats.
func NewChat(svc *service.Service) *Chat {
	c := &Chat{svc: svc, cur: &openChat{ready: true}}
	c.refreshList()
	return c
}

// View returns what the screen shows now.
func (c *Chat) View() ChatView {
	c.mu.Lock()
	defer c.mu.Unlock()
	oc := c.cur
	v := ChatView{
		Chats:    append([]ChatSummary(nil), c.list...),
		Serial:   oc.serial,
		Open:     oc.chat.ID != 0 || oc.variant.ID != 0,
		ID:       oc.chat.ID,
		Title:    oc.chat.Title,
		Model:    modelName(oc.model, oc.variant),
		System:   oc.chat.System,
		Settings: oc.chat.Settings,
		Ready:    oc.ready,
		Loading:  oc.loads > 0,
		Writing:  oc.cancel != nil,
		Messages: append([]Message(nil), oc.messages...),
	}
	v.ReadOnly, v.ReadOnlyNote = oc.readOnly != "", oc.readOnly
	v.Problem, v.Next = Explain(oc.problem)
	if v.Problem == "" && c.listErr != nil {
		v.Problem, v.Next = Explain(c.listErr)
	}
	return v
}

// Start opens a new chat with variant v of model m, with the default
// settings, and loads the model in the background. The chat is saved with
// its first message.
func (c *Chat) Start(m catalog.Model, v catalog.Variant) {
	oc := &openChat{chat: catalog.Chat{ModelID: m.ID, VariantID: v.ID, Title: "New chat",
		Settings: service.DefaultGeneration()}, model: m, variant: v, ready: true}
	if v.Missing {
		oc.readOnly = missingNote
	}
	load := oc.readOnly == ""
	c.replace(oc)
	c.changed()
	if load {
		go c.load(oc)
	}
}

// New opens a new chat with the open chat's model, if it has one that is
// still there. It tells whether it did.
func (c *Chat) New() bool {
	c.mu.Lock()
	m, v, ok := c.cur.model, c.cur.variant, c.cur.variant.ID != 0 && c.cur.readOnly == ""
	c.mu.Unlock()
	if ok {
		c.Start(m, v)
	}
	return ok
}

// Open opens stored chat id: it reads its messages (after the answer of
// the chat being left, if one was being written, is saved) and loads its
// model, in the background. A chat whose model is no longer in the catalog
// opens read-only. Opening the chat already open does nothing.
func (c *Chat) Open(id uint64) {
	c.mu.Lock()
	if c.cur.chat.ID == id {
		c.mu.Unlock()
		return
	}
	wait := c.cur.done
	c.mu.Unlock()
	oc := &openChat{chat: catalog.Chat{ID: id}}
	c.replace(oc)
	c.changed()
	go func() {
		if wait != nil {
			<-wait
		}
		ch, msgs, err := c.svc.Catalog.Chat(id)
		var m catalog.Model
		var v catalog.Variant
		var found bool
		if err == nil {
			m, v, found, err = c.findVariant(ch.VariantID)
		}
		c.mu.Lock()
		oc.ready = true
		switch {
		case err != nil:
			oc.problem, oc.readOnly = err, "This chat could not be read."
		case !found:
			oc.readOnly = goneNote
		case v.Missing:
			oc.readOnly = missingNote
		}
		if ch.ID != 0 {
			oc.chat, oc.messages, oc.model, oc.variant = ch, fromCatalog(msgs), m, v
		}
		load := oc.readOnly == ""
		c.mu.Unlock()
		c.changed()
		if load {
			c.load(oc)
		}
	}()
}

// Notes on a chat that cannot be continued.
const (
	goneNote = "The model of this chat is no longer in your library. You can read the chat, but not continue it: " +
		"add the model again, or start a new chat from the library."
	missingNote = "The model file of this chat is missing (moved or deleted). You can read the chat, but not continue it: " +
		"put the file back, or start a new chat with another model."
)

// replace makes oc the open chat, stopping the answer of the one left.
func (c *Chat) replace(oc *openChat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.cancel != nil {
		c.cur.cancel()
	}
	c.opened++
	oc.serial = c.opened
	c.cur = oc
}

// Refresh reads the list of past chats again, and whether the open chat's
// model is still in the catalog, for when the screen is shown again after
// the library changed.
func (c *Chat) Refresh() {
	c.refreshList()
	c.mu.Lock()
	oc := c.cur
	id := oc.variant.ID
	c.mu.Unlock()
	if id != 0 {
		_, v, found, err := c.findVariant(id)
		c.mu.Lock()
		switch {
		case err != nil:
		case !found:
			oc.readOnly = goneNote
		case v.Missing:
			oc.readOnly = missingNote
		}
		c.mu.Unlock()
	}
	c.changed()
}

// Delete deletes chat id and its messages from the catalog; the open chat
// is closed if it was that one.
func (c *Chat) Delete(id uint64) {
	err := c.svc.Catalog.DeleteChat(id)
	c.mu.Lock()
	open := c.cur.chat.ID == id
	c.mu.Unlock()
	if open {
		c.replace(&openChat{ready: true, problem: err})
	} else if err != nil {
		c.mu.Lock()
		c.cur.problem = err
		c.mu.Unlock()
	}
	c.refreshList()
	c.changed()
}

// SetSettings changes the open chat's system prompt and generation
// settings, saving them with the chat (a new chat keeps them until its
// first message saves it). A new context length loads the model again in
// the background, or with the next answer if one is being written, which
// keeps the settings it started with.
func (c *Chat) SetSettings(system string, g catalog.GenerationSettings) {
	c.mu.Lock()
	oc := c.cur
	if !oc.ready || oc.readOnly != "" || (oc.chat.ID == 0 && oc.variant.ID == 0) {
		c.mu.Unlock()
		return
	}
	reload := g.ContextLength != oc.chat.Settings.ContextLength && oc.cancel == nil
	oc.chat.System, oc.chat.Settings = system, g
	oc.problem = nil
	if oc.chat.ID != 0 {
		oc.problem = c.svc.Catalog.UpdateChat(oc.chat)
	}
	c.mu.Unlock()
	c.refreshList()
	c.changed()
	if reload {
		go c.load(oc)
	}
}

// Send saves the user's message text in the open chat (saving a new chat
// first, titled after it) and starts the answer in the background. It
// tells whether it did: not for blank text, while an answer is being
// written, in a read-only chat, or when the message could not be saved
// (the view then shows the problem).
func (c *Chat) Send(text string) bool {
	text = strings.TrimSpace(text)
	c.mu.Lock()
	oc := c.cur
	if text == "" || !c.canSendLocked() {
		c.mu.Unlock()
		return false
	}
	oc.problem = nil
	if oc.chat.ID == 0 {
		oc.chat.Title = titleFrom(text)
		oc.chat, oc.problem = c.svc.Catalog.NewChat(oc.chat)
	}
	if oc.problem == nil {
		_, oc.problem = c.svc.Catalog.AddMessage(oc.chat.ID, catalog.Message{Role: "user", Content: text})
	}
	if oc.problem != nil {
		c.mu.Unlock()
		c.changed()
		return false
	}
	history := conversation(oc.messages)
	oc.messages = append(oc.messages, Message{Role: "user", Text: text})
	c.generateLocked(oc, history, nil, func(conv *session.Conversation, ctx context.Context, p session.Params, emit func(string)) (string, session.Stats, error) {
		return conv.Send(ctx, text, p, emit)
	})
	c.mu.Unlock()
	c.refreshList()
	c.changed()
	return true
}

// Regenerate writes the last answer again, replacing it (it is saved as a
// new message), or answers the last message if it has no answer (the app
// was closed, or the answer failed).
func (c *Chat) Regenerate() {
	c.mu.Lock()
	defer c.changed()
	defer c.mu.Unlock()
	oc := c.cur
	n := len(oc.messages)
	if n == 0 || !c.canSendLocked() {
		return
	}
	oc.problem = nil
	history := conversation(oc.messages)
	last := oc.messages[n-1]
	if last.Role == "user" {
		c.generateLocked(oc, history, nil, func(conv *session.Conversation, ctx context.Context, p session.Params, emit func(string)) (string, session.Stats, error) {
			return conv.Send(ctx, last.Text, p, emit)
		})
		return
	}
	oc.messages = oc.messages[:n-1]
	c.generateLocked(oc, history, &last, (*session.Conversation).Regenerate)
}

// Stop stops the answer being written; what was written is kept, marked
// stopped.
func (c *Chat) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.cancel != nil {
		c.cur.cancel()
	}
}

func (c *Chat) canSendLocked() bool {
	oc := c.cur
	return oc.ready && oc.readOnly == "" && oc.cancel == nil && oc.variant.ID != 0
}

// generateLocked starts an answer in the open chat oc, with c.mu held:
// run writes it with the conversation, made from history unless the one
// oc holds is with the model in use. replaced is the answer it replaces,
// put back if it fails.
func (c *Chat) generateLocked(oc *openChat, history []chat.Message, replaced *Message,
	run func(*session.Conversation, context.Context, session.Params, func(string)) (string, session.Stats, error)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	oc.cancel, oc.done = cancel, done
	oc.messages = append(oc.messages, Message{Role: "assistant", Writing: true})
	at := len(oc.messages) - 1
	id, path, opts := oc.chat.ID, oc.variant.Path, c.modelOptions(oc.chat.Settings)
	params := service.GenerationParams(oc.chat.Settings)

	go func() {
		defer close(done)
		defer cancel()
		var text string
		var stats session.Stats
		lease, err := c.svc.ChatModel(ctx, path, opts)
		if err == nil {
			// Released once the answer is saved, so that closing the
			// model (service.CloseChatModel, as the app quits) waits for it.
			defer lease.Release()
			conv := c.conversationFor(oc, lease.Model, history)
			text, stats, err = run(conv, lease.Ctx, params, func(s string) {
				c.mu.Lock()
				oc.messages[at].Text += s
				c.mu.Unlock()
				c.changed()
			})
		}

		c.mu.Lock()
		oc.cancel = nil
		switch {
		case errors.Is(err, context.Canceled): // stopped while the model was loading
			oc.messages = oc.messages[:at]
		case err != nil:
			oc.messages, oc.problem = oc.messages[:at], err
		default:
			stopped := stats.Reason == session.StopCancelled
			oc.messages[at] = Message{Role: "assistant", Text: text, Stopped: stopped,
				TokensPerSecond: stats.GenerateTokensPerSecond(), Trimmed: stats.TrimmedMessages}
			_, oc.problem = c.svc.Catalog.AddMessage(id, catalog.Message{Role: "assistant", Content: text, Stopped: stopped})
		}
		if err != nil && replaced != nil {
			oc.messages = append(oc.messages, *replaced)
		}
		c.mu.Unlock()
		c.refreshList()
		c.changed()
	}()
}

// conversationFor returns oc's conversation with model m, made from
// history (and the chat's system prompt) unless oc already holds one with
// m. Only the generation goroutine calls it.
func (c *Chat) conversationFor(oc *openChat, m *session.Model, history []chat.Message) *session.Conversation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if oc.convModel != m {
		oc.conv, oc.convModel = m.NewConversation(""), m
		oc.conv.Messages = history
	}
	oc.conv.System = oc.chat.System
	return oc.conv
}

// load loads oc's model in the background, so that the first answer does
// not wait for it, and reports a model that cannot be loaded.
func (c *Chat) load(oc *openChat) {
	c.mu.Lock()
	oc.loads++
	path, opts := oc.variant.Path, c.modelOptions(oc.chat.Settings)
	c.mu.Unlock()
	c.changed()
	lease, err := c.svc.ChatModel(context.Background(), path, opts)
	if err == nil {
		lease.Release()
	}
	c.mu.Lock()
	oc.loads--
	if err != nil {
		oc.problem = err
	}
	c.mu.Unlock()
	c.changed()
}

// modelOptions are the options to open a chat's model with: its context
// length and the threads setting.
func (c *Chat) modelOptions(g catalog.GenerationSettings) session.Options {
	return session.Options{ContextLength: g.ContextLength, Threads: ThreadsSetting(c.svc.Catalog)}
}

// refreshList reads the past chats again.
func (c *Chat) refreshList() {
	chats, err := c.svc.Catalog.Chats()
	var entries []catalog.Entry
	if err == nil {
		entries, err = c.svc.Catalog.List()
	}
	list := make([]ChatSummary, 0, len(chats))
	for _, ch := range chats {
		s := ChatSummary{ID: ch.ID, Title: ch.Title, Updated: ch.Updated, Model: "Model removed"}
		if m, v, ok := variantIn(entries, ch.VariantID); ok {
			s.Model = modelName(m, v)
		}
		list = append(list, s)
	}
	c.mu.Lock()
	c.list, c.listErr = list, err
	c.mu.Unlock()
}

// findVariant finds variant id and its model in the catalog.
func (c *Chat) findVariant(id uint64) (catalog.Model, catalog.Variant, bool, error) {
	entries, err := c.svc.Catalog.List()
	if err != nil {
		return catalog.Model{}, catalog.Variant{}, false, err
	}
	m, v, ok := variantIn(entries, id)
	return m, v, ok, nil
}

func variantIn(entries []catalog.Entry, id uint64) (catalog.Model, catalog.Variant, bool) {
	for _, e := range entries {
		for _, v := range e.Variants {
			if v.ID == id {
				return e.Model, v, true
			}
		}
	}
	return catalog.Model{}, catalog.Variant{}, false
}

// modelName names a variant for the user: the model's name and the level.
func modelName(m catalog.Model, v catalog.Variant) string {
	if v.ID == 0 {
		return ""
	}
	return m.DisplayName + " · " + v.Tag
}

// fromCatalog turns a chat's stored messages into the ones shown: of
// answers in a row (an answer regenerated is stored after the one it
// replaces) only the last.
func fromCatalog(msgs []catalog.Message) []Message {
	var out []Message
	for _, m := range msgs {
		if m.Role != "user" && m.Role != "assistant" {
			continue
		}
		shown := Message{Role: m.Role, Text: m.Content, Stopped: m.Stopped}
		if n := len(out); m.Role == "assistant" && n > 0 && out[n-1].Role == "assistant" {
			out[n-1] = shown
			continue
		}
		out = append(out, shown)
	}
	return out
}

// conversation returns what the model reads of the messages shown: every
// message and its answer, leaving out a message without an answer (the
// app was closed while it was being answered, or the answer failed), so
// that the conversation alternates as chat templates expect.
func conversation(msgs []Message) []chat.Message {
	var out []chat.Message
	for i := 0; i+1 < len(msgs); i++ {
		if msgs[i].Role == "user" && msgs[i+1].Role == "assistant" {
			out = append(out, chat.Message{Role: "user", Content: msgs[i].Text},
				chat.Message{Role: "assistant", Content: msgs[i+1].Text})
			i++
		}
	}
	return out
}

// titleFrom makes a chat's title from its first message: its first line,
// cut to a length that fits the sidebar.
func titleFrom(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.Join(strings.Fields(line), " ")
	const most = 40
	if r := []rune(line); len(r) > most {
		return strings.TrimSpace(string(r[:most-1])) + "…"
	}
	return line
}
