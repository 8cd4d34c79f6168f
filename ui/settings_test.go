package ui

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

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

// TestSettingsToken: a token typed is saved and no longer shown; the
// status says where it is kept, as a warning when there is no keychain;
// Remove removes it; text that is no token is explained.
func TestSettingsToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keyring error // nil: a working keyring
		status  string
		warn    bool
	}{
		{"keychain", nil, "Saved in this computer's keychain.", false},
		{"no keychain", errors.New("no Secret Service"), "Saved in Nibble's catalog, unencrypted: this computer has no keychain Nibble can use.", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noHubToken(t)
			if tc.keyring != nil {
				keyring.MockInitWithError(tc.keyring)
			}
			s, w := newTestWindow(t, inLibrary(t))
			s.showSettings()
			waitText(t, w, "No token.")
			save, remove := buttonNamed(t, w, "Save"), buttonNamed(t, w, "Remove")
			if !save.Disabled() || !remove.Disabled() {
				t.Errorf("with no token typed nor saved, Save disabled %v and Remove %v; want both", save.Disabled(), remove.Disabled())
			}
			entry := widgetIn(t, onScreen(w), "token entry", func(e *widget.Entry) bool { return e.Password })

			test.Type(entry, "hf_secret")
			test.Tap(save)
			settle(t, s)
			status := widgetIn(t, onScreen(w), "token status", func(l *widget.Label) bool { return l.Text == tc.status })
			if warned := status.Importance == widget.WarningImportance; warned != tc.warn {
				t.Errorf("status shown as a warning: %v, want %v", warned, tc.warn)
			}
			if token, _ := s.svc.HubToken(); token != "hf_secret" {
				t.Errorf("token saved %q, want hf_secret", token)
			}
			if i := slices.IndexFunc(shown(w), func(text string) bool { return strings.Contains(text, "hf_secret") }); entry.Text != "" || i >= 0 {
				t.Errorf("the token is still shown: entry %q, %q", entry.Text, shown(w))
			}
			if remove.Disabled() {
				t.Fatal("Remove is disabled with a token saved")
			}

			test.Tap(remove)
			waitText(t, w, "No token.")
			if token, from := s.svc.HubToken(); token != "" || !remove.Disabled() {
				t.Errorf("removed, yet the token %q from %q, Remove disabled %v", token, from, remove.Disabled())
			}
		})
	}

	noHubToken(t)
	s, w := newTestWindow(t, inLibrary(t))
	s.showSettings()
	entry := widgetIn(t, onScreen(w), "token entry", func(e *widget.Entry) bool { return e.Password })
	test.Type(entry, "hf_abc def")
	test.Tap(buttonNamed(t, w, "Save"))
	settle(t, s)
	if got := overlayLabels(w); !slices.Contains(got, "This is not an access token.") {
		t.Errorf("a token with a space: the dialog says %q", got)
	}
	if token, _ := s.svc.HubToken(); token != "" {
		t.Errorf("a token with a space was saved: %q", token)
	}
}

// noHubToken leaves the test no access token but those it saves: no
// HF_TOKEN, an empty in-memory keyring, and no huggingface-cli token file.
func noHubToken(t *testing.T) {
	t.Helper()
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", filepath.Join(t.TempDir(), "token"))
	keyring.MockInit()
}
