package state

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"

	"nibble/app/service"
	"nibble/catalog"
)

// Settings is the Settings screen: where Nibble keeps its copies of models,
// how many threads generation uses and the theme, all kept in the catalog,
// and the access token for gated models. Choices are the labels the screen
// shows. Methods are safe for concurrent use; each change is announced
// through Changes.
type Settings struct {
	Changes
	svc   *service.Service
	c     *catalog.Catalog // svc's
	cores int
}

// NewSettings returns the settings of svc's catalog.
func NewSettings(svc *service.Service) *Settings {
	return &Settings{svc: svc, c: svc.Catalog, cores: runtime.GOMAXPROCS(0)}
}

// ModelsDir returns the folder where Nibble keeps its copies of models.
func (s *Settings) ModelsDir() (string, error) { return s.c.ModelsDir() }

// SetModelsDir makes dir, created if needed, the folder for Nibble's future
// copies; those already made stay where they are.
func (s *Settings) SetModelsDir(dir string) error {
	if err := s.c.SetModelsDir(dir); err != nil {
		return err
	}
	s.changed()
	return nil
}

// CatalogPath returns the catalog file's path.
func (s *Settings) CatalogPath() string { return s.c.Path() }

// ThreadChoices returns the thread counts offered: automatic (all cores,
// the engine's default) first, then 1 to the number of cores.
func (s *Settings) ThreadChoices() []string {
	choices := []string{threadChoice(0, s.cores)}
	for n := 1; n <= s.cores; n++ {
		choices = append(choices, threadChoice(n, s.cores))
	}
	return choices
}

func threadChoice(n, cores int) string {
	switch n {
	case 0:
		return fmt.Sprintf("Automatic (all %d cores)", cores)
	case 1:
		return "1 core"
	}
	return fmt.Sprintf("%d cores", n)
}

// Threads returns the thread count chosen, as one of ThreadChoices (a
// count beyond this computer's cores, kept from another, reads as
// automatic, which is what the engine would do with it).
func (s *Settings) Threads() string {
	n := ThreadsSetting(s.c)
	if n > s.cores {
		n = 0
	}
	return threadChoice(n, s.cores)
}

// SetThreads stores choice, one of ThreadChoices.
func (s *Settings) SetThreads(choice string) error {
	n := slices.Index(s.ThreadChoices(), choice)
	if n < 0 {
		return fmt.Errorf("unknown thread choice %q", choice)
	}
	if err := s.c.SetSetting(SettingThreads, strconv.Itoa(n)); err != nil {
		return err
	}
	s.changed()
	return nil
}

// ThreadsSetting returns the threads generation should use as stored in c:
// session.Options.Threads, 0 for all cores (also when unset or unreadable).
func ThreadsSetting(c *catalog.Catalog) int {
	v, _, _ := c.Setting(SettingThreads)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// The theme choices and the SettingTheme values they store.
var themes = []struct{ choice, value string }{
	{"Follow the system", ""},
	{"Light", "light"},
	{"Dark", "dark"},
}

// ThemeChoices returns the themes offered, following the system first.
func ThemeChoices() []string {
	var out []string
	for _, t := range themes {
		out = append(out, t.choice)
	}
	return out
}

// Theme returns the theme chosen, one of ThemeChoices.
func (s *Settings) Theme() string {
	v := ThemeSetting(s.c)
	for _, t := range themes {
		if t.value == v {
			return t.choice
		}
	}
	return themes[0].choice
}

// SetTheme stores choice, one of ThemeChoices, and returns the value
// stored ("light", "dark" or "" to follow the system), which the window
// applies.
func (s *Settings) SetTheme(choice string) (string, error) {
	i := slices.IndexFunc(themes, func(t struct{ choice, value string }) bool { return t.choice == choice })
	if i < 0 {
		return "", fmt.Errorf("unknown theme %q", choice)
	}
	if err := s.c.SetSetting(SettingTheme, themes[i].value); err != nil {
		return "", err
	}
	s.changed()
	return themes[i].value, nil
}

// ThemeSetting returns the theme stored in c: "light", "dark", or "" to
// follow the system (also when unset, unknown or unreadable).
func ThemeSetting(c *catalog.Catalog) string {
	v, _, _ := c.Setting(SettingTheme)
	if v != "light" && v != "dark" {
		return ""
	}
	return v
}

// TokenStatus is where the access token for gated models is taken from,
// for the screen (which never shows the token itself).
type TokenStatus struct {
	Text  string // in words
	Warn  bool   // the token is kept without encryption
	Saved bool   // the token in use is one Nibble saved: ForgetHubToken removes it
}

// HubTokenStatus returns where the access token is taken from. Cost: a
// keyring query.
func (s *Settings) HubTokenStatus() TokenStatus {
	switch _, from := s.svc.HubToken(); from {
	case service.TokenFromKeyring:
		return TokenStatus{Text: "Saved in this computer's keychain.", Saved: true}
	case service.TokenFromCatalog:
		return TokenStatus{Text: "Saved in Nibble's catalog, unencrypted: this computer has no keychain Nibble can use.", Warn: true, Saved: true}
	case service.TokenFromEnv:
		return TokenStatus{Text: "Taken from the HF_TOKEN environment variable, which comes before a token saved here."}
	case service.TokenFromHFCLI:
		return TokenStatus{Text: "Taken from huggingface-cli's login."}
	}
	return TokenStatus{Text: "No token."}
}

// SetHubToken saves token (service.SetHubToken: in the keychain, else in
// the catalog, which HubTokenStatus then warns about).
func (s *Settings) SetHubToken(token string) error {
	if _, err := s.svc.SetHubToken(token); err != nil {
		return err
	}
	s.changed()
	return nil
}

// ForgetHubToken removes the token SetHubToken saved.
func (s *Settings) ForgetHubToken() error {
	if err := s.svc.ForgetHubToken(); err != nil {
		return err
	}
	s.changed()
	return nil
}
