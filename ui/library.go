package ui

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/catalog"
	"nibble/ui/state"
)

// libraryView shows state.Library: a card per model with a row per
// variant and its actions, the add buttons, and the progress of an add.
// The shell builds it once and shows it again (newLibraryView), so the fit
// badges measured stay.
type libraryView struct {
	s      *shell
	lib    *state.Library
	root   *fyne.Container
	body   *fyne.Container // the cards, or the empty state
	adding *fyne.Container // the progress of an add, hidden when none
	status *widget.Label
	bar    *widget.ProgressBar

	// shown is the variants the cards were built for, by id, missing ones
	// negated, to rebuild them only when that changes; rows are their
	// widgets, updated in place as badges come.
	shown []int64
	rows  map[uint64]*variantWidgets
}

// variantWidgets are the widgets of one variant's row that change as its
// fit badge and its quality are measured: the quality line shows the
// quality in words and the button that checks it, or, while it is being
// checked, a progress bar saying how far it has come and Cancel.
type variantWidgets struct {
	badge, note, quality *widget.Label
	check, cancel        *widget.Button
	bar                  *widget.ProgressBar
	progress             string          // the bar's text
	line                 *fyne.Container // the quality line
}

// newLibraryView returns the library screen, reloaded from the catalog;
// the fit badges are measured in the background.
func newLibraryView(s *shell) fyne.CanvasObject {
	v := s.library
	if v == nil {
		v = buildLibraryView(s)
		s.library = v
	}
	if err := v.lib.Load(); err != nil {
		s.showError(err)
	}
	v.refresh()
	s.work.Go(func() { v.lib.MeasureFits(context.Background()) })
	return v.root
}

func buildLibraryView(s *shell) *libraryView {
	v := &libraryView{s: s, lib: state.NewLibrary(s.svc), body: container.NewStack(),
		status: widget.NewLabel(""), bar: widget.NewProgressBar(), rows: map[uint64]*variantWidgets{}}
	v.status.Truncation = fyne.TextTruncateEllipsis
	v.bar.TextFormatter = func() string { return "" } // the status says how far
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), v.lib.CancelAdd)
	v.adding = container.NewBorder(nil, nil, nil, container.NewHBox(container.NewGridWrap(fyne.NewSize(160, v.bar.MinSize().Height), v.bar), cancel), v.status)
	v.adding.Hide()
	title := widget.NewLabelWithStyle("Library", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	header := container.NewBorder(nil, nil, title, container.NewHBox(v.addButtons()...))
	v.root = container.NewBorder(container.NewVBox(header, v.adding, widget.NewSeparator()), nil, nil, nil, v.body)
	v.lib.Listen(func() { fyne.Do(v.refresh) })
	return v
}

// addButtons are the buttons that add models: a file, or a folder.
func (v *libraryView) addButtons() []fyne.CanvasObject {
	file := widget.NewButtonWithIcon("Add a model…", theme.ContentAddIcon(), func() {
		pickModelFile(v.s, func(path string) { v.add([]string{path}) })
	})
	file.Importance = widget.HighImportance
	folder := widget.NewButtonWithIcon("Add a folder…", theme.FolderOpenIcon(), func() {
		pickFolder(v.s, func(path string) { v.add([]string{path}) })
	})
	get := widget.NewButtonWithIcon("Get a model…", theme.DownloadIcon(), v.s.showGetModel)
	return []fyne.CanvasObject{get, file, folder}
}

// refresh shows the library's state: the add progress, then the cards,
// rebuilt when the variants changed, else updated in place.
func (v *libraryView) refresh() {
	p, adding := v.lib.Adding()
	if adding {
		if text := p.Text(); v.status.Text != text {
			v.status.SetText(text)
		}
		v.bar.SetValue(p.Fraction())
	}
	if setVisible(v.adding, adding) {
		v.root.Refresh()
	}
	models := v.lib.Models()
	var shown []int64
	for _, m := range models {
		for _, r := range m.Variants {
			id := int64(r.ID)
			if r.Missing {
				id = -id
			}
			shown = append(shown, id)
		}
	}
	if v.body.Objects != nil && slices.Equal(shown, v.shown) {
		for _, m := range models {
			for _, r := range m.Variants {
				v.rows[r.ID].set(r)
			}
		}
		return
	}
	v.shown = shown
	clear(v.rows)
	if len(models) == 0 {
		v.body.Objects = []fyne.CanvasObject{v.emptyState()}
		v.body.Refresh()
		return
	}
	cards := container.NewVBox()
	for _, m := range models {
		rows := container.NewVBox()
		for i, r := range m.Variants {
			if i > 0 {
				rows.Add(widget.NewSeparator())
			}
			rows.Add(v.variantRow(m, r))
		}
		cards.Add(widget.NewCard(m.Model.DisplayName, m.About, rows))
	}
	v.body.Objects = []fyne.CanvasObject{container.NewVScroll(cards)}
	v.body.Refresh()
}

