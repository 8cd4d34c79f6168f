package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"nibble/catalog"
	"nibble/engine/refdata"
	"nibble/ui/state"
)

// inLibrary prepares a test window's catalog: the welcome done, and the
// shared test models named (e.g. "ts5m-F32") linked where they are.
func inLibrary(t *testing.T, models ...string) func(*catalog.Catalog) {
	return func(c *catalog.Catalog) {
		if err := c.SetSetting(state.SettingWelcomed, "yes"); err != nil {
			t.Fatal(err)
		}
		for _, m := range models {
			if _, err := c.Import(context.Background(), refdata.Path(t, "models/"+m+".gguf"), catalog.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// overlayObjects returns what the topmost dialog shows, nil without one.
func overlayObjects(w fyne.Window) []fyne.CanvasObject {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	return test.LaidOutObjects(top)
}

// overlayLabels returns the text of the topmost dialog's labels.
func overlayLabels(w fyne.Window) []string {
	var out []string
	for _, o := range overlayObjects(w) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return out
}

// onScreen returns what the window's screen shows.
func onScreen(w fyne.Window) []fyne.CanvasObject { return test.LaidOutObjects(w.Canvas().Content()) }

// placeShown is the place highlighted in the shell's bar.
func placeShown(s *shell) string {
	for name, b := range s.nav {
		if b.Importance == widget.HighImportance {
			return name
		}
	}
	return ""
}

// TestLibraryShowsModel: a model shows with its level, size and, once
// measured, its fit badge; its buttons lead to Make it fit and to a chat.
func TestLibraryShowsModel(t *testing.T) {
	s, w := newTestWindow(t, inLibrary(t, "ts5m-F32"))
	settle(t, s) // the badges measured
	for _, want := range []string{"Library", "F32 · 32-bit", "22 MB", "Runs well"} {
		if !slices.Contains(labels(w), want) {
			t.Errorf("library shows %q, want %q", labels(w), want)
		}
	}
	test.Tap(buttonLabelled(t, onScreen(w), "Details"))
	if got := overlayLabels(w); !slices.Contains(got, refdata.Path(t, "models/ts5m-F32.gguf")) || !slices.Contains(got, "5.8 million") {
		t.Errorf("details show %q", got)
	}
	w.Canvas().Overlays().Top().Hide()
	w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())

	test.Tap(buttonLabelled(t, onScreen(w), "Show file")) // the test app opens nothing, but nothing must fail
	if w.Canvas().Overlays().Top() != nil {
		t.Errorf("showing the file shows %q", overlayLabels(w))
	}
	test.Tap(buttonLabelled(t, onScreen(w), "Make a smaller version"))
	// Not looked at: its advice is being worked out (fit_test.go tests it).
	if s.body.Objects[0] == s.library.root || placeShown(s) != "Library" {
		t.Error("Make a smaller version did not open Make it fit")
	}
	s.showLibrary()
	settle(t, s)
	test.Tap(buttonLabelled(t, onScreen(w), "Chat"))
	if placeShown(s) != "Chats" {
		t.Errorf("Chat went to %q", placeShown(s))
	}
}

// TestLibraryAddFromEmpty: the empty library offers to add models; a model
// added shows with its badge, a file that is not one is explained.
func TestLibraryAddFromEmpty(t *testing.T) {
	s, w := newTestWindow(t, inLibrary(t))
	settle(t, s)
	if !slices.Contains(labels(w), "Your library is empty") {
		t.Fatalf("empty library shows %q", labels(w))
	}
	test.Tap(buttonLabelled(t, onScreen(w), "Add a model…"))
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("Add a model… shows no file picker")
	}
	w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())

	s.library.add([]string{refdata.Path(t, "models/ts5m-Q4_0.gguf")})
	settle(t, s)
	if got := labels(w); !slices.Contains(got, "Runs well") || slices.Contains(got, "Your library is empty") {
		t.Errorf("after adding a model the library shows %q", got)
	}

	notModel := filepath.Join(t.TempDir(), "notes.gguf")
	if err := os.WriteFile(notModel, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.library.add([]string{notModel})
	settle(t, s)
	if got := overlayLabels(w); !slices.Contains(got, "This file is not a model Nibble can use.") || !slices.ContainsFunc(got, func(l string) bool {
		return strings.HasPrefix(l, "notes.gguf: Nibble runs models in the GGUF format")
	}) {
		t.Errorf("the error says %q", got)
	}
}

// TestLibraryRemove: removing the user's file from the library keeps it on
// disk; deleting it too asks a second time, and only then deletes it.
func TestLibraryRemove(t *testing.T) {
	for _, tc := range []struct {
		name       string
		deleteFile bool   // tick "Also delete the file"
		second     string // the button pressed in the second dialog, "" for none
		wantFile   bool
		wantEntry  bool
	}{
		{"keep the file", false, "", true, false},
		{"delete it, then keep it", true, "Keep it", true, true},
		{"delete it for good", true, "Delete the file", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(refdata.Path(t, "models/ts5m-Q4_0.gguf"))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "mine.gguf")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			s, w := newTestWindow(t, func(c *catalog.Catalog) {
				inLibrary(t)(c)
				if _, err := c.Import(context.Background(), path, catalog.ImportOptions{}); err != nil {
					t.Fatal(err)
				}
			})
			settle(t, s)
			test.Tap(buttonLabelled(t, onScreen(w), "Remove"))
			if tc.deleteFile {
				for _, o := range overlayObjects(w) {
					if c, ok := o.(*widget.Check); ok && c.Text == "Also delete the file from the disk" {
						test.Tap(c)
					}
				}
			}
			test.Tap(buttonLabelled(t, overlayObjects(w), "Remove"))
			if tc.second != "" {
				if got := overlayLabels(w); !slices.Contains(got, "Delete your file for good?") {
					t.Fatalf("second question %q", got)
				}
				test.Tap(buttonLabelled(t, overlayObjects(w), tc.second))
			}
			settle(t, s)
			if empty := slices.Contains(labels(w), "Your library is empty"); empty == tc.wantEntry {
				t.Errorf("library empty %v, want %v", empty, !tc.wantEntry)
			}
			if _, err := os.Stat(path); (err == nil) != tc.wantFile {
				t.Errorf("file kept %v, want %v", err == nil, tc.wantFile)
			}
			if entries, _ := s.svc.Catalog.List(); (len(entries) == 1) != tc.wantEntry {
				t.Errorf("%d models in the catalog", len(entries))
			}
		})
	}
}
