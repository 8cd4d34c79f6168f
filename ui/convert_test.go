package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"nibble/engine/refdata"
)

// TestAddModelFolder: a new user adds a Hugging Face model folder as the
// folder picker does; Nibble converts it, the library lists it, and one tap
// — on the completion's "Chat with it", or on the new row's Chat — opens a
// chat that answers.
func TestAddModelFolder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T, s *shell)
	}{
		{"chat with it", func(t *testing.T, s *shell) {
			test.Tap(buttonLabelled(t, overlayObjects(s.win), "Chat with it"))
		}},
		{"row's Chat", func(t *testing.T, s *shell) {
			test.Tap(buttonLabelled(t, overlayObjects(s.win), "Later"))
			if s.win.Canvas().Overlays().Top() != nil {
				t.Fatal("Later did not close the dialog")
			}
			test.Tap(buttonLabelled(t, onScreen(s.win), "Chat"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, w := newTestWindow(t, inLibrary(t))
			settle(t, s)
			s.library.add([]string{refdata.Path(t, "hf/ts5m")})
			settle(t, s)

			e, err := s.svc.Catalog.List()
			if err != nil || len(e) != 1 || len(e[0].Variants) != 1 || !e[0].Variants[0].Owned {
				t.Fatalf("the library holds %+v (%v), want the converted model", e, err)
			}
			if got := labels(w); !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, e[0].Variants[0].Level+" · ") }) {
				t.Errorf("library shows %q, want the converted model", got)
			}
			if got := overlayLabels(w); !slices.Contains(got, e[0].Model.DisplayName+" is ready") {
				t.Fatalf("after converting, the dialog shows %q", got)
			}
			tc.start(t, s)
			settle(t, s)
			if placeShown(s) != "Chats" || s.chat == nil {
				t.Fatalf("%q is shown, want the chat", placeShown(s))
			}
			v := s.chat
			v.st.SetSettings("", greedy(16))
			waitIdle(t, v)
			test.Type(v.input, "Tell me a story.")
			test.Tap(v.send)
			cv := waitIdle(t, v)
			if len(cv.Messages) != 2 || strings.TrimSpace(cv.Messages[1].Text) == "" {
				t.Fatalf("the chat shows %+v, want an answer", cv.Messages)
			}
			chats, err := s.svc.Catalog.Chats()
			if err != nil || len(chats) != 1 || chats[0].VariantID != e[0].Variants[0].ID {
				t.Errorf("chats %+v (%v), want one with the converted model", chats, err)
			}
		})
	}
}