// emptyState welcomes a user with no model yet.
func (v *libraryView) emptyState() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Your library is empty", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabelWithStyle("Add a model file (it ends in .gguf) you downloaded, or a folder that holds some. "+
		"Nibble uses the files where they are: nothing is copied. "+
		"A model folder from Hugging Face (with a config.json) is converted into a file of Nibble's own.", fyne.TextAlignCenter, fyne.TextStyle{})
	body.Wrapping = fyne.TextWrapWord
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(460, 220), container.NewVBox(
		title, body, container.NewCenter(container.NewHBox(v.addButtons()...)))))
}

// variantRow is one variant: its level, size and fit, what was measured,
// and its actions, then its quality.
func (v *libraryView) variantRow(m state.ModelRow, r state.VariantRow) fyne.CanvasObject {
	w := &variantWidgets{badge: widget.NewLabel(""), note: widget.NewLabel(""), quality: widget.NewLabel(""),
		check: widget.NewButton("", func() { v.checkQuality(r.Variant) }), bar: widget.NewProgressBar()}
	w.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), v.lib.CancelCheck)
	w.note.Truncation = fyne.TextTruncateEllipsis
	w.quality.Truncation = fyne.TextTruncateEllipsis
	w.bar.TextFormatter = func() string { return w.progress }
	w.line = container.NewBorder(nil, nil, nil, container.NewHBox(w.check, w.cancel), container.NewStack(w.quality, w.bar))
	w.set(r)
	v.rows[r.ID] = w
	level := widget.NewLabelWithStyle(r.Level, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	size := widget.NewLabel(r.Size)

	chat := widget.NewButtonWithIcon("Chat", theme.MailComposeIcon(), func() { v.s.startChat(m.Model, r.Variant) })
	chat.Importance = widget.HighImportance
	smaller := widget.NewButton("Make a smaller version", func() { v.s.showFit(m.Entry) })
	details := widget.NewButton("Details", func() { v.showDetails(m, r) })
	reveal := widget.NewButton("Show file", func() { v.reveal(r.Path) })
	remove := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
		v.confirmRemoval(state.Removal{Model: m.Model, Variant: r.Variant})
	})
	if r.Missing {
		chat.Disable()
		smaller.Disable()
		reveal.Disable()
	}
	actions := container.NewHBox(chat, smaller, details, reveal, remove)
	info := container.NewVBox(container.NewHBox(level, size, w.badge), w.note)
	// The quality line spans the row: its sentence is long.
	return container.NewVBox(container.NewBorder(nil, nil, nil, container.NewVBox(layout.NewSpacer(), actions, layout.NewSpacer()), info), w.line)
}

// set shows r's fit: the badge colored by verdict, the note with its
// memory need and speed, and its quality or the progress of its check.
// Labels whose text stays are left alone, so the many changes measuring
// announces cost nothing where nothing changed.
func (w *variantWidgets) set(r state.VariantRow) {
	note := r.BadgeNote
	if r.Speed != "" {
		note += " · " + r.Speed
	}
	if r.Missing {
		w.note.Importance = widget.DangerImportance
		note = "The file is missing: " + r.Path + ". Put it back, or remove it."
	}
	if w.note.Text != note {
		w.note.SetText(note)
	}
	if w.badge.Text != string(r.Badge) {
		w.badge.Importance = verdictImportance(r.Badge)
		w.badge.TextStyle.Bold = true
		w.badge.SetText(string(r.Badge))
	}
	w.setQuality(r)
}

