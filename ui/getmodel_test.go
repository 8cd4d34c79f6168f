package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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

// TestGetModelFlow walks a new user's way to a first model through the
// window, against a local imitation of the hub (HF_ENDPOINT) whose every
// file is the shared ts5m-Q8_0 model: on an empty catalog the welcome's
// "Get a model…" lists the models, one tap on the first card's Download
// fetches its file — the connection drops half-way once, and the download
// resumes from there with a Range request — verified against the hub's
// sha256, adds it to the catalog and opens a chat, which answers.
func TestGetModelFlow(t *testing.T) {
	data, err := os.ReadFile(refdata.Path(t, "models/ts5m-Q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	var mu sync.Mutex
	var files, ranges []string
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, file, ok := strings.Cut(r.URL.Path, "/resolve/main/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		if r.Method != http.MethodGet {
			return
		}
		mu.Lock()
		files, ranges = append(files, file), append(ranges, r.Header.Get("Range"))
		first := len(ranges) == 1
		mu.Unlock()
		if first { // half the file, then the connection drops
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:len(data)/2])
			panic(http.ErrAbortHandler)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	defer hub.Close()
	t.Setenv("HF_ENDPOINT", hub.URL)
	t.Setenv("HF_TOKEN", "")

	s, w := newTestWindow(t, nil)
	test.Tap(buttonNamed(t, w, "Get a model…"))
	settle(t, s)
	test.Tap(buttonsLabelled(onScreen(w), "Download")[0])
	settle(t, s)
	if placeShown(s) != "Chats" {
		t.Fatalf("after the download %q is shown, want the chat", placeShown(s))
	}
	mu.Lock()
	if want := []string{"", fmt.Sprintf("bytes=%d-", len(data)/2)}; !slices.Equal(ranges, want) || files[0] != "Qwen2.5-7B-Instruct-Q5_K_M.gguf" {
		t.Errorf("the hub was asked for %q with ranges %q, want the first card's Q5_K_M file, whole then from the half on", files, ranges)
	}
	mu.Unlock()
	entries, err := s.svc.Catalog.List()
	if err != nil || len(entries) != 1 || entries[0].Model.DisplayName != "Qwen2.5 7B Instruct" ||
		len(entries[0].Variants) != 1 || !entries[0].Variants[0].Owned || entries[0].Variants[0].Level != "Q8_0" {
		t.Fatalf("the catalog holds %+v (%v), want the downloaded file as Nibble's, named as the list names it", entries, err)
	}
	if got, err := os.ReadFile(entries[0].Variants[0].Path); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the downloaded file differs from the hub's (%v)", err)
	}
	v := s.chat
	v.st.SetSettings("", greedy(8))
	waitIdle(t, v)
	test.Type(v.input, "Tell me a story.")
	test.Tap(v.send)
	if cv := waitIdle(t, v); len(cv.Messages) != 2 || cv.Messages[1].Text == "" {
		t.Fatalf("the chat shows %+v", cv)
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
