package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/dustin/go-humanize"

	"nibble/catalog"
	"nibble/engine/session"
	"nibble/ui/state"
)

// newChatView shows the Chat screen with chat id open, or with the chat
// open last (if any) for 0.
func newChatView(s *shell, id uint64) fyne.CanvasObject {
	v := s.chatScreen()
	if id != 0 {
		v.st.Open(id)
	}
	v.st.Refresh()
	return v.root
}

// newChatViewFor shows the Chat screen with a new chat with variant v of
// model m.
func newChatViewFor(s *shell, m catalog.Model, v catalog.Variant) fyne.CanvasObject {
	cv := s.chatScreen()
	cv.st.Start(m, v)
	cv.st.Refresh()
	return cv.root
}

// chatScreen returns the shell's Chat screen, made on first use and kept,
// so that an answer goes on being written while the user looks at another
// screen, and the screen is as it was when they come back.
func (s *shell) chatScreen() *chatView {
	if s.chat == nil {
		s.chat = newChatScreen(s, state.NewChat(s.svc))
	}
	return s.chat
}

// refreshEvery is how often, at most, the screen redraws while an answer
// streams in: often enough to read as smooth, rarely enough that a fast
// model does not keep Fyne's goroutine busy re-rendering markdown.
const refreshEvery = 50 * time.Millisecond

// chatView is the Chat screen's widgets over a state.Chat. Its fields are
// used on Fyne's goroutine only.
type chatView struct {
	s    *shell
	st   *state.Chat
	root fyne.CanvasObject

	chats    []state.ChatSummary
	list     *widget.List
	hint     fyne.CanvasObject
	main     fyne.CanvasObject
	title    *widget.Label
	model    *widget.Label
	status   *widget.Label
	readOnly *widget.Label
	problem  *widget.Label
	rows     []*messageRow
	messages *fyne.Container
	scroll   *container.Scroll
	input    *messageEntry
	send     *widget.Button
	stop     *widget.Button
	settings *settingsForm

	pending  atomic.Bool // a redraw is scheduled
	serial   uint64      // the chat the settings form was filled for
	selected uint64      // the chat selected in the list
	// filledSystem and filled are the settings the form was last filled
	// with: it is filled again when the chat's change, and otherwise keeps
	// what the user is editing.
	filledSystem string
	filled       catalog.GenerationSettings
}

func newChatScreen(s *shell, st *state.Chat) *chatView {
	v := &chatView{s: s, st: st}

	newChat := widget.NewButtonWithIcon("New chat", theme.ContentAddIcon(), func() {
		if !v.st.New() {
			v.s.showLibrary() // no model to chat with yet: pick one
		}
	})
	newChat.Importance = widget.HighImportance
	v.list = widget.NewList(func() int { return len(v.chats) }, newChatItem, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.chats) {
			v.fillChatItem(v.chats[i], o)
		}
	})
	v.list.OnSelected = func(i widget.ListItemID) {
		if i < len(v.chats) {
			v.st.Open(v.chats[i].ID)
		}
	}
	sidebar := container.NewBorder(container.NewPadded(newChat), nil, nil, nil, v.list)

	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.Truncation = fyne.TextTruncateEllipsis
	v.model = secondary("")
	v.status = secondary("")
	v.readOnly = wrapped("")
	v.readOnly.Importance = widget.WarningImportance
	v.problem = wrapped("")
	v.problem.Importance = widget.DangerImportance
	v.settings = newSettingsForm(v.apply)
	advanced := widget.NewAccordion(widget.NewAccordionItem("Advanced", v.settings.form))
	header := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(v.model, v.status), v.title),
		v.readOnly, advanced, widget.NewSeparator())

	v.messages = container.NewVBox()
	v.scroll = container.NewVScroll(container.NewPadded(v.messages))

	v.input = newMessageEntry(v.sendInput)
	v.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), v.sendInput)
	v.send.Importance = widget.HighImportance
	v.stop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), v.st.Stop)
	footer := container.NewVBox(v.problem,
		container.NewBorder(nil, nil, nil, container.NewHBox(v.stop, v.send), v.input))
	v.main = container.NewBorder(header, footer, nil, nil, v.scroll)

	v.hint = container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle("No chat open", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Choose a model in the library and press Chat, or open one of your chats on the left.",
			fyne.TextAlignCenter, fyne.TextStyle{}),
		container.NewCenter(widget.NewButtonWithIcon("Open the library", theme.StorageIcon(), s.showLibrary))))

	split := container.NewHSplit(sidebar, container.NewStack(v.hint, v.main))
	split.SetOffset(0.24)
	v.root = split
	st.Listen(v.changed)
	v.refresh()
	return v
}

