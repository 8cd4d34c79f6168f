package hftokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// TestTS5M converts hf/ts5m's tokenizer and compares every tokenizer.* key
// with the GGUF llama.cpp's convert_hf_to_gguf.py made from the same folder
// (shared test data README, section 6).
func TestTS5M(t *testing.T) {
	dir := refdata.Path(t, "hf/ts5m")
	ref, err := gguf.Open(refdata.Path(t, "hf/ts5m-convert-BF16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	got, err := Metadata(dir, readConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	var want []gguf.KV
	for _, kv := range ref.KV {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			want = append(want, kv)
		}
	}
	compareKV(t, got, want)
}

// readConfig reads Config from dir/config.json, as hfconvert does.
func readConfig(t *testing.T, dir string) Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Architectures []string `json:"architectures"`
		VocabSize     int      `json:"vocab_size"`
	}
	if err := json.Unmarshal(data, &c); err != nil || len(c.Architectures) == 0 {
		t.Fatalf("config.json: %v, architectures %v", err, c.Architectures)
	}
	return Config{Arch: c.Architectures[0], VocabSize: c.VocabSize}
}

// compareKV checks that got has exactly want's keys, in want's order, with
// equal types and values.
func compareKV(t *testing.T, got, want []gguf.KV) {
	t.Helper()
	keys := func(kvs []gguf.KV) []string {
		var ks []string
		for _, kv := range kvs {
			ks = append(ks, kv.Key)
		}
		return ks
	}
	if !reflect.DeepEqual(keys(got), keys(want)) {
		t.Errorf("keys:\n got  %v\n want %v", keys(got), keys(want))
	}
	for _, w := range want {
		for _, g := range got {
			if g.Key == w.Key && !reflect.DeepEqual(g.Value, w.Value) {
				t.Errorf("%s: got %.200v (%v %v), want %.200v (%v %v)", w.Key, g.Value.V, g.Value.Type, g.Value.Elem, w.Value.V, w.Value.Type, w.Value.Elem)
			}
		}
	}
}
