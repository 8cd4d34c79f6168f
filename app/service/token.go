package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zalando/go-keyring"

	"nibble/catalog/hub"
)

// TokenSource is where HubToken found the Hugging Face access token.
type TokenSource string

const (
	// NoToken: there is none; gated repos answer 401 or 403.
	NoToken TokenSource = ""
	// TokenFromEnv: the HF_TOKEN environment variable.
	TokenFromEnv TokenSource = "env"
	// TokenFromKeyring: the OS keyring (macOS Keychain, Windows Credential
	// Manager, the Secret Service on Linux), where SetHubToken saves it.
	TokenFromKeyring TokenSource = "keyring"
	// TokenFromCatalog: the catalog, unencrypted, where SetHubToken saves
	// it when this computer has no keyring Nibble can use.
	TokenFromCatalog TokenSource = "catalog"
	// TokenFromHFCLI: the file where `huggingface-cli login` saves it.
	TokenFromHFCLI TokenSource = "hf-cli file"
)

// ErrBadToken is returned by SetHubToken for text that cannot be an access
// token: empty, or with spaces or other characters no token has.
var ErrBadToken = errors.New("not an access token")

// Where the token is kept in the OS keyring, and the catalog setting that
// holds it when there is no keyring.
const (
	keyringService  = "Nibble"
	keyringUser     = "huggingface.co"
	settingHubToken = "hub_token"
)

// HubToken returns the access token for gated Hugging Face repos and where
// it comes from, looking in turn at the HF_TOKEN environment variable (as
// huggingface_hub does, so it overrides what is saved for one run), the OS
// keyring, the catalog, then huggingface_hub's token file (so that whoever
// ran `huggingface-cli login` needs nothing more). A store that cannot be
// read counts as empty. Cost: a keyring query, which on Linux is a D-Bus
// call and on macOS runs the security tool; call it when the token is
// needed rather than keeping it.
func (s *Service) HubToken() (token string, from TokenSource) {
	for _, place := range []struct {
		from TokenSource
		read func() string // "" when there is none, or it cannot be read
	}{
		{TokenFromEnv, func() string { return os.Getenv("HF_TOKEN") }},
		{TokenFromKeyring, func() string {
			t, err := keyring.Get(keyringService, keyringUser)
			if err != nil {
				return ""
			}
			return t
		}},
		{TokenFromCatalog, func() string { t, _, _ := s.Catalog.Setting(settingHubToken); return t }},
		{TokenFromHFCLI, func() string { data, _ := os.ReadFile(hfTokenPath()); return string(data) }},
	} {
		// Spaces and line breaks around a token are dropped, as
		// huggingface_hub does: its file ends with a line break.
		if t := strings.TrimSpace(place.read()); t != "" {
			return t, place.from
		}
	}
	return "", NoToken
}

// SetHubToken saves token (surrounding spaces and line breaks, which come
// with a paste, dropped) in the OS keyring and returns TokenFromKeyring.
// When there is no keyring Nibble can use (a Linux without a Secret
// Service, as on a server), it saves it in the catalog instead, without
// encryption, and returns TokenFromCatalog for the caller to warn. Text
// that cannot be a token is refused with ErrBadToken.
func (s *Service) SetHubToken(token string) (TokenSource, error) {
	token = strings.TrimSpace(token)
	if err := checkToken(token); err != nil {
		return NoToken, err
	}
	if err := keyring.Set(keyringService, keyringUser, token); err != nil {
		if err := s.Catalog.SetSetting(settingHubToken, token); err != nil {
			return NoToken, fmt.Errorf("save the access token: %w", err)
		}
		return TokenFromCatalog, nil
	}
	// A copy saved in the catalog when the keyring was not there would
	// come back once this one is forgotten.
	if err := s.Catalog.DeleteSetting(settingHubToken); err != nil {
		return TokenFromKeyring, fmt.Errorf("remove the old copy of the access token: %w", err)
	}
	return TokenFromKeyring, nil
}

// ForgetHubToken removes the token SetHubToken saved, from the keyring and
// from the catalog. None saved is not an error; HF_TOKEN and
// huggingface-cli's file are left alone (they are not Nibble's), so
// HubToken may still find a token there.
func (s *Service) ForgetHubToken() error {
	if err := s.Catalog.DeleteSetting(settingHubToken); err != nil {
		return fmt.Errorf("remove the access token: %w", err)
	}
	// An unusable keyring holds nothing HubToken could read: only a token
	// still readable there is a failure.
	err := keyring.Delete(keyringService, keyringUser)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		if _, getErr := keyring.Get(keyringService, keyringUser); getErr == nil {
			return fmt.Errorf("remove the access token from the keyring: %w", err)
		}
	}
	return nil
}

// checkToken refuses what cannot be a token: tokens are one word of
// printable ASCII. Hugging Face's start with "hf_", but a mirror
// (HF_ENDPOINT) may issue others, so the prefix is not required.
func checkToken(token string) error {
	if token == "" {
		return fmt.Errorf("%w: it is empty", ErrBadToken)
	}
	for _, r := range token {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("%w: it has spaces or characters no token has", ErrBadToken)
		}
	}
	return nil
}

// hfTokenPath is huggingface_hub's token file: $HF_TOKEN_PATH, else token
// in its folder (hub.HomeDir); "" when there is no home folder (os.ReadFile
// then fails, as for a file not there).
func hfTokenPath() string {
	if p := os.Getenv("HF_TOKEN_PATH"); p != "" {
		return p
	}
	hf, err := hub.HomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(hf, "token")
}
