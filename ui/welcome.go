package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/catalog"
	"nibble/ui/state"
)

// newWelcomeView is the first start (state.Welcome): this computer and what
// it can run, the models already on it to add, a file or folder to add, and
// the way on to the library.
func newWelcomeView(s *shell) fyne.CanvasObject {
	w := state.NewWelcome(s.svc, catalog.DefaultLocations)
	ctx := context.Background()

	intro := wrapped("Nibble runs AI language models on this computer, without the internet. " +
		"Here is what this computer has, and what that means for the models you can use.")

	computer := container.NewVBox(widget.NewLabel("Looking at this computer…"))
	capacity := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	capacity.Wrapping = fyne.TextWrapWord
	capacity.Hide()

	found := container.NewVBox()
	searching := container.NewVBox(widget.NewLabel("Looking for models on this computer…"), widget.NewProgressBarInfinite())
	note := wrapped("")
	note.Hide()
	// The progress of an add, with Cancel: a Hugging Face folder being
	// converted takes minutes.
	progress := widget.NewProgressBar()
	progressText := wrapped("")
	progressBox := container.NewBorder(nil, progressText, nil,
		widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), w.CancelAdd), progress)
	progressBox.Hide()
	addSelected := widget.NewButtonWithIcon("Add selected", theme.ContentAddIcon(), func() { w.AddSelected(ctx) })
	addSelected.Disable()

	add := func(path string) { w.AddPaths(ctx, []string{path}) }
	chooseFile := widget.NewButtonWithIcon("Choose a model file…", theme.FileIcon(), func() { pickModelFile(s, add) })
	chooseFolder := widget.NewButtonWithIcon("Choose a folder…", theme.FolderOpenIcon(), func() { pickFolder(s, add) })
	getModel := widget.NewButtonWithIcon("Get a model…", theme.DownloadIcon(), s.showGetModel)

	done := widget.NewButtonWithIcon("Go to my library", theme.NavigateNextIcon(), func() {
		if err := w.Finish(); err != nil {
			s.showError(err)
			return
		}
		s.showLibrary()
	})
	done.Importance = widget.HighImportance

	update := func() {
		if r, ok := w.Hardware(); ok {
			computer.Objects = nil
			form := container.New(layout.NewFormLayout())
			for _, f := range state.Computer(r) {
				form.Add(widget.NewLabelWithStyle(f.Name, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
				form.Add(wrapped(f.Value))
			}
			computer.Add(form)
			computer.Refresh()
			capacity.SetText(state.CapacitySentence(r.RAM))
			capacity.Show()
		}
		searching.Hidden = !w.Scanning()
		searching.Refresh()

		list := w.Found()
		found.Objects = nil
		selected := false
		for i, f := range list {
			found.Add(foundRow(w, i, f))
			selected = selected || f.Selected
		}
		if len(list) == 0 && !w.Scanning() {
			found.Add(wrapped("Nibble found no models in the usual places (Ollama, LM Studio, the Hugging Face cache, your Downloads folder). Add a model file below, or skip for now."))
		}
		found.Refresh()

		adding, p := w.Adding()
		if adding {
			progress.SetValue(p.Fraction())
			progressText.SetText(p.Text())
			progressBox.Show()
		} else {
			progressBox.Hide()
		}
		if selected && !adding {
			addSelected.Enable()
		} else {
			addSelected.Disable()
		}
		note.SetText(w.Note())
		note.Hidden = w.Note() == ""
		note.Refresh()
	}
	w.Listen(func() { fyne.Do(update) })
	update()
	w.Start(ctx)

	content := container.NewVBox(
		screenTitle("Welcome"), intro,
		screenSection("This computer", "", container.NewVBox(computer, capacity)),
		widget.NewSeparator(),
		screenSection("Models already on this computer", "Those checked join your library when you press \"Add selected\". They stay where they are: Nibble does not copy or move them.",
			container.NewVBox(searching, found, progressBox, note, container.NewHBox(addSelected))),
		widget.NewSeparator(),
		screenSection("Add a model yourself", "A model is a .gguf file, like those from Hugging Face, Ollama or LM Studio.",
			container.NewHBox(chooseFile, chooseFolder)),
		widget.NewSeparator(),
		screenSection("Download a model", "No model yet? Nibble suggests free chat models that fit this computer.",
			container.NewHBox(getModel)),
	)
	bottom := container.NewVBox(widget.NewSeparator(), container.NewHBox(layout.NewSpacer(), done))
	return container.NewBorder(nil, container.NewPadded(bottom), nil, nil, container.NewVScroll(container.NewPadded(content)))
}

// foundRow is one model found: a check box to select it with its name,
// then where it is and its size, and what became of it.
func foundRow(w *state.Welcome, i int, f state.Found) fyne.CanvasObject {
	check := widget.NewCheck(f.Name, nil)
	check.Checked = f.Selected // before OnChanged: setting it is no user's choice
	check.OnChanged = func(on bool) { w.Select(i, on) }
	detail := wrapped(f.Detail())
	if !f.CanAdd() {
		check.Disable()
		detail.SetText(f.Detail() + " — " + f.Status)
		detail.Importance = widget.WarningImportance
		if f.Good() {
			detail.Importance = widget.SuccessImportance
		}
	}
	return container.NewBorder(nil, nil, check, nil, detail)
}
