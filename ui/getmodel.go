package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/ui/state"
)

// showGetModel shows the "Get a model" screen, from the library or the
// welcome.
func (s *shell) showGetModel() { s.show("Library", newGetModelView(s)) }

// getModelView shows state.GetModel: a card per curated model, best for
// this computer first, with its fit badge, the size at the level chosen
// (the recommended one at first), a choice of level and Download.
type getModelView struct {
	s     *shell
	g     *state.GetModel
	cards *fyne.Container
	// built is how many cards were built; the list is built once, after
	// Load, and its widgets updated in place afterwards.
	built int
	rows  []getModelRow
}

// getModelRow is the widgets of one card that change.
type getModelRow struct {
	badge, size, status *widget.Label
	level               *widget.Select
	download, cancel    *widget.Button
	discard             *widget.Button // shown when a download was interrupted
	bar                 *widget.ProgressBar
	// progress holds status, bar and cancel: shown while this card's model
	// is being downloaded.
	progress *fyne.Container
}

func newGetModelView(s *shell) fyne.CanvasObject {
	g := state.NewGetModel(s.svc)
	g.Download = s.download
	v := &getModelView{s: s, g: g, cards: container.NewVBox(widget.NewLabel("Looking at which models fit this computer…"))}
	intro := wrapped("These chat models are free to download. Each says how it would run on this computer; " +
		"the first ones are the best that run well. The level is how much the model is compressed: " +
		"Nibble has chosen the best one for this computer.")
	top := container.NewVBox(screenTitle("Get a model"), intro)
	g.Listen(func() { fyne.Do(v.refresh) })
	s.work.Go(func() { g.Load(context.Background()) })
	back := widget.NewButtonWithIcon("Back to my library", theme.NavigateBackIcon(), s.showLibrary)
	return container.NewBorder(container.NewPadded(top), container.NewPadded(container.NewHBox(back)), nil, nil,
		container.NewVScroll(container.NewPadded(v.cards)))
}

// refresh shows the list: the cards once loaded, then their figures.
func (v *getModelView) refresh() {
	if err := v.g.LoadErr(); err != nil {
		what, next := state.Explain(err)
		v.cards.Objects = []fyne.CanvasObject{wrapped(what + " " + next)}
		v.cards.Refresh()
		return
	}
	offers := v.g.Offers()
	if v.built != len(offers) {
		v.build(offers)
	}
	busy, p := v.g.Downloading()
	relayout := false
	for i, o := range offers {
		r := v.rows[i]
		r.badge.Importance = verdictImportance(o.Badge)
		r.badge.SetText(string(o.Badge))
		size := o.Size
		if size == "" {
			size = o.Reason
		}
		if o.Kept != "" {
			size += " · " + o.Kept
		}
		r.size.SetText(size)
		if r.level.Selected != o.Level {
			r.level.SetSelected(o.Level)
		}
		enableIf(r.download, busy < 0 && o.Level != "")
		enableIf(r.level, busy < 0)
		enableIf(r.discard, busy < 0)
		if i != busy {
			r.download.SetText("Download")
			if o.Kept != "" {
				r.download.SetText("Resume download")
			}
			r.status.SetText("") // not to flash when the card downloads again
		}
		// A card that shows or hides its progress changes height: the
		// list is laid out again below.
		relayout = setVisible(r.discard, o.Kept != "" && i != busy) || relayout
		relayout = setVisible(r.progress, i == busy) || relayout
		if i != busy {
			continue
		}
		r.download.SetText("Downloading…")
		r.status.SetText(p.Text())
		r.bar.SetValue(p.Fraction())
	}
	if relayout {
		v.cards.Refresh()
	}
}

// build makes a card per offer.
func (v *getModelView) build(offers []state.Offer) {
	v.cards.Objects = nil
	v.rows = make([]getModelRow, len(offers))
	for i, o := range offers {
		r := getModelRow{badge: widget.NewLabel(""), size: wrapped("")}
		r.level = widget.NewSelect(v.g.Levels(i), func(level string) {
			if level != "" {
				if err := v.g.Choose(i, level); err != nil {
					v.s.showError(err)
				}
			}
		})
		r.level.PlaceHolder = "Too large"
		r.download = widget.NewButtonWithIcon("Download", theme.DownloadIcon(), func() {
			v.s.work.Go(func() {
				err := v.g.Get(context.Background(), i)
				if errors.Is(err, context.Canceled) {
					return // the partial download is kept: Download resumes it
				}
				if err != nil {
					fyne.Do(func() { v.s.showError(err) })
				}
			})
		})
		r.status, r.bar = widget.NewLabel(""), widget.NewProgressBar()
		r.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), v.g.Cancel)
		r.progress = container.NewBorder(nil, nil, nil, r.cancel, container.NewVBox(r.status, r.bar))
		r.progress.Hide()
		r.discard = widget.NewButton("Discard", func() { v.confirmDiscard(i) })
		r.discard.Importance = widget.LowImportance
		r.discard.Hide()
		r.download.Importance = widget.HighImportance
		name := widget.NewLabelWithStyle(o.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		head := container.NewBorder(nil, nil, name, r.badge)
		actions := container.NewBorder(nil, nil, nil, container.NewHBox(r.discard, r.level, r.download), r.size)
		v.rows[i] = r
		v.cards.Add(widget.NewCard("", "", container.NewVBox(head, wrapped(o.Description), secondary(o.Details), actions, r.progress)))
	}
	v.built = len(offers)
	v.cards.Refresh()
}

// confirmDiscard asks before deleting what interrupted downloads of offer i
// kept, which would take as long to download again.
func (v *getModelView) confirmDiscard(i int) {
	o := v.g.Offers()[i]
	dialog.ShowConfirm("Discard the download?",
		fmt.Sprintf("The %s of %s will be deleted; downloading it again starts from the beginning.", o.Kept, o.Name),
		func(ok bool) {
			if !ok {
				return
			}
			if err := v.g.Discard(i); err != nil {
				v.s.showError(err)
			}
		}, v.s.win)
}
