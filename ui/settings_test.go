package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/catalog"
	"nibble/ui/state"
)

// TestSettingsView: the screen shows the models folder and the catalog,
// and the thread and theme choices are stored; the theme applies at once.
func TestSettingsView(t *testing.T) {
	s, w := newTestWindow(t, func(c *catalog.Catalog) { c.SetSetting(state.SettingWelcomed, "yes") })
	s.showSettings()
	dir, _ := s.svc.Catalog.ModelsDir()
	for _, want := range []string{dir, s.svc.Catalog.Path(), "Nibble, development version (built without fyne package)"} {
		waitText(t, w, want)
	}

	var threads *widget.Select
	var themes *widget.RadioGroup
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		switch o := o.(type) {
		case *widget.Select:
			threads = o
		case *widget.RadioGroup:
			themes = o
		}
	}
	if threads == nil || themes == nil {
		t.Fatal("no thread choice or no theme choice")
	}
	if threads.Selected != threads.Options[0] || themes.Selected != "Follow the system" {
		t.Errorf("defaults: %q and %q", threads.Selected, themes.Selected)
	}
	threads.SetSelected(threads.Options[1])
	if got := state.ThreadsSetting(s.svc.Catalog); got != 1 {
		t.Errorf("threads stored as %d, want 1", got)
	}

	for _, tc := range []struct {
		choice string
		bg     fyne.ThemeVariant // the variant whose background shows, whatever the system's
	}{{"Dark", theme.VariantDark}, {"Light", theme.VariantLight}} {
		themes.SetSelected(tc.choice)
		th := fyne.CurrentApp().Settings().Theme()
		for _, system := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
			got := th.Color(theme.ColorNameBackground, system)
			if want := theme.DefaultTheme().Color(theme.ColorNameBackground, tc.bg); got != want {
				t.Errorf("%s with the system in variant %d: background %v, want %v", tc.choice, system, got, want)
			}
		}
	}
	themes.SetSelected("Follow the system")
	th := fyne.CurrentApp().Settings().Theme()
	for _, system := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		if got, want := th.Color(theme.ColorNameBackground, system), theme.DefaultTheme().Color(theme.ColorNameBackground, system); got != want {
			t.Errorf("following the system in variant %d: background %v, want %v", system, got, want)
		}
	}
	if got := state.ThemeSetting(s.svc.Catalog); got != "" {
		t.Errorf("theme stored as %q, want none", got)
	}
}

// TestThemeAtStart: the theme chosen in an earlier session applies when the
// window opens.
func TestThemeAtStart(t *testing.T) {
	newTestWindow(t, func(c *catalog.Catalog) { c.SetSetting(state.SettingTheme, "dark") })
	got := fyne.CurrentApp().Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight)
	if want := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark); got != want {
		t.Errorf("background %v, want the dark one %v", got, want)
	}
}
