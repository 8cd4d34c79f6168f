package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestNewUserFlow walks the whole path as a new user does, by
// taps only: the first start finds the model in Downloads and adds it, the
// library offers a smaller version, one tap on "Make it" makes the
// recommended level and opens a chat with it, and a message gets an answer
// that is in the catalog.
func TestNewUserFlow(t *testing.T) {
	downloads(t, "ts5m-F32")
	s, w := newTestWindow(t, nil)
	waitText(t, w, "Models up to about")
	waitText(t, w, "Downloads · 22 MB")
	test.Tap(buttonNamed(t, w, "Add selected"))
	waitText(t, w, "Downloads · 22 MB — Added")
	test.Tap(buttonNamed(t, w, "Go to my library"))
	settle(t, s)
	waitText(t, w, "Runs well")

	test.Tap(buttonNamed(t, w, "Make a smaller version"))
	settle(t, s)
	waitText(t, w, "is the best quality that runs well on this computer")
	test.Tap(buttonNamed(t, w, "Make it"))
	settle(t, s)
	if placeShown(s) != "Chats" {
		t.Fatalf("after Make it, %q is shown, want the chat", placeShown(s))
	}
	e, err := s.svc.Catalog.Lookup("tinystories-5m")
	if err != nil || len(e.Variants) != 2 {
		t.Fatalf("the library holds %+v (%v), want the original and the new level", e.Variants, err)
	}

	v := s.chat
	v.st.SetSettings("", greedy(24))
	waitIdle(t, v)
	test.Type(v.input, "Tell me a story.")
	test.Tap(v.send)
	cv := waitIdle(t, v)
	if len(cv.Messages) != 2 || cv.Messages[1].Text == "" {
		t.Fatalf("the chat shows %+v", cv)
	}
	chats, err := s.svc.Catalog.Chats()
	if err != nil || len(chats) != 1 {
		t.Fatalf("%d chats in the catalog (%v), want 1", len(chats), err)
	}
	_, msgs, err := s.svc.Catalog.Chat(chats[0].ID)
	if err != nil || len(msgs) != 2 || msgs[0].Content != "Tell me a story." || msgs[1].Content != cv.Messages[1].Text {
		t.Fatalf("the catalog holds %+v (%v), want the message and its answer", msgs, err)
	}
	made := e.Variants[0]
	if made.QuantizedFrom == 0 {
		made = e.Variants[1]
	}
	if chats[0].VariantID != made.ID || !made.Owned {
		t.Errorf("the chat talks to variant %d, want the one just made (%+v)", chats[0].VariantID, made)
	}
}