// setQuality shows r's quality line: the progress of its check while it
// runs, else its quality in words, or why the last check failed, and the
// button to check it (disabled while any check runs).
func (w *variantWidgets) setQuality(r state.VariantRow) {
	checking := r.Checking != nil
	if checking {
		if text := r.Checking.Text(); text != w.progress {
			w.progress = text
			w.bar.Refresh()
		}
		w.bar.SetValue(r.Checking.Fraction())
	} else {
		text, importance := r.Quality, widget.MediumImportance
		if r.CheckProblem != "" {
			text, importance = r.CheckProblem, widget.DangerImportance
		}
		if w.quality.Text != text || w.quality.Importance != importance {
			w.quality.Importance = importance
			w.quality.SetText(text)
		}
		if w.check.Text != r.Check {
			w.check.SetText(r.Check)
		}
		enableIf(w.check, r.CanCheck)
	}
	moved := setVisible(w.bar, checking)
	moved = setVisible(w.cancel, checking) || moved
	moved = setVisible(w.quality, !checking) || moved
	if setVisible(w.check, !checking) || moved {
		w.line.Refresh()
	}
}

// checkQuality checks v's quality in the background; its row shows the
// progress, then the result.
func (v *libraryView) checkQuality(variant catalog.Variant) {
	v.s.work.Go(func() { v.lib.CheckQuality(context.Background(), variant) })
}

// add adds paths in the background, then tells what could not be added,
// or offers to chat with the model a folder was converted into, and
// measures the new variants' fit.
func (v *libraryView) add(paths []string) {
	v.s.work.Go(func() {
		res := v.lib.Add(context.Background(), paths)
		if title, body := res.Message(); title != "" {
			fyne.Do(func() { dialog.ShowInformation(title, body, v.s.win) })
		} else if im, ok := res.Converted(); ok {
			fyne.Do(func() { v.offerChat(im) })
		}
		v.lib.MeasureFits(context.Background())
	})
}

// offerChat tells that a model folder is ready in the library and offers
// to chat with it at once.
func (v *libraryView) offerChat(im *catalog.Import) {
	d := dialog.NewConfirm(im.Model.DisplayName+" is ready",
		"Nibble converted the folder into a model file of its own, now in your library. Your folder is left as it was.",
		func(chat bool) {
			if chat {
				v.s.startChat(im.Model, im.Variant)
			}
		}, v.s.win)
	d.SetConfirmText("Chat with it")
	d.SetDismissText("Later")
	d.Show()
}

// showDetails shows everything known about a variant.
func (v *libraryView) showDetails(m state.ModelRow, r state.VariantRow) {
	form := container.New(layout.NewFormLayout())
	for _, d := range v.lib.Details(m.Model, r.Variant) {
		value := widget.NewLabel(d.Value)
		value.Wrapping = fyne.TextWrapBreak
		value.Selectable = true
		form.Add(widget.NewLabelWithStyle(d.Label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		form.Add(value)
	}
	d := dialog.NewCustom(m.Model.DisplayName+" ("+r.Tag+")", "Close", container.NewVScroll(form), v.s.win)
	d.Resize(fyne.NewSize(640, 460))
	d.Show()
}

// reveal opens the folder holding path in the system's file manager.
func (v *libraryView) reveal(path string) {
	u, err := url.Parse(storage.NewFileURI(filepath.Dir(path)).String())
	if err == nil {
		err = fyne.CurrentApp().OpenURL(u)
	}
	if err != nil {
		v.s.showError(err)
	}
}

// confirmRemoval asks before removing r's variant, offering to delete the
// user's own file too, and asks a second time before deleting it.
func (v *libraryView) confirmRemoval(r state.Removal) {
	title, body := r.Question()
	content := container.NewVBox(wrapped(body))
	also := widget.NewCheck("Also delete the file from the disk", nil)
	if r.OffersDeleteFile() {
		content.Add(also)
	}
	d := dialog.NewCustomConfirm(title, "Remove", "Cancel", content, func(ok bool) {
		if !ok {
			return
		}
		r.DeleteFile = also.Checked
		if !r.AsksTwice() {
			v.remove(r, false)
			return
		}
		title, body := r.SecondQuestion()
		second := dialog.NewCustomConfirm(title, "Delete the file", "Keep it", wrapped(body), func(sure bool) {
			if sure {
				v.remove(r, true)
			}
		}, v.s.win)
		second.Resize(fyne.NewSize(520, 0))
		second.Show()
	}, v.s.win)
	d.Resize(fyne.NewSize(520, 0))
	d.Show()
}

// remove removes in the background; the library reloads when done.
func (v *libraryView) remove(r state.Removal, confirmedTwice bool) {
	v.s.work.Go(func() {
		if err := v.lib.Remove(r, confirmedTwice); err != nil {
			fyne.Do(func() { v.s.showError(err) })
		}
	})
}