// changed schedules a redraw on Fyne's goroutine, at most one per
// refreshEvery. A change that comes while one is scheduled is drawn by it:
// the flag is cleared before the state is read.
func (v *chatView) changed() {
	if v.pending.Swap(true) {
		return
	}
	time.AfterFunc(refreshEvery, func() {
		fyne.Do(func() {
			v.pending.Store(false)
			v.refresh()
		})
	})
}

// refresh makes the widgets show the state.
func (v *chatView) refresh() {
	cv := v.st.View()

	if !slices.Equal(v.chats, cv.Chats) || v.selected != cv.ID {
		v.chats, v.selected = cv.Chats, cv.ID
		v.list.Refresh()
		v.list.UnselectAll()
		for i, c := range v.chats {
			if c.ID == cv.ID && cv.ID != 0 {
				v.list.Select(i)
			}
		}
	}

	setVisible(v.hint, !cv.Open)
	setVisible(v.main, cv.Open)
	v.title.SetText(cv.Title)
	v.model.SetText(cv.Model)
	switch {
	case !cv.Ready:
		v.status.SetText("Opening…")
	case cv.Loading:
		v.status.SetText("Loading the model…")
	case cv.Writing:
		v.status.SetText("Writing…")
	default:
		v.status.SetText("")
	}
	v.readOnly.SetText(cv.ReadOnlyNote)
	setVisible(v.readOnly, cv.ReadOnly)
	v.problem.SetText(strings.TrimSpace(cv.Problem + " " + cv.Next))
	setVisible(v.problem, cv.Problem != "")

	if cv.Serial != v.serial || cv.System != v.filledSystem || cv.Settings != v.filled {
		v.serial, v.filledSystem, v.filled = cv.Serial, cv.System, cv.Settings
		v.settings.fill(cv.System, cv.Settings)
	}
	v.settings.enable(cv.Open && cv.Ready && !cv.ReadOnly)

	v.showMessages(cv)

	setVisible(v.stop, cv.Writing)
	setVisible(v.send, !cv.Writing)
	enableIf(v.send, cv.CanSend())
	enableIf(v.input, cv.Open && !cv.ReadOnly)
}

// showMessages brings the message rows in line with cv, rebuilding only
// those that changed, and follows the answer being written.
func (v *chatView) showMessages(cv state.ChatView) {
	grew := len(cv.Messages) != len(v.rows)
	for i, m := range cv.Messages {
		last := i == len(cv.Messages)-1
		if i < len(v.rows) && v.rows[i].msg.Role == m.Role {
			if v.rows[i].update(v, m, last && cv.CanRegenerate()) && m.Writing {
				grew = true
			}
			continue
		}
		r := newMessageRow(v, m, last && cv.CanRegenerate())
		if i < len(v.rows) {
			v.rows = v.rows[:i]
		}
		v.rows = append(v.rows, r)
	}
	v.rows = v.rows[:len(cv.Messages)]
	objs := make([]fyne.CanvasObject, len(v.rows))
	for i, r := range v.rows {
		objs[i] = r.box
	}
	v.messages.Objects = objs
	v.messages.Refresh()
	if grew {
		v.scroll.ScrollToBottom()
	}
}

// sendInput sends what the user typed, first applying settings changed in
// the Advanced section but not applied yet.
func (v *chatView) sendInput() {
	cv := v.st.View()
	if !cv.CanSend() {
		return
	}
	v.applyTo(cv)
	if v.st.Send(v.input.Text) {
		v.input.SetText("")
	}
}

// apply gives the chat the settings in the Advanced section.
func (v *chatView) apply() { v.applyTo(v.st.View()) }

// applyTo gives the chat cv the settings in the Advanced section, if they
// changed.
func (v *chatView) applyTo(cv state.ChatView) {
	if system, g := v.settings.read(cv.Settings); system != cv.System || g != cv.Settings {
		v.st.SetSettings(system, g)
	}
}

