package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/app/service"
	"nibble/catalog"
)

// shell is the main window's frame: a bar of the places the user goes
// (Library, Chats, Settings) on the left, the current screen beside it.
// Screens navigate through its show methods; all of them run on Fyne's
// goroutine.
type shell struct {
	win  fyne.Window
	svc  *service.Service
	body *fyne.Container
	nav  map[string]*widget.Button
	chat *chatView // the Chat screen, once shown (see chatScreen)
	// library is the Library screen, once shown, kept for its fit badges.
	library *libraryView
	// work is the screens' background work.
	work background
	// download fetches a curated model at a level into the catalog and
	// opens a chat with it (state.GetModel.Download): downloadCurated,
	// which tests replace to play the hub.
	download func(ctx context.Context, m service.CuratedModel, level string, progress func(service.GetProgress)) error
}

// newShell builds the frame in win over svc and shows the first screen: the
// welcome on a first start, else the library.
func newShell(win fyne.Window, svc *service.Service) *shell {
	s := &shell{win: win, svc: svc, body: container.NewStack(), nav: map[string]*widget.Button{}}
	s.download = s.downloadCurated
	bar := container.NewVBox()
	for _, p := range []struct {
		name string
		icon fyne.Resource
		show func()
	}{
		{"Library", theme.StorageIcon(), s.showLibrary},
		{"Chats", theme.MailComposeIcon(), func() { s.showChat(0) }},
		{"Settings", theme.SettingsIcon(), s.showSettings},
	} {
		b := widget.NewButtonWithIcon(p.name, p.icon, p.show)
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		s.nav[p.name] = b
		bar.Add(b)
	}
	win.SetContent(container.NewBorder(nil, nil, container.NewHBox(bar, widget.NewSeparator()), nil, s.body))
	if firstStart(svc) {
		s.showWelcome()
	} else {
		s.showLibrary()
	}
	return s
}

// show makes o the current screen and highlights place in the bar ("" for
// none).
func (s *shell) show(place string, o fyne.CanvasObject) {
	for name, b := range s.nav {
		b.Importance = widget.LowImportance
		if name == place {
			b.Importance = widget.HighImportance
		}
		b.Refresh()
	}
	s.body.Objects = []fyne.CanvasObject{o}
	s.body.Refresh()
}

// showError tells the user what went wrong and what to do next, in a dialog.
func (s *shell) showError(err error) { showError(s.win, err) }

func (s *shell) showWelcome() { s.show("", newWelcomeView(s)) }
func (s *shell) showLibrary() { s.show("Library", newLibraryView(s)) }
func (s *shell) showFit(e catalog.Entry) {
	s.show("Library", newFitView(s, e))
}
func (s *shell) showSettings() { s.show("Settings", newSettingsView(s)) }

// showChat opens chat id, or the chat screen with no chat open for 0.
func (s *shell) showChat(id uint64) { s.show("Chats", newChatView(s, id)) }

// startChat opens a new chat with variant v of model m.
func (s *shell) startChat(m catalog.Model, v catalog.Variant) {
	s.show("Chats", newChatViewFor(s, m, v))
}

// downloadCurated gets curated model m at level into the catalog
// (service.Get: downloaded, resumable and verified, or made on this
// computer from the original weights) and then opens a chat with it. It
// blocks: the Get a model screen runs it in the background.
func (s *shell) downloadCurated(ctx context.Context, m service.CuratedModel, level string, progress func(service.GetProgress)) error {
	model, v, err := s.svc.Get(ctx, m, level, progress)
	if err != nil {
		return err
	}
	fyne.Do(func() { s.startChat(model, v) })
	return nil
}
