package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"nibble/app/service"
	"nibble/assets"
	"nibble/catalog"
	"nibble/ui/state"
)

// AppID is the application identifier Fyne uses for preferences and storage;
// it must match FyneApp.toml.
const AppID = "app.nibble.desktop"

// Run opens Nibble's main window over the user's catalog and blocks until
// the user closes it.
func Run() {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	w := a.NewWindow("Nibble")
	w.Resize(fyne.NewSize(1024, 640))
	c, err := catalog.Open(catalog.Options{ResetDamaged: true})
	if err != nil {
		w.SetContent(errorScreen(err))
		w.ShowAndRun()
		return
	}
	defer c.Close()
	svc := service.New(c, nil)
	Open(w, svc)
	w.ShowAndRun()
	svc.CloseChatModel() // stops an answer being written, which is saved
}

// Open fills window w with Nibble over svc, whose catalog it first brings
// in line with the disk (catalog.Reconcile), telling the user about a
// damaged catalog set aside. The caller shows the window.
func Open(w fyne.Window, svc *service.Service) { open(w, svc) }

func open(w fyne.Window, svc *service.Service) *shell {
	_, rerr := svc.Catalog.Reconcile()
	applyTheme(state.ThemeSetting(svc.Catalog))
	s := newShell(w, svc)
	if backup, reason := svc.Catalog.SetAside(); backup != "" {
		dialog.ShowInformation("The catalog was damaged",
			fmt.Sprintf("Nibble started a new catalog and kept the old one as %s (%v). Your model files were not touched: add them again from the library.", backup, reason), w)
	} else if rerr != nil {
		s.showError(rerr)
	}
	return s
}

// firstStart tells whether the welcome has not been shown to its end yet.
func firstStart(svc *service.Service) bool {
	_, done, err := svc.Catalog.Setting(state.SettingWelcomed)
	return err == nil && !done
}

// errorScreen fills the window when Nibble cannot start: what happened and
// what to do, in plain words.
func errorScreen(err error) fyne.CanvasObject {
	what, next := state.Explain(err)
	title := widget.NewLabelWithStyle(what, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabelWithStyle(next, fyne.TextAlignCenter, fyne.TextStyle{})
	body.Wrapping = fyne.TextWrapWord
	return container.NewCenter(container.NewVBox(title, body))
}

// showError tells the user what went wrong and what to do next, in a dialog
// over w.
func showError(w fyne.Window, err error) {
	what, next := state.Explain(err)
	d := dialog.NewInformation(what, next, w)
	d.Show()
}
