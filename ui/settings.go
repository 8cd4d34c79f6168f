package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/ui/state"
)

// newSettingsView is the Settings screen (state.Settings): the models
// folder, the threads, the theme, the access token for gated models, and
// where the catalog is and which version this is.
func newSettingsView(s *shell) fyne.CanvasObject {
	st := state.NewSettings(s.svc)

	folder := wrapped("")
	folder.TextStyle.Monospace = true
	showFolder := func() {
		dir, err := st.ModelsDir()
		if err != nil {
			dir = "Not known: " + err.Error()
		}
		folder.SetText(dir)
	}
	showFolder()
	change := widget.NewButtonWithIcon("Change…", theme.FolderOpenIcon(), func() {
		pickFolder(s, func(dir string) {
			if err := st.SetModelsDir(dir); err != nil {
				s.showError(err)
				return
			}
			showFolder()
		})
	})

	threads := widget.NewSelect(st.ThreadChoices(), nil)
	threads.PlaceHolder = st.ThreadChoices()[0] // the longest: the select is as wide as its placeholder
	threads.Selected = st.Threads()
	threads.OnChanged = func(choice string) {
		if err := st.SetThreads(choice); err != nil {
			s.showError(err)
		}
	}

	themes := widget.NewRadioGroup(state.ThemeChoices(), nil)
	themes.Required = true
	themes.Selected = st.Theme()
	themes.OnChanged = func(choice string) {
		v, err := st.SetTheme(choice)
		if err != nil {
			s.showError(err)
			return
		}
		applyTheme(v)
	}

	catalogPath := wrapped(st.CatalogPath())
	catalogPath.TextStyle.Monospace = true

	content := container.NewVBox(
		screenTitle("Settings"),
		screenSection("Models folder", "Where Nibble keeps the models it makes and copies.",
			container.NewVBox(
				folder,
				container.NewHBox(change),
				wrapped("Changing it only affects new models: those already made stay where they are, and so do your own files."),
			)),
		widget.NewSeparator(),
		screenSection("Speed", "How many of the processor's cores Nibble uses to answer.",
			container.NewVBox(
				container.NewHBox(threads),
				wrapped("Automatic uses them all, which is fastest. Fewer leave the computer more responsive for other work while a model answers."),
			)),
		widget.NewSeparator(),
		screenSection("Appearance", "Light or dark. By default Nibble follows your system's choice.", themes),
		widget.NewSeparator(),
		screenSection("Hugging Face access token",
			"Only needed for models whose makers ask you to accept their terms on huggingface.co first. Create a token at huggingface.co/settings/tokens.",
			tokenSettings(s, st)),
		widget.NewSeparator(),
		screenSection("About", "", container.NewVBox(
			widget.NewLabel(version()),
			wrapped("Nibble's list of models, chats and settings (its catalog) is kept in:"),
			catalogPath,
		)),
	)
	return container.NewVScroll(container.NewPadded(content))
}

// tokenSettings takes the access token for gated models in a password
// entry, which is emptied once it is saved, and says where the token in use
// is kept, never showing it. The keychain is used off Fyne's goroutine: it
// may ask the user to unlock it first.
func tokenSettings(s *shell, st *state.Settings) fyne.CanvasObject {
	status := wrapped("")
	entry := widget.NewPasswordEntry()
	entry.SetPlaceHolder("Paste your token here (hf_…)")
	var save, remove *widget.Button
	// update runs act (nil for none), then shows where the token is kept;
	// after a successful act it runs then on Fyne's goroutine.
	update := func(act func() error, then func()) {
		s.work.Go(func() {
			var err error
			if act != nil {
				err = act()
			}
			ts := st.HubTokenStatus()
			fyne.Do(func() {
				if err != nil {
					s.showError(err)
				} else if then != nil {
					then()
				}
				status.Importance = widget.MediumImportance
				if ts.Warn {
					status.Importance = widget.WarningImportance
				}
				status.SetText(ts.Text) // refreshes the importance too
				enableIf(remove, ts.Saved)
			})
		})
	}
	saveToken := func(token string) {
		update(func() error { return st.SetHubToken(token) }, func() { entry.SetText("") })
	}
	save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { saveToken(entry.Text) })
	save.Disable()
	entry.OnChanged = func(text string) { enableIf(save, text != "") }
	entry.OnSubmitted = saveToken
	remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { update(st.ForgetHubToken, nil) })
	remove.Disable()
	update(nil, nil)
	return container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(save, remove), entry),
		status,
	)
}

// version names this Nibble as FyneApp.toml does, which `fyne package`
// builds in (and Fyne reads from the working folder under `go run`); a
// plain `go build` has none.
func version() string {
	m := fyne.CurrentApp().Metadata()
	if m.ID == "" {
		return "Nibble, development version (built without fyne package)"
	}
	return fmt.Sprintf("%s %s (build %d)", m.Name, m.Version, m.Build)
}
