package state

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/zalando/go-keyring"

	"nibble/app/service"
	"nibble/catalog"
)

func newSettingsTest(t *testing.T) (*Settings, *catalog.Catalog) {
	t.Helper()
	svc := newService(t, laptop)
	return NewSettings(svc), svc.Catalog
}

// TestSettingsThreads: automatic first, then every count up to the cores;
// a choice is stored as the number the engine takes, and read back.
func TestSettingsThreads(t *testing.T) {
	s, c := newSettingsTest(t)
	s.cores = 4 // play a 4-core computer
	want := []string{"Automatic (all 4 cores)", "1 core", "2 cores", "3 cores", "4 cores"}
	if got := s.ThreadChoices(); !slices.Equal(got, want) {
		t.Fatalf("choices %q, want %q", got, want)
	}
	if got := s.Threads(); got != want[0] {
		t.Errorf("unset: %q, want %q", got, want[0])
	}
	for _, tc := range []struct {
		choice string
		stored int
	}{{"2 cores", 2}, {"1 core", 1}, {"Automatic (all 4 cores)", 0}, {"4 cores", 4}} {
		if err := s.SetThreads(tc.choice); err != nil {
			t.Fatal(err)
		}
		if got := ThreadsSetting(c); got != tc.stored {
			t.Errorf("%q stored as %d, want %d", tc.choice, got, tc.stored)
		}
		if got := s.Threads(); got != tc.choice {
			t.Errorf("%q read back as %q", tc.choice, got)
		}
	}
	if err := s.SetThreads("9 cores"); err == nil {
		t.Error("a choice not offered was taken")
	}
	// A count from a larger computer, or garbage, reads as automatic.
	for _, v := range []string{"16", "many", "-3"} {
		c.SetSetting(SettingThreads, v)
		if got := s.Threads(); got != want[0] {
			t.Errorf("stored %q reads as %q, want automatic", v, got)
		}
	}
	if got := NewSettings(service.New(c, laptop)).ThreadChoices()[0]; got != "Automatic (all "+strconv.Itoa(runtime.GOMAXPROCS(0))+" cores)" {
		t.Errorf("this computer's automatic choice is %q", got)
	}
}

// TestSettingsTheme: each choice stores its value and reads back; unknown
// stored values follow the system.
func TestSettingsTheme(t *testing.T) {
	s, c := newSettingsTest(t)
	if got := s.Theme(); got != "Follow the system" {
		t.Errorf("unset: %q", got)
	}
	changes := 0
	s.Listen(func() { changes++ })
	for _, tc := range []struct{ choice, value string }{
		{"Dark", "dark"}, {"Light", "light"}, {"Follow the system", ""},
	} {
		v, err := s.SetTheme(tc.choice)
		if err != nil || v != tc.value || ThemeSetting(c) != tc.value {
			t.Errorf("SetTheme(%q) = %q, %v; stored %q; want %q", tc.choice, v, err, ThemeSetting(c), tc.value)
		}
		if got := s.Theme(); got != tc.choice {
			t.Errorf("%q read back as %q", tc.choice, got)
		}
	}
	if changes != 3 {
		t.Errorf("%d changes announced, want 3", changes)
	}
	if _, err := s.SetTheme("Purple"); err == nil {
		t.Error("an unknown theme was taken")
	}
	c.SetSetting(SettingTheme, "purple")
	if got := s.Theme(); got != "Follow the system" || ThemeSetting(c) != "" {
		t.Errorf("stored %q reads as %q", "purple", got)
	}
}

