package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/catalog"
	"nibble/quant/advise"
	"nibble/ui/state"
)

// fitView shows state.Fit: the levels of one model with what each needs
// and gives here, the chart, and the one button that makes the chosen
// level, with its progress.
type fitView struct {
	s    *shell
	fit  *state.Fit
	root fyne.CanvasObject

	context  *widget.Select
	reason   *widget.Label
	warning  *widget.Label
	levels   []state.FitLevel // as the list shows them
	list     *widget.List
	chart    *levelChart
	chosen   *widget.Label // the selected level in words
	make     *widget.Button
	chat     *widget.Button // chat with the selected level, when the library has it
	progress *fyne.Container
	bar      *widget.ProgressBar
	status   *widget.Label
	cancel   *widget.Button
	problem  *widget.Label // what went wrong, and what to do
}

// newFitView returns the "Make it fit" screen for model e. The levels are
// made from the best variant of e (state.Fit's Source, which it names),
// not necessarily the one the user clicked.
func newFitView(s *shell, e catalog.Entry) fyne.CanvasObject {
	v := buildFitView(s, e)
	s.work.Go(func() { v.fit.Advise(context.Background()) })
	return v.root
}

// buildFitView builds the screen, which shows the levels once its state
// is advised (state.Fit.Advise).
func buildFitView(s *shell, e catalog.Entry) *fitView {
	v := &fitView{s: s, fit: state.NewFit(s.svc, e), chart: newLevelChart()}
	back := widget.NewButtonWithIcon("Library", theme.NavigateBackIcon(), s.showLibrary)
	back.Importance = widget.LowImportance
	title := widget.NewLabelWithStyle("Make "+e.Model.DisplayName+" fit this computer", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	title.Truncation = fyne.TextTruncateEllipsis
	source := wrapped(v.fit.SourceNote())

	v.context = widget.NewSelect(nil, func(label string) {
		for _, n := range v.fit.Contexts() {
			if state.ContextWords(n) == label && n != v.fit.Context() {
				s.work.Go(func() { v.fit.SetContext(context.Background(), n) })
			}
		}
	})
	contextHelp := wrapped("How much of the conversation the model keeps in mind; a longer one needs more memory.")
	contextHelp.TextStyle.Italic = true
	contextRow := container.NewBorder(nil, nil, container.NewHBox(widget.NewLabel("Conversation length:"),
		container.NewGridWrap(fyne.NewSize(270, v.context.MinSize().Height), v.context)), nil, contextHelp)
	v.reason = wrapped("Working out what fits…")
	v.warning = wrapped("")
	v.warning.Importance = widget.WarningImportance
	v.warning.Hide()

	v.list = widget.NewList(func() int { return len(v.levels) }, newLevelItem, v.updateLevelItem)
	v.list.OnSelected = v.selectLevel

	v.chosen = wrapped("")
	v.make = widget.NewButtonWithIcon("Make it", theme.ConfirmIcon(), v.startMaking)
	v.make.Importance = widget.HighImportance
	v.make.Disable()
	v.chat = widget.NewButtonWithIcon("Chat with it", theme.MailComposeIcon(), v.chatWithExisting)
	v.chat.Hide()
	v.bar = widget.NewProgressBar()
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis
	v.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), v.fit.Cancel)
	v.progress = container.NewBorder(nil, nil, nil, v.cancel, container.NewVBox(v.bar, v.status))
	v.progress.Hide()
	v.problem = wrapped("")
	v.problem.Importance = widget.DangerImportance
	v.problem.Hide()

	split := container.NewHSplit(v.list, v.chart)
	split.Offset = 0.55
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, title), source, contextRow, v.reason, v.warning)
	bottom := container.NewVBox(widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, container.NewHBox(v.chat, v.make), v.chosen), v.progress, v.problem)
	v.root = container.NewBorder(top, bottom, nil, nil, split)

	v.fit.Listen(func() { fyne.Do(v.refresh) })
	return v
}

// newLevelItem is a row of the levels list: the level, a mark and its
// verdict, then its quality and, on a line of their own, its figures (or
// why it cannot be made). Each line fits the list at the window's smallest
// size; narrower, the lines end in "…".
func newLevelItem() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	mark := widget.NewLabel("")
	mark.Importance = widget.HighImportance
	verdict := widget.NewLabel("")
	figures := widget.NewLabel("\n") // two lines: the list makes every row as tall as this one
	figures.Truncation = fyne.TextTruncateEllipsis
	return container.NewVBox(container.NewHBox(name, mark, verdict), figures)
}

