package ui

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/refdata"
	"nibble/ui/state"
)

// withTestModel returns a prepare function for newTestWindow that adds the
// shared test model to the catalog, past the welcome, and the variant it
// added through *got.
func withTestModel(t *testing.T, got *catalog.Import) func(*catalog.Catalog) {
	path := refdata.Path(t, "models/ts5m-Q8_0.gguf")
	return func(c *catalog.Catalog) {
		im, err := c.Import(context.Background(), path, catalog.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetSetting(state.SettingWelcomed, "yes"); err != nil {
			t.Fatal(err)
		}
		*got = *im
	}
}

// shown returns the text of every label and rich text shown in w, skipping
// hidden ones.
func shown(w fyne.Window) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *widget.Label:
			out = append(out, o.Text)
		case *widget.RichText:
			out = append(out, o.String())
		}
		switch o := o.(type) {
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		}
	}
	walk(w.Canvas().Content())
	return out
}

// waitShown polls w until one of the texts shown satisfies cond, and
// returns it.
func waitShown(t *testing.T, w fyne.Window, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var got []string
		fyne.DoAndWait(func() { got = shown(w) })
		if i := slices.IndexFunc(got, cond); i >= 0 {
			return got[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s; the window shows %q", what, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitText is waitShown for a text that contains text.
func waitText(t *testing.T, w fyne.Window, text string) string {
	t.Helper()
	return waitShown(t, w, strconv.Quote(text), contains(text))
}

func contains(s string) func(string) bool {
	return func(x string) bool { return strings.Contains(x, s) }
}

// waitIdle waits until the open chat is read, its model loaded and no
// answer is being written, and the screen shows it (one can type and tap
// Send, and no redraw is pending: in the test driver redraws run on timer
// goroutines).
func waitIdle(t *testing.T, v *chatView) state.ChatView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		cv := v.st.View()
		var sendable bool
		fyne.DoAndWait(func() {
			sendable = v.send.Visible() && !v.send.Disabled() && !v.input.Disabled() && !v.pending.Load()
		})
		if cv.Ready && !cv.Loading && !cv.Writing && (sendable || cv.ReadOnly) {
			if cv.Problem != "" {
				t.Fatalf("%s %s", cv.Problem, cv.Next)
			}
			return cv
		}
		if time.Now().After(deadline) {
			t.Fatalf("the chat is still busy: %+v", cv)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func greedy(maxTokens int) catalog.GenerationSettings {
	g := service.DefaultGeneration()
	g.Temperature, g.MaxTokens = 0, maxTokens
	return g
}

// TestChatStreamAndStop: a new chat from the library sends with the button
// and with Enter, the answer streams in with its speed, the chat appears in
// the sidebar, and Stop keeps the partial answer marked stopped.
func TestChatStreamAndStop(t *testing.T) {
	var im catalog.Import
	s, w := newTestWindow(t, withTestModel(t, &im))
	s.startChat(im.Model, im.Variant)
	v := s.chat
	v.st.SetSettings("", greedy(16))
	waitIdle(t, v)

	test.Type(v.input, "Hello there")
	test.Tap(v.send)
	if v.input.Text != "" || len(v.st.View().Messages) == 0 {
		t.Fatalf("tapping Send did not send (the entry holds %q)", v.input.Text)
	}
	waitShown(t, w, "the answer's speed", contains("tokens/s"))
	cv := waitIdle(t, v)
	if len(cv.Messages) != 2 || cv.Messages[1].Text == "" {
		t.Fatalf("messages %+v, want the message and an answer", cv.Messages)
	}
	waitShown(t, w, "the answer", func(s string) bool { return s == strings.TrimSpace(cv.Messages[1].Text) })
	waitShown(t, w, "the chat in the sidebar", func(s string) bool { return s == im.Model.DisplayName+" · "+im.Variant.Tag })
	if got := shown(w); !slices.Contains(got, "Hello there") {
		t.Errorf("the window shows %q, want the message sent", got)
	}
	copyB := findButton(v.rows[1].box, func(b *widget.Button) bool { return b.Text == "Copy" })
	if copyB == nil {
		t.Fatal("the answer has no Copy button")
	}
	test.Tap(copyB)
	if got := fyne.CurrentApp().Clipboard().Content(); got != cv.Messages[1].Text {
		t.Errorf("Copy put %q on the clipboard, want %q", got, cv.Messages[1].Text)
	}

	// Shift+Enter starts a new line; Enter sends.
	test.Type(v.input, "One")
	v.input.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
	v.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	v.input.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	test.Type(v.input, "two")
	if v.input.Text != "One\ntwo" {
		t.Fatalf("after Shift+Enter the entry holds %q", v.input.Text)
	}

	// Stop while the answer is being written: the state's listener holds
	// the generation at its first piece until Stop has been tapped.
	v.st.SetSettings("", greedy(0))
	started, tapped := make(chan struct{}), make(chan struct{})
	var once sync.Once
	v.st.Listen(func() {
		cv := v.st.View()
		if n := len(cv.Messages); n > 0 && cv.Messages[n-1].Writing && cv.Messages[n-1].Text != "" {
			once.Do(func() {
				close(started)
				<-tapped
			})
		}
	})
	v.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	<-started
	deadline := time.Now().Add(10 * time.Second)
	for !v.stop.Visible() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	test.Tap(v.stop)
	close(tapped)
	waitShown(t, w, "the stopped answer", func(s string) bool { return strings.HasPrefix(s, "Stopped · ") })
	cv = waitIdle(t, v)
	_, msgs, err := s.svc.Catalog.Chat(cv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || msgs[2].Content != "One\ntwo" || !msgs[3].Stopped || msgs[3].Content == "" {
		t.Errorf("stored %+v, want both messages and the second answer partial, stopped", msgs)
	}
	if !v.send.Visible() || v.stop.Visible() || v.send.Disabled() {
		t.Error("after the stop, Send is not back")
	}
}

// TestChatHistoryReload: a chat written in one run of the app opens in
// the next with its messages (answers as markdown, code in monospace), and
// goes on.
func TestChatHistoryReload(t *testing.T) {
	var im catalog.Import
	var id uint64
	prepare := withTestModel(t, &im)
	s, w := newTestWindow(t, func(c *catalog.Catalog) {
		prepare(c)
		ch, err := c.NewChat(catalog.Chat{ModelID: im.Model.ID, VariantID: im.Variant.ID, Title: "Code please", Settings: greedy(8)})
		if err != nil {
			t.Fatal(err)
		}
		id = ch.ID
		for _, m := range []catalog.Message{
			{Role: "user", Content: "Code please"},
			{Role: "assistant", Content: "Here it is:\n\n```\nfmt.Println(1)\n```\n"},
		} {
			if _, err := c.AddMessage(id, m); err != nil {
				t.Fatal(err)
			}
		}
	})
	s.showChat(id)
	v := s.chat
	waitIdle(t, v)
	code := waitShown(t, w, "the stored answer", contains("fmt.Println(1)"))
	if !strings.HasPrefix(code, "Here it is:") {
		t.Errorf("answer shown as %q", code)
	}
	mono := false
	for _, r := range v.rows {
		if r.text == nil {
			continue
		}
		for _, seg := range r.text.Segments {
			if ts, ok := seg.(*widget.TextSegment); ok && strings.Contains(ts.Text, "fmt.Println") {
				mono = ts.Style.TextStyle.Monospace
			}
		}
	}
	if !mono {
		t.Error("the code block is not in monospace")
	}
	waitShown(t, w, "the title", func(s string) bool { return s == "Code please" })

	test.Type(v.input, "More")
	test.Tap(v.send)
	waitShown(t, w, "the new answer's speed", contains("tokens/s"))
	cv := waitIdle(t, v)
	if len(cv.Messages) != 4 {
		t.Fatalf("messages %+v, want the two stored and two new", cv.Messages)
	}
	if _, msgs, _ := s.svc.Catalog.Chat(id); len(msgs) != 4 {
		t.Errorf("stored %d messages, want 4", len(msgs))
	}
}

// TestChatModelGone: a chat whose model was removed shows its history,
// read-only, with a note; with no chat open the screen says how to start
// one.
func TestChatModelGone(t *testing.T) {
	var id uint64
	s, w := newTestWindow(t, func(c *catalog.Catalog) {
		ch, err := c.NewChat(catalog.Chat{ModelID: 41, VariantID: 42, Title: "Old chat"})
		if err != nil {
			t.Fatal(err)
		}
		id = ch.ID
		if _, err := c.AddMessage(id, catalog.Message{Role: "user", Content: "Are you there?"}); err != nil {
			t.Fatal(err)
		}
	})
	s.showChat(0)
	waitShown(t, w, "the hint", contains("Choose a model in the library"))
	waitShown(t, w, "the past chat", func(s string) bool { return s == "Old chat" })
	s.showChat(id)
	waitShown(t, w, "the note", contains("no longer in your library"))
	waitShown(t, w, "the history", func(s string) bool { return s == "Are you there?" })
	if !s.chat.send.Disabled() || !s.chat.input.Disabled() {
		t.Error("a chat without its model can be continued")
	}
}

// findButton returns the first visible button in o that pred accepts.
func findButton(o fyne.CanvasObject, pred func(*widget.Button) bool) *widget.Button {
	if !o.Visible() {
		return nil
	}
	if b, ok := o.(*widget.Button); ok && pred(b) {
		return b
	}
	var children []fyne.CanvasObject
	switch o := o.(type) {
	case fyne.Widget:
		children = test.WidgetRenderer(o).Objects()
	case *fyne.Container:
		children = o.Objects
	}
	for _, c := range children {
		if b := findButton(c, pred); b != nil {
			return b
		}
	}
	return nil
}

// TestChatDelete: the sidebar's delete button asks first; No keeps the
// chat, Yes deletes it.
func TestChatDelete(t *testing.T) {
	var id uint64
	s, w := newTestWindow(t, func(c *catalog.Catalog) {
		ch, err := c.NewChat(catalog.Chat{VariantID: 42, Title: "To delete"})
		if err != nil {
			t.Fatal(err)
		}
		id = ch.ID
	})
	s.showChat(id)
	waitShown(t, w, "the chat", func(s string) bool { return s == "To delete" })
	for _, answer := range []string{"No", "Yes"} {
		var del *widget.Button
		fyne.DoAndWait(func() {
			del = findButton(w.Canvas().Content(), func(b *widget.Button) bool { return b.Icon == theme.DeleteIcon() })
		})
		if del == nil {
			t.Fatal("no delete button in the sidebar")
		}
		test.Tap(del)
		top := w.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("deleting did not ask first")
		}
		b := findButton(top, func(b *widget.Button) bool { return b.Text == answer })
		if b == nil {
			t.Fatalf("the question has no %q button", answer)
		}
		test.Tap(b)
		_, _, err := s.svc.Catalog.Chat(id)
		if gone := err != nil; gone != (answer == "Yes") {
			t.Errorf("answering %s: chat deleted %v", answer, gone)
		}
	}
	waitShown(t, w, "the hint", contains("Choose a model in the library"))
}
