package state

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/chat"
	"nibble/engine/refdata"
)

// chatFixture is a catalog in a temporary folder holding the shared test
// model, and the Chat screen over it.
type chatFixture struct {
	dir     string
	cat     *catalog.Catalog
	svc     *service.Service
	c       *Chat
	model   catalog.Model
	variant catalog.Variant
}

func newChatFixture(t *testing.T) *chatFixture {
	t.Helper()
	path := refdata.Path(t, "models/ts5m-Q8_0.gguf")
	f := &chatFixture{dir: t.TempDir()}
	f.open(t)
	im, err := f.cat.Import(context.Background(), path, catalog.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.model, f.variant = im.Model, im.Variant
	return f
}

// open opens the catalog and a new service and screen over it, as the app
// does at start; the test's end closes them.
func (f *chatFixture) open(t *testing.T) {
	t.Helper()
	cat, err := catalog.Open(catalog.Options{Dir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	f.cat, f.svc = cat, service.New(cat, nil)
	f.c = NewChat(f.svc)
	t.Cleanup(f.close)
}

// close closes the service's model and the catalog, as quitting the app
// does.
func (f *chatFixture) close() {
	f.svc.CloseChatModel()
	f.cat.Close()
}

// fast are settings that make answers short and reproducible.
func fast(maxTokens int) catalog.GenerationSettings {
	g := service.DefaultGeneration()
	g.Temperature, g.MaxTokens = 0, maxTokens
	return g
}

// waitFor polls c until cond holds, failing the test after a while.
func waitFor(t *testing.T, c *Chat, what string, cond func(ChatView) bool) ChatView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v := c.View()
		if cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s; the screen shows %+v", what, v)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func idle(v ChatView) bool { return v.Ready && !v.Writing && !v.Loading }

// send sends text and waits for its answer, failing on a problem.
func (f *chatFixture) send(t *testing.T, text string) ChatView {
	t.Helper()
	if !f.c.Send(text) {
		t.Fatalf("Send(%q) refused; the screen shows %+v", text, f.c.View())
	}
	v := waitFor(t, f.c, "the answer", idle)
	if v.Problem != "" {
		t.Fatalf("answer failed: %s %s", v.Problem, v.Next)
	}
	return v
}

func stored(t *testing.T, cat *catalog.Catalog, id uint64) (catalog.Chat, []catalog.Message) {
	t.Helper()
	ch, msgs, err := cat.Chat(id)
	if err != nil {
		t.Fatal(err)
	}
	return ch, msgs
}

// TestChatSendStreams: the user's message is saved before its answer
// starts, the answer streams in in order, and the complete answer is saved
// and shown with its speed.
func TestChatSendStreams(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	f.c.SetSettings("", fast(16))

	var mu sync.Mutex
	var seen []string       // the answer's text at each change while written
	var savedFirst []string // the stored messages when the first piece came
	f.c.Listen(func() {
		v := f.c.View()
		if n := len(v.Messages); n > 0 && v.Messages[n-1].Writing && v.Messages[n-1].Text != "" {
			mu.Lock()
			defer mu.Unlock()
			if seen == nil {
				_, msgs := stored(t, f.cat, v.ID)
				for _, m := range msgs {
					savedFirst = append(savedFirst, m.Role+": "+m.Content)
				}
			}
			seen = append(seen, v.Messages[n-1].Text)
		}
	})
	v := f.send(t, "  Tell me a story about a cat.\nPlease. ")

	if v.Title != "Tell me a story about a cat." {
		t.Errorf("title %q, want the first line of the message", v.Title)
	}
	if len(v.Messages) != 2 || v.Messages[0].Text != "Tell me a story about a cat.\nPlease." {
		t.Fatalf("messages %+v, want the message and its answer", v.Messages)
	}
	answer := v.Messages[1]
	if answer.Role != "assistant" || answer.Text == "" || answer.Stopped || answer.TokensPerSecond <= 0 {
		t.Errorf("answer %+v, want a complete answer with its speed", answer)
	}
	if !strings.Contains(answer.Footer(), "tokens/s") {
		t.Errorf("footer %q, want the speed", answer.Footer())
	}
	mu.Lock()
	if want := []string{"user: Tell me a story about a cat.\nPlease."}; !slices.Equal(savedFirst, want) {
		t.Errorf("stored when the answer began: %q, want %q", savedFirst, want)
	}
	if len(seen) < 2 {
		t.Errorf("the answer came in %d pieces, want it streamed", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if !strings.HasPrefix(seen[i], seen[i-1]) {
			t.Errorf("piece %d: %q does not continue %q", i, seen[i], seen[i-1])
		}
	}
	if len(seen) > 0 && !strings.HasPrefix(answer.Text, seen[len(seen)-1]) {
		t.Errorf("answer %q does not continue what was streamed, %q", answer.Text, seen[len(seen)-1])
	}
	mu.Unlock()
	ch, msgs := stored(t, f.cat, v.ID)
	if len(msgs) != 2 || msgs[1].Role != "assistant" || msgs[1].Content != answer.Text || msgs[1].Stopped {
		t.Errorf("stored %+v, want the message and the answer %q", msgs, answer.Text)
	}
	if ch.Settings.MaxTokens != 16 || ch.VariantID != f.variant.ID {
		t.Errorf("stored chat %+v, want the settings and variant it was made with", ch)
	}
	if len(v.Chats) != 1 || v.Chats[0].ID != v.ID || v.Chats[0].Title != v.Title || !strings.Contains(v.Chats[0].Model, f.variant.Tag) {
		t.Errorf("sidebar %+v, want this chat with its model", v.Chats)
	}
}

// TestChatStop: stopping an answer keeps what was written, marked stopped,
// in the screen and the catalog, and the chat goes on.
func TestChatStop(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	f.c.SetSettings("", fast(64))
	var once sync.Once
	f.c.Listen(func() {
		v := f.c.View()
		if n := len(v.Messages); n > 0 && v.Messages[n-1].Writing && v.Messages[n-1].Text != "" {
			once.Do(f.c.Stop) // while the first piece is being shown
		}
	})
	v := f.send(t, "Once upon a time")
	answer := v.Messages[len(v.Messages)-1]
	if !answer.Stopped || answer.Text == "" || answer.Footer() == "" || !strings.HasPrefix(answer.Footer(), "Stopped") {
		t.Fatalf("answer %+v (footer %q), want the partial answer marked stopped", answer, answer.Footer())
	}
	_, msgs := stored(t, f.cat, v.ID)
	if len(msgs) != 2 || msgs[1].Content != answer.Text || !msgs[1].Stopped {
		t.Errorf("stored %+v, want the partial answer %q marked stopped", msgs, answer.Text)
	}
	f.c.SetSettings("", fast(4))
	v = f.send(t, "And then?")
	if len(v.Messages) != 4 || v.Messages[3].Stopped {
		t.Errorf("after a stop, the next message gives %+v, want a complete answer", v.Messages)
	}
}

// TestChatRegenerate: regenerating writes the last answer again from the
// same conversation, replacing it on screen and after a reload.
func TestChatRegenerate(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	f.c.SetSettings("", fast(12))
	first := f.send(t, "Hello")
	f.c.Regenerate()
	v := waitFor(t, f.c, "the new answer", idle)
	if len(v.Messages) != 2 {
		t.Fatalf("messages after regenerating: %+v, want the message and one answer", v.Messages)
	}
	// Greedy decoding from the same conversation gives the same answer;
	// one written after the old answer would differ.
	if v.Messages[1].Text != first.Messages[1].Text || v.Messages[1].TokensPerSecond <= 0 {
		t.Errorf("regenerated %+v, want %q written again", v.Messages[1], first.Messages[1].Text)
	}
	_, msgs := stored(t, f.cat, v.ID)
	if len(msgs) != 3 {
		t.Fatalf("stored %d messages, want the message and both answers", len(msgs))
	}
	f.c.Start(f.model, f.variant)
	f.c.Open(v.ID)
	v = waitFor(t, f.c, "the chat read back", idle)
	if len(v.Messages) != 2 || v.Messages[1].Text != first.Messages[1].Text {
		t.Errorf("read back %+v, want the message and the last answer", v.Messages)
	}
}

// TestChatReload: after the app is closed and opened again, a chat comes
// back with its messages and settings, and the next message continues it.
func TestChatReload(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	g := fast(8)
	g.ContextLength = 200
	f.c.SetSettings("You tell short stories.", g)
	before := f.send(t, "A story about a dog")
	f.close()

	f.open(t)
	list := f.c.View().Chats
	if len(list) != 1 || list[0].Title != "A story about a dog" {
		t.Fatalf("past chats after a restart: %+v", list)
	}
	f.c.Open(list[0].ID)
	v := waitFor(t, f.c, "the chat read back", idle)
	if v.Problem != "" || v.ReadOnly {
		t.Fatalf("reading the chat back: %s %s %s", v.Problem, v.Next, v.ReadOnlyNote)
	}
	if !slices.EqualFunc(v.Messages, before.Messages, func(a, b Message) bool { return a.Role == b.Role && a.Text == b.Text }) {
		t.Errorf("read back %+v, want %+v", v.Messages, before.Messages)
	}
	if v.System != "You tell short stories." || v.Settings != g {
		t.Errorf("settings read back: %q %+v, want %+v", v.System, v.Settings, g)
	}
	v = f.send(t, "What happened next?")
	if len(v.Messages) != 4 {
		t.Fatalf("messages %+v, want four", v.Messages)
	}
	f.c.mu.Lock()
	conv, cfg := f.c.cur.conv, f.c.cur.convModel.Config()
	f.c.mu.Unlock()
	want := []chat.Message{{Role: "user", Content: "A story about a dog"}, {Role: "assistant", Content: before.Messages[1].Text},
		{Role: "user", Content: "What happened next?"}, {Role: "assistant", Content: v.Messages[3].Text}}
	if !slices.Equal(conv.Messages, want) || conv.System != "You tell short stories." {
		t.Errorf("the model read %q %+v, want the history before the new message: %+v", conv.System, conv.Messages, want)
	}
	if cfg.ContextLength != 200 {
		t.Errorf("model opened with a context of %d, want the chat's 200", cfg.ContextLength)
	}
	_, msgs := stored(t, f.cat, v.ID)
	if len(msgs) != 4 {
		t.Errorf("stored %d messages, want four", len(msgs))
	}
}

// TestChatSettings: settings changed in a stored chat are saved at once; a
// new chat keeps them until its first message saves it.
func TestChatSettings(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	g := fast(4)
	g.ContextLength = 128
	f.c.SetSettings("Be kind.", g)
	if chats, _ := f.cat.Chats(); len(chats) != 0 {
		t.Fatalf("a new chat without a message was saved: %+v", chats)
	}
	v := f.send(t, "Hi")
	ch, _ := stored(t, f.cat, v.ID)
	if ch.System != "Be kind." || ch.Settings != g {
		t.Errorf("saved %q %+v, want %+v", ch.System, ch.Settings, g)
	}
	g.Temperature, g.MaxTokens, g.ContextLength = 0.5, 100, 0
	f.c.SetSettings("", g)
	ch, _ = stored(t, f.cat, v.ID)
	if ch.System != "" || ch.Settings != g {
		t.Errorf("saved %q %+v, want %+v", ch.System, ch.Settings, g)
	}
	if v := waitFor(t, f.c, "the model loaded again", idle); v.Problem != "" {
		t.Errorf("loading at the new context: %s", v.Problem)
	}
}

// TestChatTrimmed: when the conversation no longer fits the context, the
// answer says how many messages were left out.
func TestChatTrimmed(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	g := fast(8)
	g.ContextLength = 64
	f.c.SetSettings("", g)
	var v ChatView
	for i := 0; i < 6; i++ {
		v = f.send(t, "Tell me about the little red ball in the big green park")
		if last := v.Messages[len(v.Messages)-1]; last.Trimmed > 0 {
			if note := last.TrimmedNote(); !strings.Contains(note, "left out") {
				t.Errorf("note %q, want it to say messages were left out", note)
			}
			return
		}
	}
	t.Errorf("no answer was trimmed in a context of 64 tokens: %+v", v.Messages)
}

// TestChatModelRemoved: a chat whose model was removed opens read-only,
// with its history and a note.
func TestChatModelRemoved(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	f.c.SetSettings("", fast(4))
	v := f.send(t, "Hi")
	f.close()
	f.open(t)
	if _, err := f.cat.Remove([]uint64{f.variant.ID}, false); err != nil {
		t.Fatal(err)
	}
	f.c = NewChat(f.svc)
	f.c.Open(v.ID)
	got := waitFor(t, f.c, "the chat read back", func(v ChatView) bool { return v.Ready })
	if !got.ReadOnly || got.ReadOnlyNote != goneNote || len(got.Messages) != 2 || got.CanSend() {
		t.Errorf("chat of a removed model: %+v, want its history, read-only", got)
	}
	if f.c.Send("More") {
		t.Error("Send in a read-only chat was accepted")
	}
	if got.Chats[0].Model != "Model removed" {
		t.Errorf("sidebar names the model %q", got.Chats[0].Model)
	}
}

// TestChatDelete: deleting the open chat removes it and closes it.
func TestChatDelete(t *testing.T) {
	f := newChatFixture(t)
	f.c.Start(f.model, f.variant)
	f.c.SetSettings("", fast(4))
	v := f.send(t, "Hi")
	f.c.Delete(v.ID)
	v = f.c.View()
	if v.Open || len(v.Chats) != 0 || v.Problem != "" {
		t.Errorf("after deleting: %+v, want no chat", v)
	}
	if _, _, err := f.cat.Chat(v.ID); err == nil {
		t.Error("the chat is still in the catalog")
	}
}

func TestFromCatalogAndConversation(t *testing.T) {
	u := func(s string) catalog.Message { return catalog.Message{Role: "user", Content: s} }
	a := func(s string) catalog.Message { return catalog.Message{Role: "assistant", Content: s} }
	for _, tc := range []struct {
		name  string
		in    []catalog.Message
		shown []string
		read  []string // what the model reads
	}{
		{"empty", nil, nil, nil},
		{"turns", []catalog.Message{u("1"), a("2"), u("3"), a("4")}, []string{"1", "2", "3", "4"}, []string{"1", "2", "3", "4"}},
		{"regenerated", []catalog.Message{u("1"), a("old"), a("new"), u("3"), a("4")}, []string{"1", "new", "3", "4"}, []string{"1", "new", "3", "4"}},
		{"unanswered last", []catalog.Message{u("1"), a("2"), u("3")}, []string{"1", "2", "3"}, []string{"1", "2"}},
		{"unanswered inside", []catalog.Message{u("1"), u("2"), a("3")}, []string{"1", "2", "3"}, []string{"2", "3"}},
		{"system skipped", []catalog.Message{{Role: "system", Content: "s"}, u("1"), a("2")}, []string{"1", "2"}, []string{"1", "2"}},
	} {
		shown := fromCatalog(tc.in)
		var texts, read []string
		for _, m := range shown {
			texts = append(texts, m.Text)
		}
		for _, m := range conversation(shown) {
			read = append(read, m.Content)
		}
		if !slices.Equal(texts, tc.shown) || !slices.Equal(read, tc.read) {
			t.Errorf("%s: shown %q, read %q; want %q, %q", tc.name, texts, read, tc.shown, tc.read)
		}
	}
}

func TestTitleFrom(t *testing.T) {
	for in, want := range map[string]string{
		"Hello":                     "Hello",
		"  two   spaces \nsecond":   "two spaces",
		strings.Repeat("abcd ", 20): "abcd abcd abcd abcd abcd abcd abcd abcd…",
	} {
		if got := titleFrom(in); got != want {
			t.Errorf("titleFrom(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessageNotes(t *testing.T) {
	for _, tc := range []struct {
		m            Message
		footer, note string
	}{
		{Message{Text: "x"}, "", ""},
		{Message{Text: "x", TokensPerSecond: 41.96}, "42.0 tokens/s", ""},
		{Message{Text: "x", Stopped: true, TokensPerSecond: 10}, "Stopped · 10.0 tokens/s", ""},
		{Message{Stopped: true}, "Stopped before the answer began", ""},
		{Message{Text: "x", Writing: true, TokensPerSecond: 10}, "", ""},
		{Message{Text: "x", Trimmed: 1}, "", "The oldest message no longer fits in the model's memory and was left out."},
		{Message{Text: "x", Trimmed: 3}, "", "The oldest 3 messages no longer fit in the model's memory and were left out."},
	} {
		if f, n := tc.m.Footer(), tc.m.TrimmedNote(); f != tc.footer || n != tc.note {
			t.Errorf("%+v: footer %q, note %q; want %q, %q", tc.m, f, n, tc.footer, tc.note)
		}
	}
}

// TestChatModelProblem: a model that cannot be loaded is explained in
// plain words, and the message sent is kept, to be answered later.
func TestChatModelProblem(t *testing.T) {
	f := newChatFixture(t)
	gone := f.variant
	gone.Path = filepath.Join(t.TempDir(), "moved.gguf")
	f.c.Start(f.model, gone)
	v := waitFor(t, f.c, "the problem", func(v ChatView) bool { return v.Problem != "" && !v.Loading })
	if v.Problem != "A file is missing." {
		t.Errorf("problem %q, want the missing file explained", v.Problem)
	}
	if !f.c.Send("Hello") {
		t.Fatal("Send refused")
	}
	v = waitFor(t, f.c, "the answer to fail", func(v ChatView) bool { return !v.Writing })
	if v.Problem != "A file is missing." || len(v.Messages) != 1 || !v.CanRegenerate() {
		t.Errorf("after a failed answer: %+v, want the message kept, the problem shown, and a retry offered", v)
	}
	if _, msgs := stored(t, f.cat, v.ID); len(msgs) != 1 {
		t.Errorf("stored %+v, want the message", msgs)
	}
}