func (v *fitView) updateLevelItem(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.levels) {
		return
	}
	l := v.levels[id]
	box := o.(*fyne.Container)
	head := box.Objects[0].(*fyne.Container)
	name, mark, verdict := head.Objects[0].(*widget.Label), head.Objects[1].(*widget.Label), head.Objects[2].(*widget.Label)
	figures := box.Objects[1].(*widget.Label)

	name.SetText(state.LevelWords(l.Type))
	verdict.Importance = verdictImportance(l.Verdict)
	verdict.SetText(string(l.Verdict))
	switch {
	case l.Recommended:
		mark.SetText("Recommended")
	case l.Existing != nil:
		mark.SetText("In your library")
	default:
		mark.SetText("")
	}
	// A level that cannot be made says why, in italics, its sentence cut
	// in two lines after its first part so that it fits.
	figures.TextStyle.Italic = l.Why != ""
	if l.Why != "" {
		figures.SetText(strings.Replace(l.Why, ": ", ":\n", 1))
	} else {
		figures.SetText(state.Capitalize(l.QualityWords()) + "\n" + l.Summary())
	}
	box.Refresh() // lays the row out again for its new texts
}

// verdictImportance colors a verdict: green, orange or red.
func verdictImportance(v advise.Verdict) widget.Importance {
	return map[advise.Verdict]widget.Importance{
		advise.RunsWell: widget.SuccessImportance, advise.Tight: widget.WarningImportance, advise.TooLarge: widget.DangerImportance,
	}[v]
}

// selectLevel chooses the level the user clicked, unless it cannot be made.
func (v *fitView) selectLevel(id widget.ListItemID) {
	if id >= len(v.levels) || v.levels[id].Type == v.fit.Selected() {
		return
	}
	if err := v.fit.Select(v.levels[id].Type); err != nil {
		v.refresh() // back to the level chosen before
	}
}

// refresh shows the state of the screen.
func (v *fitView) refresh() {
	if err := v.fit.AdviceErr(); err != nil {
		what, next := state.Explain(err)
		v.reason.SetText(what + " " + next)
		return
	}
	v.levels = v.fit.Levels()
	if v.levels == nil {
		return
	}
	var labels []string
	for _, n := range v.fit.Contexts() {
		labels = append(labels, state.ContextWords(n))
	}
	v.context.SetOptions(labels)
	v.context.SetSelected(state.ContextWords(v.fit.Context()))

	reason, warning := v.fit.Recommendation()
	v.reason.SetText(reason)
	v.warning.SetText(warning)
	moved := setVisible(v.warning, warning != "")

	selected := v.fit.Selected()
	var chosen *state.FitLevel
	for i, l := range v.levels {
		if l.Type == selected {
			chosen = &v.levels[i]
			v.list.Select(i)
		}
	}
	v.list.Refresh()
	v.chart.set(v.fit.Chart())

	p, making := v.fit.Making()
	switch {
	case chosen == nil:
		v.chosen.SetText("No level fits this computer.")
	case chosen.Existing != nil:
		v.chosen.SetText(fmt.Sprintf("You already have %s in your library: no need to make it again.", chosen.Type))
	default:
		tuned := ""
		if chosen.Tuned {
			tuned = " Nibble first tunes it on a sample text, to keep more quality."
		}
		v.chosen.SetText(fmt.Sprintf("%s — %s.%s\n%s · %s.", chosen.Type, chosen.Description, tuned, state.Capitalize(string(chosen.Quality)), chosen.Summary()))
	}
	moved = setVisible(v.chat, chosen != nil && chosen.Existing != nil && !making) || moved
	if chosen == nil || chosen.Existing != nil || making {
		v.make.Disable()
	} else {
		v.make.Enable()
	}
	if making {
		v.context.Disable()
		v.list.OnSelected = nil // no choosing while making
		v.bar.SetValue(p.Fraction())
		v.status.SetText(p.Text())
	} else {
		v.context.Enable()
		v.list.OnSelected = v.selectLevel
	}
	moved = setVisible(v.progress, making) || moved
	err := v.fit.MakeErr()
	if err != nil {
		what, next := state.Explain(err)
		v.problem.SetText(what + " " + next)
	}
	if setVisible(v.problem, err != nil) || moved {
		v.root.Refresh()
	}
}

// startMaking makes the chosen level in the background, then opens a chat
// with it if the user is still on this screen.
func (v *fitView) startMaking() {
	v.make.Disable()
	v.s.work.Go(func() {
		made, err := v.fit.Make(context.Background())
		if err != nil {
			return // refresh shows it
		}
		fyne.Do(func() {
			if len(v.s.body.Objects) == 1 && v.s.body.Objects[0] == v.root {
				v.s.startChat(v.fit.Model(), made)
			}
		})
	})
}

// chatWithExisting opens a chat with the library's variant at the chosen
// level.
func (v *fitView) chatWithExisting() {
	for _, l := range v.levels {
		if l.Type == v.fit.Selected() && l.Existing != nil {
			v.s.startChat(v.fit.Model(), *l.Existing)
		}
	}
}
