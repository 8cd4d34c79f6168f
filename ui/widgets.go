package ui

import (
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Small pieces several screens share.

// wrapped returns a label whose text wraps at word boundaries.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// secondary returns a label for what matters less (the model under a
// chat's title, an answer's speed): smaller text, in the theme's text color
// so that it reads on any background, selection highlights included,
// where widget.LowImportance's disabled color does not.
func secondary(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// setVisible shows or hides o and tells whether that changed it: then the
// caller lays out again the container holding o, which Fyne does not do on
// its own.
func setVisible(o fyne.CanvasObject, visible bool) bool {
	if o.Visible() == visible {
		return false
	}
	if visible {
		o.Show()
	} else {
		o.Hide()
	}
	return true
}

// enableIf enables or disables o.
func enableIf(o fyne.Disableable, enable bool) {
	if enable {
		o.Enable()
	} else {
		o.Disable()
	}
}

// pickModelFile asks for a model file (.gguf) and passes its path to use;
// nothing happens if the user cancels.
func pickModelFile(s *shell, use func(path string)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		switch {
		case err != nil:
			s.showError(err)
		case r != nil:
			r.Close()
			use(r.URI().Path())
		}
	}, s.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".gguf", ".GGUF"}))
	showPicker(s.win, d)
}

// pickFolder asks for a folder and passes its path to use; nothing happens
// if the user cancels.
func pickFolder(s *shell, use func(path string)) {
	showPicker(s.win, dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		switch {
		case err != nil:
			s.showError(err)
		case u != nil:
			use(u.Path())
		}
	}, s.win))
}

// showPicker shows a file or folder picker as large as the window allows.
func showPicker(win fyne.Window, d *dialog.FileDialog) {
	size := win.Canvas().Size()
	d.Resize(fyne.NewSize(size.Width*0.9, size.Height*0.9))
	d.Show()
}

// background runs the screens' long work (advising, measuring, adding,
// making) in goroutines and counts them, so that screenshots and tests can
// wait for it. The work touches widgets only through fyne.Do. The zero
// value is ready; it is safe for concurrent use.
type background struct {
	wg      sync.WaitGroup
	running atomic.Int64
}

// Go runs f in a goroutine.
func (b *background) Go(f func()) {
	b.running.Add(1)
	b.wg.Go(func() {
		defer b.running.Add(-1)
		f()
	})
}

// Wait blocks until every goroutine started has ended. Not on Fyne's
// goroutine: the work may be waiting for it (fyne.DoAndWait).
func (b *background) Wait() { b.wg.Wait() }

// idle tells whether no goroutine runs now.
func (b *background) idle() bool { return b.running.Load() == 0 }