// TestSettingsModelsDir: a new models folder is created and used for new
// copies; the catalog's path is where the catalog is.
func TestSettingsModelsDir(t *testing.T) {
	s, c := newSettingsTest(t)
	dir, err := s.ModelsDir()
	if err != nil || filepath.Dir(dir) != c.Dir() {
		t.Errorf("default models folder %q (%v), want one in %q", dir, err, c.Dir())
	}
	next := filepath.Join(t.TempDir(), "elsewhere")
	if err := s.SetModelsDir(next); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ModelsDir(); got != next {
		t.Errorf("models folder %q, want %q", got, next)
	}
	if st, err := os.Stat(next); err != nil || !st.IsDir() {
		t.Errorf("the new folder was not created: %v", err)
	}
	if got := s.CatalogPath(); got != filepath.Join(c.Dir(), catalog.FileName) {
		t.Errorf("catalog path %q", got)
	}
}

// noHubToken leaves the test no access token but those it saves: no
// HF_TOKEN, an empty in-memory keyring, and huggingface-cli's token file
// (HF_TOKEN_PATH, whose path it returns) not there.
func noHubToken(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", path)
	keyring.MockInit()
	return path
}

// TestSettingsHubToken: the status says where the token is taken from,
// warns when it is kept unencrypted, and goes back to what there was
// before once the token saved is removed.
func TestSettingsHubToken(t *testing.T) {
	const (
		none       = "No token."
		inKeychain = "Saved in this computer's keychain."
		inCatalog  = "Saved in Nibble's catalog, unencrypted: this computer has no keychain Nibble can use."
		fromEnv    = "Taken from the HF_TOKEN environment variable, which comes before a token saved here."
		fromCLI    = "Taken from huggingface-cli's login."
	)
	for _, tc := range []struct {
		name             string
		keyring          error // nil: a working keyring
		hfToken, cliFile string
		save             string // "": nothing saved
		want             TokenStatus
		removed          string // the status once the token saved is removed
	}{
		{name: "none", want: TokenStatus{Text: none}},
		{name: "saved", save: "hf_abc", want: TokenStatus{Text: inKeychain, Saved: true}, removed: none},
		{name: "saved without a keychain", keyring: errors.New("no Secret Service"), save: "hf_abc",
			want: TokenStatus{Text: inCatalog, Warn: true, Saved: true}, removed: none},
		{name: "huggingface-cli's", cliFile: "hf_cli\n", want: TokenStatus{Text: fromCLI}},
		{name: "saved before huggingface-cli's", cliFile: "hf_cli", save: "hf_abc",
			want: TokenStatus{Text: inKeychain, Saved: true}, removed: fromCLI},
		{name: "HF_TOKEN before saved", hfToken: "hf_env", save: "hf_abc", want: TokenStatus{Text: fromEnv}, removed: fromEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := noHubToken(t)
			if tc.keyring != nil {
				keyring.MockInitWithError(tc.keyring)
			}
			t.Setenv("HF_TOKEN", tc.hfToken)
			if tc.cliFile != "" {
				if err := os.WriteFile(path, []byte(tc.cliFile), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s, _ := newSettingsTest(t)
			changes := 0
			s.Listen(func() { changes++ })
			if tc.save != "" {
				if err := s.SetHubToken(tc.save); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.HubTokenStatus(); got != tc.want {
				t.Errorf("status %+v, want %+v", got, tc.want)
			}
			if tc.save == "" {
				return
			}
			if err := s.ForgetHubToken(); err != nil {
				t.Fatal(err)
			}
			if got := s.HubTokenStatus(); got.Text != tc.removed || got.Saved {
				t.Errorf("once removed: %+v, want %q", got, tc.removed)
			}
			if changes != 2 {
				t.Errorf("%d changes announced, want 2", changes)
			}
		})
	}

	noHubToken(t)
	s, _ := newSettingsTest(t)
	s.Listen(func() { t.Error("a refused token was announced") })
	if err := s.SetHubToken("hf_abc def"); !errors.Is(err, service.ErrBadToken) {
		t.Errorf("a token with a space: %v, want ErrBadToken", err)
	}
	if got := s.HubTokenStatus(); got.Text != "No token." {
		t.Errorf("after a refused token: %+v", got)
	}
}
