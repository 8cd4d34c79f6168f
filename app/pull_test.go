package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"nibble/app/service"
)

func TestPullCommand(t *testing.T) {
	home := catalogHome(t)
	src := t.TempDir()
	files := map[string][]byte{}
	for name, fileType := range map[string]uint32{"tiny-Q4_K_M.gguf": 15, "tiny-Q8_0.gguf": 7} {
		path := filepath.Join(src, name)
		writeTestModel(t, path, "Tiny Model", fileType)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	// The hub, serving the files straight (the redirect to a CDN is tested
	// in catalog/hub).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/models/org/original" { // safetensors only
			json.NewEncoder(w).Encode(map[string]any{"siblings": []map[string]string{
				{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}, {"rfilename": "tokenizer.json"},
			}})
			return
		}
		if r.URL.Path == "/api/models/org/tiny" {
			json.NewEncoder(w).Encode(map[string]any{"siblings": []map[string]string{
				{"rfilename": "README.md"}, {"rfilename": "tiny-Q4_K_M.gguf"}, {"rfilename": "tiny-Q8_0.gguf"},
			}})
			return
		}
		data, ok := files[strings.TrimPrefix(r.URL.Path, "/org/tiny/resolve/main/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		sum := sha256.Sum256(data)
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	defer srv.Close()
	t.Setenv("HF_ENDPOINT", srv.URL)

	tests := []struct {
		ref, wantFile, wantLevel string
	}{
		{"org/tiny", "tiny-Q4_K_M.gguf", "Q4_K_M"}, // the default level
		{"org/tiny:q8_0", "tiny-Q8_0.gguf", "Q8_0"},
	}
	for _, tt := range tests {
		stdout, stderr, err := run(t, "pull", tt.ref)
		if err != nil {
			t.Fatalf("pull %s: %v\n%s", tt.ref, err, stderr)
		}
		if !strings.Contains(stdout, tt.wantLevel) {
			t.Errorf("pull %s: output does not name level %s:\n%s", tt.ref, tt.wantLevel, stdout)
		}
		if !strings.Contains(stdout, "Nibble's copy") {
			t.Errorf("pull %s: the file is not Nibble's own:\n%s", tt.ref, stdout)
		}
		sum := sha256.Sum256(files[tt.wantFile])
		if !strings.Contains(stdout, hex.EncodeToString(sum[:])) {
			t.Errorf("pull %s: output lacks the file's sha256:\n%s", tt.ref, stdout)
		}
	}
	// Pulling again finds the file in place and in the catalog.
	if again, stderr, err := run(t, "pull", "org/tiny:Q8_0"); err != nil || !strings.Contains(again, "already in the catalog") {
		t.Errorf("pull again: %v\n%s%s", err, again, stderr)
	}
	list, _, err := run(t, "list")
	if err != nil || !strings.Contains(list, "Q4_K_M") || !strings.Contains(list, "Q8_0") {
		t.Errorf("list after two pulls (%v):\n%s", err, list)
	}
	// Nothing but the two models is left in the models folder.
	entries, _ := os.ReadDir(filepath.Join(home, "models"))
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("models folder holds %q, want 2 files", names)
	}

	for _, tt := range []struct{ ref, want string }{
		{"org/tiny:Q4_K", "no .gguf file at level Q4_K"},
		{"org/original", "it holds original weights: download the repo's files into a folder and run 'nibble convert"},
		{"org/missing:Q4_K_M", "not found on the hub"},
		{"tiny", "not a Hugging Face repo"},
	} {
		if _, _, err := run(t, "pull", tt.ref); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("pull %s: error %v, want %q", tt.ref, err, tt.want)
		}
	}
}

// TestPullGatedRepo: pull sends the access token the window saved (in the
// keychain, or in the catalog when there is none), else huggingface-cli's,
// with HF_TOKEN before them; without one a gated repo is refused.
func TestPullGatedRepo(t *testing.T) {
	src := filepath.Join(t.TempDir(), "gated-Q8_0.gguf")
	writeTestModel(t, src, "Gated Model", 7)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer hf_right" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/org/gated/resolve/main/gated-Q8_0.gguf" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	defer srv.Close()
	t.Setenv("HF_ENDPOINT", srv.URL)

	for _, tc := range []struct {
		name                    string
		keyring                 error // nil: a working keyring
		saved, cliFile, hfToken string
		wantErr                 string // "": pulled
	}{
		{name: "no token", wantErr: "access denied (401)"},
		{name: "saved in the keychain", saved: "hf_right"},
		{name: "saved in the catalog", keyring: errors.New("no Secret Service"), saved: "hf_right"},
		{name: "huggingface-cli's", cliFile: "hf_right\n"},
		{name: "HF_TOKEN first", hfToken: "hf_wrong", saved: "hf_right", cliFile: "hf_right", wantErr: "access denied (401)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			catalogHome(t)
			t.Setenv("HF_TOKEN", tc.hfToken)
			cli := filepath.Join(t.TempDir(), "token")
			t.Setenv("HF_TOKEN_PATH", cli)
			if tc.cliFile != "" {
				if err := os.WriteFile(cli, []byte(tc.cliFile), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			keyring.MockInit()
			if tc.keyring != nil {
				keyring.MockInitWithError(tc.keyring)
			}
			if tc.saved != "" {
				c, err := openCatalog(io.Discard)
				if err != nil {
					t.Fatal(err)
				}
				_, err = service.New(c, nil).SetHubToken(tc.saved)
				c.Close()
				if err != nil {
					t.Fatal(err)
				}
			}

			stdout, stderr, err := run(t, "pull", "org/gated:gated-Q8_0.gguf")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("pull: %v\n%s", err, stderr)
			case tc.wantErr == "" && !strings.Contains(stdout, "Q8_0"):
				t.Errorf("pull: the model is not in the output:\n%s", stdout)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("pull: error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