func newChatItem() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	sub := secondary("")
	sub.Truncation = fyne.TextTruncateEllipsis
	del := widget.NewButtonWithIcon("", theme.DeleteIcon(), nil)
	del.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil, del, container.NewVBox(title, sub))
}

func (v *chatView) fillChatItem(c state.ChatSummary, o fyne.CanvasObject) {
	b := o.(*fyne.Container)
	labels := b.Objects[0].(*fyne.Container).Objects
	labels[0].(*widget.Label).SetText(c.Title)
	labels[1].(*widget.Label).SetText(c.Model)
	b.Objects[1].(*widget.Button).OnTapped = func() { v.confirmDelete(c) }
}

func (v *chatView) confirmDelete(c state.ChatSummary) {
	dialog.ShowConfirm("Delete this chat?",
		fmt.Sprintf("“%s” and all its messages will be deleted. This cannot be undone.", c.Title),
		func(ok bool) {
			if ok {
				v.st.Delete(c.ID)
			}
		}, v.s.win)
}

// messageRow is one message in the list.
type messageRow struct {
	box    *fyne.Container
	msg    state.Message
	redo   bool // offers Regenerate
	text   *widget.RichText
	label  *widget.Label
	note   *widget.Label
	footer *widget.Label
}

func newMessageRow(v *chatView, m state.Message, redo bool) *messageRow {
	r := &messageRow{msg: m, redo: redo}
	if m.Role == "user" {
		r.label = wrapped(m.Text)
		bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
		bg.CornerRadius = theme.InputRadiusSize()
		bubble := container.NewStack(bg, container.NewPadded(r.label))
		r.box = container.NewVBox(bubble)
		if redo {
			again := widget.NewButtonWithIcon("Answer this", theme.ViewRefreshIcon(), v.st.Regenerate)
			again.Importance = widget.LowImportance
			r.box.Add(container.NewHBox(again))
		}
		return r
	}
	r.text = widget.NewRichTextFromMarkdown(m.Text)
	r.text.Wrapping = fyne.TextWrapWord
	r.note = wrapped(m.TrimmedNote())
	r.note.Importance = widget.WarningImportance
	setVisible(r.note, r.note.Text != "")
	r.footer = secondary(m.Footer())
	actions := container.NewHBox(r.footer, layout.NewSpacer())
	if !m.Writing {
		copyB := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
			fyne.CurrentApp().Clipboard().SetContent(r.msg.Text)
		})
		copyB.Importance = widget.LowImportance
		actions.Add(copyB)
		if redo {
			again := widget.NewButtonWithIcon("Regenerate", theme.ViewRefreshIcon(), v.st.Regenerate)
			again.Importance = widget.LowImportance
			actions.Add(again)
		}
	}
	r.box = container.NewVBox(r.note, r.text, actions)
	return r
}

// update shows m in the row, rebuilding it (in place) when more than the
// text changed. It tells whether anything changed.
func (r *messageRow) update(v *chatView, m state.Message, redo bool) bool {
	if m == r.msg && redo == r.redo {
		return false
	}
	if m.Writing && r.msg.Writing && r.text != nil { // the answer grows: render the new text only
		r.msg = m
		r.text.ParseMarkdown(m.Text)
		return true
	}
	*r = *newMessageRow(v, m, redo)
	return true
}

// messageEntry is where the user types: Enter sends, Shift+Enter starts a
// new line.
type messageEntry struct {
	widget.Entry
	shift  bool
	onSend func()
}

func newMessageEntry(onSend func()) *messageEntry {
	e := &messageEntry{onSend: onSend}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetPlaceHolder("Type a message. Enter sends it; Shift+Enter starts a new line.")
	e.SetMinRowsVisible(2)
	e.ExtendBaseWidget(e)
	return e
}

