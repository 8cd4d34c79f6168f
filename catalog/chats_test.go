package catalog

import (
	"errors"
	"testing"
	"time"
)

func TestChats(t *testing.T) {
	dir := t.TempDir()
	c := openTest(t, dir)
	settings := GenerationSettings{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, RepeatLastN: 64, Seed: 42, MaxTokens: 512}
	first, err := c.NewChat(Chat{ModelID: 1, VariantID: 2, Title: "Recipes", System: "You are a cook.", Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.NewChat(Chat{Title: "Poems"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{
		{Role: "user", Content: "A soup, please."},
		{Role: "assistant", Content: "Take three leeks", Stopped: true},
		{Role: "user", Content: "Go on."},
		{Role: "assistant", Content: "and a potato."},
	}
	for i, m := range msgs {
		m.Time = time.Date(2025, 1, 1, 12, i, 0, 0, time.UTC)
		saved, err := c.AddMessage(first.ID, m)
		if err != nil {
			t.Fatal(err)
		}
		if saved.ID != uint64(i+1) {
			t.Errorf("message %d has id %d", i, saved.ID)
		}
		msgs[i] = saved
	}
	if _, err := c.AddMessage(999, Message{Role: "user"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("AddMessage to a missing chat: %v", err)
	}
	first.Title = "Soups"
	if err := c.UpdateChat(first); err != nil {
		t.Fatal(err)
	}
	closeTest(t, c)

	c = openTest(t, dir)
	chats, err := c.Chats()
	if err != nil || len(chats) != 2 || chats[0].ID != first.ID || chats[1].ID != second.ID {
		t.Fatalf("Chats: %+v, %v; want the updated one first", chats, err)
	}
	ch, got, err := c.Chat(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Title != "Soups" || ch.System != "You are a cook." || ch.Settings != settings || ch.VariantID != 2 ||
		!ch.Created.Equal(first.Created) {
		t.Errorf("chat %+v", ch)
	}
	if len(got) != len(msgs) {
		t.Fatalf("%d messages, want %d", len(got), len(msgs))
	}
	for i := range got {
		if got[i].ID != msgs[i].ID || got[i].Role != msgs[i].Role || got[i].Content != msgs[i].Content ||
			got[i].Stopped != msgs[i].Stopped || !got[i].Time.Equal(msgs[i].Time) {
			t.Errorf("message %d: %+v, want %+v", i, got[i], msgs[i])
		}
	}
	if err := c.DeleteChat(first.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Chat(first.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted chat: %v", err)
	}
	if err := c.DeleteChat(first.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if err := c.UpdateChat(first); !errors.Is(err, ErrNotFound) {
		t.Errorf("updating a deleted chat: %v", err)
	}
}
