package service

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zalando/go-keyring"
)

// errNoKeyring plays a computer without a keyring Nibble can use.
var errNoKeyring = errors.New("the name org.freedesktop.secrets was not provided by any .service files")

// tokenPlaces makes the places HubToken looks at empty for the test: no
// HF_TOKEN, a new home folder ("home" in the folder returned), no HF_HOME,
// HF_TOKEN_PATH or XDG_CACHE_HOME, a new in-memory keyring.
func tokenPlaces(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	home := filepath.Join(root, "home")
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // os.UserHomeDir on Windows
	for _, v := range []string{"HF_TOKEN", "HF_HOME", "HF_TOKEN_PATH", "XDG_CACHE_HOME"} {
		t.Setenv(v, "")
	}
	keyring.MockInit()
	return root
}

// TestHubToken: the environment comes first, then the keyring, the catalog
// and huggingface_hub's token file, wherever its variables put it; blank
// values are skipped and surrounding spaces and line breaks dropped.
func TestHubToken(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		hfToken, keyring, catalog string
		vars                      []string          // of HF_HOME, HF_TOKEN_PATH, XDG_CACHE_HOME: set to a folder or file named after it in the test's folder
		files                     map[string]string // under the test's folder
		want                      string
		from                      TokenSource
	}{
		{name: "none", from: NoToken},
		{name: "cli file in the home folder", files: map[string]string{"home/.cache/huggingface/token": "hf_file\n"},
			want: "hf_file", from: TokenFromHFCLI},
		{name: "cli file in XDG_CACHE_HOME", vars: []string{"XDG_CACHE_HOME"},
			files: map[string]string{"XDG_CACHE_HOME/huggingface/token": "hf_xdg", "home/.cache/huggingface/token": "hf_home"},
			want:  "hf_xdg", from: TokenFromHFCLI},
		{name: "cli file in HF_HOME", vars: []string{"HF_HOME", "XDG_CACHE_HOME"},
			files: map[string]string{"HF_HOME/token": "hf_hfhome\r\n", "XDG_CACHE_HOME/huggingface/token": "hf_xdg"},
			want:  "hf_hfhome", from: TokenFromHFCLI},
		{name: "cli file at HF_TOKEN_PATH", vars: []string{"HF_TOKEN_PATH", "HF_HOME"},
			files: map[string]string{"HF_TOKEN_PATH": "hf_path", "HF_HOME/token": "hf_hfhome"},
			want:  "hf_path", from: TokenFromHFCLI},
		{name: "blank cli file", files: map[string]string{"home/.cache/huggingface/token": " \n"}, from: NoToken},
		{name: "catalog before the cli file", catalog: "hf_catalog",
			files: map[string]string{"home/.cache/huggingface/token": "hf_file"}, want: "hf_catalog", from: TokenFromCatalog},
		{name: "keyring before the catalog", keyring: "hf_keyring", catalog: "hf_catalog",
			want: "hf_keyring", from: TokenFromKeyring},
		{name: "HF_TOKEN first", hfToken: " hf_env\n", keyring: "hf_keyring", catalog: "hf_catalog",
			files: map[string]string{"home/.cache/huggingface/token": "hf_file"}, want: "hf_env", from: TokenFromEnv},
		{name: "blank HF_TOKEN", hfToken: "  ", keyring: "hf_keyring", want: "hf_keyring", from: TokenFromKeyring},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := tokenPlaces(t)
			s, _ := newService(t)
			t.Setenv("HF_TOKEN", tc.hfToken)
			for _, v := range tc.vars {
				t.Setenv(v, filepath.Join(root, v))
			}
			for name, content := range tc.files {
				path := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.keyring != "" {
				keyring.Set(keyringService, keyringUser, tc.keyring)
			}
			if tc.catalog != "" {
				s.Catalog.SetSetting(settingHubToken, tc.catalog)
			}
			if got, from := s.HubToken(); got != tc.want || from != tc.from {
				t.Errorf("HubToken() = %q, %q; want %q, %q", got, from, tc.want, tc.from)
			}
		})
	}
}

// TestSetHubToken: a token is saved in the keyring, leaving no copy in the
// catalog, or in the catalog when there is no keyring; forgetting it
// removes it from both, twice without error; text that is no token is
// refused.
func TestSetHubToken(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		keyring              error // nil: a working keyring
		from                 TokenSource
		inKeyring, inCatalog string
	}{
		{"keyring", nil, TokenFromKeyring, "hf_new", ""},
		{"no keyring", errNoKeyring, TokenFromCatalog, "", "hf_new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokenPlaces(t)
			if tc.keyring != nil {
				keyring.MockInitWithError(tc.keyring)
			}
			s, _ := newService(t)
			s.Catalog.SetSetting(settingHubToken, "hf_stale") // saved when there was no keyring

			from, err := s.SetHubToken(" hf_new\n")
			if err != nil || from != tc.from {
				t.Fatalf("SetHubToken = %q, %v; want %q", from, err, tc.from)
			}
			if got, from := s.HubToken(); got != "hf_new" || from != tc.from {
				t.Errorf("HubToken() = %q, %q; want hf_new from %q", got, from, tc.from)
			}
			inCatalog, _, _ := s.Catalog.Setting(settingHubToken)
			inKeyring, _ := keyring.Get(keyringService, keyringUser)
			if inKeyring != tc.inKeyring || inCatalog != tc.inCatalog {
				t.Errorf("keyring holds %q and catalog %q, want %q and %q", inKeyring, inCatalog, tc.inKeyring, tc.inCatalog)
			}

			for i := range 2 {
				if err := s.ForgetHubToken(); err != nil {
					t.Fatalf("forget #%d: %v", i+1, err)
				}
				if got, from := s.HubToken(); got != "" || from != NoToken {
					t.Errorf("after forgetting #%d: %q from %q", i+1, got, from)
				}
			}
			if _, ok, _ := s.Catalog.Setting(settingHubToken); ok {
				t.Error("the catalog still has a token")
			}
		})
	}

	tokenPlaces(t)
	s, _ := newService(t)
	for _, bad := range []string{"", " \n", "hf_abc def", "hf_abc\tdef", "hf_abc\x00", "hf_café"} {
		if from, err := s.SetHubToken(bad); !errors.Is(err, ErrBadToken) || from != NoToken {
			t.Errorf("SetHubToken(%q) = %q, %v; want ErrBadToken", bad, from, err)
		}
	}
	if got, from := s.HubToken(); got != "" || from != NoToken {
		t.Errorf("a bad token was saved: %q in %q", got, from)
	}
	if from, err := s.SetHubToken("mirror-token.1"); err != nil || from != TokenFromKeyring {
		t.Errorf("a token without hf_ was refused: %q, %v", from, err)
	}
}