// KeyDown notes whether Shift is held.
func (e *messageEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

// KeyUp notes whether Shift is held.
func (e *messageEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// TypedKey sends on Enter; with Shift held the entry, whose OnSubmitted is
// not set, inserts a new line.
func (e *messageEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		e.onSend()
		return
	}
	e.Entry.TypedKey(k)
}

// settingsForm is the Advanced section: the system prompt and the
// generation settings of the open chat.
type settingsForm struct {
	form    fyne.CanvasObject
	system  *widget.Entry
	temp    *widget.Slider
	tempVal *widget.Label
	length  *widget.Select
	context *widget.Select
	apply   *widget.Button
}

// lengthChoices are the answer lengths offered, in tokens (0: no limit).
var lengthChoices = []struct {
	name   string
	tokens int
}{
	{"No limit", 0},
	{"Short (about 200 words)", 256},
	{"Medium (about 400 words)", 512},
	{"Long (about 800 words)", 1024},
	{"Very long (about 1,500 words)", 2048},
}

// contextChoices are the context lengths offered, in tokens (0: the
// model's, at most session.DefaultContextLength).
var contextChoices = []int{0, 2048, 4096, 8192, 16384, 32768}

func newSettingsForm(apply func()) *settingsForm {
	f := &settingsForm{}
	f.system = widget.NewMultiLineEntry()
	f.system.Wrapping = fyne.TextWrapWord
	f.system.SetMinRowsVisible(2)
	f.system.SetPlaceHolder("For example: Answer in simple words.")
	f.tempVal = widget.NewLabel("")
	f.temp = widget.NewSlider(0, 2)
	f.temp.Step = 0.1
	f.temp.OnChanged = func(x float64) { f.tempVal.SetText(fmt.Sprintf("%.1f", x)) }
	f.length = widget.NewSelect(nil, nil)
	f.context = widget.NewSelect(nil, nil)
	f.apply = widget.NewButton("Use these settings", apply)
	form := widget.NewForm(
		&widget.FormItem{Text: "Instructions", Widget: f.system,
			HintText: "Optional: how the model should behave"},
		&widget.FormItem{Text: "Creativity", Widget: container.NewBorder(nil, nil, nil, f.tempVal, f.temp),
			HintText: "Low: focused. High: more varied."},
		&widget.FormItem{Text: "Longest answer", Widget: f.length},
		&widget.FormItem{Text: "Memory", Widget: f.context,
			HintText: "How much of the chat the model reads"},
	)
	f.form = container.NewVBox(form, container.NewHBox(layout.NewSpacer(), f.apply))
	return f
}

// fill shows a chat's settings. Values the choices do not offer (set by
// the command line, or tests) are added to them.
func (f *settingsForm) fill(system string, g catalog.GenerationSettings) {
	f.system.SetText(system)
	f.temp.SetValue(g.Temperature)
	f.tempVal.SetText(fmt.Sprintf("%.1f", g.Temperature))
	var lengths []string
	sel := ""
	for _, c := range lengthChoices {
		lengths = append(lengths, c.name)
		if c.tokens == g.MaxTokens {
			sel = c.name
		}
	}
	if sel == "" {
		sel = humanize.Comma(int64(g.MaxTokens)) + " tokens"
		lengths = append(lengths, sel)
	}
	f.length.Options = lengths
	f.length.SetSelected(sel)
	var contexts []string
	sel = ""
	for _, n := range contextChoices {
		contexts = append(contexts, contextName(n))
		if n == g.ContextLength {
			sel = contextName(n)
		}
	}
	if sel == "" {
		sel = contextName(g.ContextLength)
		contexts = append(contexts, sel)
	}
	f.context.Options = contexts
	f.context.SetSelected(sel)
}

// read returns the settings the form shows, the others kept from g.
func (f *settingsForm) read(g catalog.GenerationSettings) (string, catalog.GenerationSettings) {
	// The slider rounds to its step: keep the stored value unless the user
	// moved it.
	if t := f.temp.Value; fmt.Sprintf("%.1f", t) != fmt.Sprintf("%.1f", g.Temperature) {
		g.Temperature = t
	}
	for _, c := range lengthChoices {
		if c.name == f.length.Selected {
			g.MaxTokens = c.tokens
		}
	}
	for _, n := range contextChoices {
		if contextName(n) == f.context.Selected {
			g.ContextLength = n
		}
	}
	return f.system.Text, g
}

func (f *settingsForm) enable(on bool) {
	for _, o := range []fyne.Disableable{f.system, f.temp, f.length, f.context, f.apply} {
		enableIf(o, on)
	}
}

// contextName names a context length as "Make it fit" does; 0 is the
// model's own, at most session.DefaultContextLength.
func contextName(n int) string {
	if n == 0 {
		return "Automatic (up to " + state.ContextWords(session.DefaultContextLength) + ")"
	}
	return state.ContextWords(n)
}
