package catalog

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The layout, schema version 1. Every value is JSON; ids are bucket
// sequence numbers stored as 8-byte big-endian keys, so cursors walk them in
// creation order.
//
//	meta      "app" → "nibble", "schema" → the version as decimal text
//	models    id → Model
//	variants  id → Variant (Variant.ModelID says whose)
//	chats     id → Chat
//	messages  chat id → a bucket: message id → Message
//	settings  key → value (text)
var (
	bucketMeta     = []byte("meta")
	bucketModels   = []byte("models")
	bucketVariants = []byte("variants")
	bucketChats    = []byte("chats")
	bucketMessages = []byte("messages")
	bucketSettings = []byte("settings")

	keyApp    = []byte("app")
	keySchema = []byte("schema")
)

// appMarker in the meta bucket tells Nibble's catalog from another program's
// bbolt file that happens to have a bucket called "meta".
const appMarker = "nibble"

// migrations[v] turns a catalog of schema version v into version v+1. All
// the migrations a catalog needs run in the transaction that opens it, so a
// failure leaves it as it was. Version 0 is a new bbolt file (see create). The schema
// version this code writes is len(migrations); append, never edit, a
// migration that has shipped.
var migrations = []func(tx *bolt.Tx) error{
	// 0 → 1: the buckets.
	func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketModels, bucketVariants, bucketChats, bucketMessages, bucketSettings} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyApp, []byte(appMarker))
	},
}

// prepare checks the schema of an open catalog and migrates it to the
// current version. A file without Nibble's meta bucket is not a catalog:
// Nibble creates its files with the bucket (see create).
func prepare(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil || string(meta.Get(keyApp)) != appMarker {
		return fmt.Errorf("%w (it is another program's bbolt database)", ErrDamaged)
	}
	v, err := strconv.Atoi(string(meta.Get(keySchema)))
	if err != nil || v < 1 {
		return fmt.Errorf("%w (schema version %q)", ErrDamaged, meta.Get(keySchema))
	}
	if v > len(migrations) {
		return fmt.Errorf("%w (its schema is version %d, this Nibble knows up to %d)", ErrNewerSchema, v, len(migrations))
	}
	return migrate(tx, v)
}

// migrate runs the migrations from version v to the current one.
func migrate(tx *bolt.Tx, v int) error {
	for ; v < len(migrations); v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("migrate catalog schema %d to %d: %w", v, v+1, err)
		}
		if err := tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(v+1))); err != nil {
			return fmt.Errorf("migrate catalog schema %d to %d: %w", v, v+1, err)
		}
	}
	return nil
}

// key is the bucket key of id.
func key(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// put stores v as JSON under k.
func put(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

// get decodes the JSON value under k into v and reports whether there was
// one.
func get(b *bolt.Bucket, k []byte, v any) (bool, error) {
	data := b.Get(k)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decode catalog entry %x: %w", k, err)
	}
	return true, nil
}

// all decodes every value of b, in key order.
func all[T any](b *bolt.Bucket) ([]T, error) {
	var out []T
	err := b.ForEach(func(k, data []byte) error {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("decode catalog entry %x: %w", k, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}
