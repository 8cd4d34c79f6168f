package catalog

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Chat is a conversation with a model. Its messages are stored apart, one
// entry each, so adding one costs the same however long the chat is.
type Chat struct {
	ID uint64 `json:"id"`
	// ModelID and VariantID say what it talks to. They stay when that model
	// is removed: the chat is kept, its model shown as gone.
	ModelID   uint64             `json:"model_id"`
	VariantID uint64             `json:"variant_id"`
	Title     string             `json:"title"`
	System    string             `json:"system,omitempty"` // the system prompt
	Settings  GenerationSettings `json:"settings"`
	Created   time.Time          `json:"created"`
	Updated   time.Time          `json:"updated"` // last change or message
}

// GenerationSettings are a chat's sampling settings (the UI maps them to
// engine/sample.Params; they are stored here so that the schema, not the
// engine, decides their encoding).
type GenerationSettings struct {
	Temperature   float64 `json:"temperature"`
	TopK          int     `json:"top_k"`
	TopP          float64 `json:"top_p"`
	MinP          float64 `json:"min_p"`
	RepeatPenalty float64 `json:"repeat_penalty"`
	RepeatLastN   int     `json:"repeat_last_n"`
	Seed          uint64  `json:"seed"`
	MaxTokens     int     `json:"max_tokens,omitempty"` // per answer; 0: until the model stops
	// ContextLength is how many tokens of the conversation the model
	// reads; 0: the model's, at most engine/session.DefaultContextLength.
	ContextLength int `json:"context_length,omitempty"`
}

// Message is one turn of a chat.
type Message struct {
	ID      uint64    `json:"id"`
	Role    string    `json:"role"` // "user", "assistant" or "system"
	Content string    `json:"content"`
	Time    time.Time `json:"time"`
	// Stopped marks an answer the user stopped before the model finished.
	Stopped bool `json:"stopped,omitempty"`
}

// NewChat stores ch as a new chat, giving it its id and times, and returns
// it.
func (c *Catalog) NewChat(ch Chat) (Chat, error) {
	ch.Created = time.Now().UTC()
	ch.Updated = ch.Created
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChats)
		var err error
		if ch.ID, err = b.NextSequence(); err != nil {
			return err
		}
		if _, err := tx.Bucket(bucketMessages).CreateBucket(key(ch.ID)); err != nil {
			return err
		}
		return put(b, key(ch.ID), ch)
	})
	if err != nil {
		return Chat{}, fmt.Errorf("new chat: %w", err)
	}
	return ch, nil
}

// UpdateChat saves ch's title, system prompt, settings and model, keeping
// its creation time.
func (c *Catalog) UpdateChat(ch Chat) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChats)
		var have Chat
		ok, err := get(b, key(ch.ID), &have)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("chat %d: %w", ch.ID, ErrNotFound)
		}
		ch.Created, ch.Updated = have.Created, time.Now().UTC()
		return put(b, key(ch.ID), ch)
	})
	if err != nil {
		return fmt.Errorf("save chat: %w", err)
	}
	return nil
}

// Chats returns every chat, the most recently updated first, without their
// messages.
func (c *Catalog) Chats() ([]Chat, error) {
	var chats []Chat
	err := c.db.View(func(tx *bolt.Tx) error {
		var err error
		chats, err = all[Chat](tx.Bucket(bucketChats))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	slices.SortStableFunc(chats, func(a, b Chat) int { return b.Updated.Compare(a.Updated) })
	return chats, nil
}

// Chat returns chat id and its messages in order (message ids are their
// keys, in the order they were added).
func (c *Catalog) Chat(id uint64) (Chat, []Message, error) {
	var ch Chat
	var msgs []Message
	err := c.db.View(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bucketChats), key(id), &ch)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("chat %d: %w", id, ErrNotFound)
		}
		msgs, err = all[Message](tx.Bucket(bucketMessages).Bucket(key(id)))
		return err
	})
	if err != nil {
		return Chat{}, nil, fmt.Errorf("read chat: %w", err)
	}
	return ch, msgs, nil
}

// AddMessage appends m to chat id, giving it its id (and the current time
// if m has none), and returns it. The UI saves every message as it is sent
// and an answer once complete or stopped.
func (c *Catalog) AddMessage(id uint64, m Message) (Message, error) {
	if m.Time.IsZero() {
		m.Time = time.Now().UTC()
	}
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChats)
		var ch Chat
		ok, err := get(b, key(id), &ch)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("chat %d: %w", id, ErrNotFound)
		}
		mb := tx.Bucket(bucketMessages).Bucket(key(id))
		if m.ID, err = mb.NextSequence(); err != nil {
			return err
		}
		if err := put(mb, key(m.ID), m); err != nil {
			return err
		}
		ch.Updated = m.Time
		return put(b, key(id), ch)
	})
	if err != nil {
		return Message{}, fmt.Errorf("save message: %w", err)
	}
	return m, nil
}

// DeleteChat deletes chat id and its messages.
func (c *Catalog) DeleteChat(id uint64) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChats)
		if b.Get(key(id)) == nil {
			return fmt.Errorf("chat %d: %w", id, ErrNotFound)
		}
		if err := tx.Bucket(bucketMessages).DeleteBucket(key(id)); err != nil {
			return err
		}
		return b.Delete(key(id))
	})
	if err != nil {
		return fmt.Errorf("delete chat: %w", err)
	}
	return nil
}
