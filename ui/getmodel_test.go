package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/catalog/hub"
	"nibble/engine/refdata"
)

// TestGetModelFromWelcome opens "Get a model" from the welcome of an empty
// library on the test computer (16 GB, 12 free): the curated models, the
// largest first as all run well, each with its badge and size and an
// enabled Download.
func TestGetModelFromWelcome(t *testing.T) {
	s, w := newTestWindow(t, nil)
	test.Tap(buttonNamed(t, w, "Get a model…"))
	settle(t, s)
	got := labels(w)
	first := slices.Index(got, "Qwen2.5 7B Instruct")
	last := slices.Index(got, "Qwen2.5 0.5B Instruct")
	if first < 0 || last < first {
		t.Fatalf("Qwen2.5 7B (at %d) should come before Qwen2.5 0.5B (at %d) in %q", first, last, got)
	}
	if n := countIf(got, func(l string) bool { return l == "Runs well" }); n < 9 {
		t.Errorf("%d models run well, want all 9 on 16 GB", n)
	}
	if n := countIf(got, func(l string) bool { return strings.Contains(l, "to download, needs about") }); n < 9 {
		t.Errorf("%d sizes shown, want one per model", n)
	}
	buttons := buttonsLabelled(onScreen(w), "Download")
	for _, b := range buttons {
		if b.Disabled() {
			t.Error("a Download button is disabled")
		}
	}
	if len(buttons) < 9 {
		t.Errorf("%d Download buttons, want one per model", len(buttons))
	}
}

// TestGetModelDownloadsFromLibrary opens "Get a model" from the library
// with a downloader wired: Download passes the model and its level
// (Q5_K_M: Qwen2.5 7B's Q8_0, which the advisor picks as 8 GB of memory are
// within 80 % of the 12 GB free, is as good in use and larger), the card
// shows the download's progress, and Cancel stops it without an error.
func TestGetModelDownloadsFromLibrary(t *testing.T) {
	s, w := newTestWindow(t, nil)
	var mu sync.Mutex
	var calls []string
	s.download = func(ctx context.Context, m service.CuratedModel, level string, progress func(service.GetProgress)) error {
		mu.Lock()
		calls = append(calls, m.ID+":"+level)
		mu.Unlock()
		progress(service.GetProgress{Download: hub.Progress{Done: 1 << 30, Total: 4 << 30, Speed: 10 << 20, Left: time.Minute}})
		<-ctx.Done()
		return ctx.Err()
	}
	s.showLibrary()
	test.Tap(buttonNamed(t, w, "Get a model…"))
	settle(t, s)
	downloads := buttonsLabelled(onScreen(w), "Download")
	if len(downloads) < 9 {
		t.Fatalf("%d Download buttons, want one per model", len(downloads))
	}
	selects := []*widget.Select{}
	for _, o := range onScreen(w) {
		if sel, ok := o.(*widget.Select); ok {
			selects = append(selects, sel)
		}
	}
	if len(selects) < 9 || selects[0].Selected != "Q5_K_M" {
		t.Fatalf("the first model's level should be preselected as Q5_K_M, got %d choices, the first %q", len(selects), selects[0].Selected)
	}
	test.Tap(downloads[0])
	const status = "Downloading · 1.0 GB of 4.0 GB · 10 MB/s · about 1 minute left"
	for deadline := time.Now().Add(time.Minute); !slices.Contains(labels(w), status); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q among %q", status, labels(w))
		}
		flush()
	}
	for _, b := range buttonsLabelled(onScreen(w), "Download") {
		if !b.Disabled() {
			t.Error("a Download button is enabled while a download runs")
		}
	}
	test.Tap(buttonNamed(t, w, "Cancel"))
	settle(t, s)
	if len(w.Canvas().Overlays().List()) != 0 {
		t.Error("Cancel showed a dialog; it should just stop, keeping what was downloaded")
	}
	if slices.Contains(labels(w), status) || len(buttonsLabelled(onScreen(w), "Download")) < 9 {
		t.Error("the progress is still shown after Cancel, or the Download buttons did not come back")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"qwen2.5-7b-instruct:Q5_K_M"}; !slices.Equal(calls, want) {
		t.Errorf("downloader called with %v, want %v", calls, want)
	}
}

// countIf counts the strings ok accepts.
func countIf(ss []string, ok func(string) bool) int {
	n := 0
	for _, s := range ss {
		if ok(s) {
			n++
		}
	}
	return n
}

// TestDownloadCuratedOpensChat: the window's downloader fetches the model's
// file from the hub (a local imitation: HF_ENDPOINT), verified against its
// sha256, adds it to the catalog and opens a chat with it.
func TestDownloadCuratedOpensChat(t *testing.T) {
	data, err := os.ReadFile(refdata.Path(t, "models/ts5m-Q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/org/tiny/resolve/main/tiny-q8_0.gguf" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	defer hub.Close()
	t.Setenv("HF_ENDPOINT", hub.URL)

	s, _ := newTestWindow(t, nil)
	m := service.CuratedModel{Name: "Tiny", GGUFRepo: "org/tiny", Files: map[string]string{"Q8_0": "tiny-q8_0.gguf"}}
	if err := s.downloadCurated(context.Background(), m, "Q8_0", nil); err != nil {
		t.Fatal(err)
	}
	settle(t, s)
	if placeShown(s) != "Chats" {
		t.Errorf("after the download %q is shown, want the chat", placeShown(s))
	}
	e, err := s.svc.Catalog.Lookup(catalog.NameOf(m.Name))
	if err != nil || len(e.Variants) != 1 || !e.Variants[0].Owned || e.Variants[0].Level != "Q8_0" {
		t.Errorf("the catalog holds %+v (%v), want the downloaded Q8_0 file as Nibble's", e.Variants, err)
	}
	if err := s.downloadCurated(context.Background(), m, "Q4_0", nil); err == nil {
		t.Error("a level with neither a ready file nor original weights was got")
	}
}

// TestGetModelResumeAndDiscard: a model whose download was interrupted says
// how much is kept and offers to resume it; Discard, once confirmed,
// deletes what was kept.
func TestGetModelResumeAndDiscard(t *testing.T) {
	s, w := newTestWindow(t, nil)
	models, err := s.svc.Catalog.ModelsDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(models, hub.PartName("Qwen2.5-7B-Instruct-Q5_K_M.gguf")) // the first offer's file
	if err := os.WriteFile(part, make([]byte, 3<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	s.showGetModel()
	settle(t, s)
	if n := len(buttonsLabelled(onScreen(w), "Resume download")); n != 1 {
		t.Fatalf("%d Resume download buttons, want the interrupted model's", n)
	}
	if !slices.ContainsFunc(labels(w), func(l string) bool { return strings.HasSuffix(l, " · 3.0 MB already downloaded") }) {
		t.Errorf("no card says 3.0 MB are kept: %q", labels(w))
	}
	test.Tap(buttonNamed(t, w, "Discard"))
	if got := overlayLabels(w); !slices.Contains(got, "Discard the download?") {
		t.Fatalf("Discard asked %q, want a confirmation", got)
	}
	test.Tap(buttonLabelled(t, overlayObjects(w), "Yes"))
	settle(t, s)
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the partial download is still there: %v", err)
	}
	if n := len(buttonsLabelled(onScreen(w), "Resume download")); n != 0 {
		t.Errorf("%d Resume download buttons after Discard", n)
	}
}
