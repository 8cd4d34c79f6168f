package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/refdata"
	"nibble/engine/sample"
	"nibble/engine/session"
	"nibble/quant/hfconvert"
)

// TestConvertFolder: the shared HF folder becomes Nibble's own lossless
// variant, in the models folder, that the engine loads and runs.
func TestConvertFolder(t *testing.T) {
	s, _ := newService(t)
	dir := refdata.Path(t, "hf/ts5m")
	if !IsModelFolder(dir) {
		t.Fatalf("%s is not taken for a Hugging Face model folder", dir)
	}
	var last hfconvert.Progress
	n := 0
	im, err := s.ConvertFolder(context.Background(), dir, func(p hfconvert.Progress) { n++; last = p })
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || last.Tensors == 0 || last.BytesTotal == 0 {
		t.Errorf("progress called %d times, last %+v", n, last)
	}
	v := im.Variant
	models, _ := s.Catalog.ModelsDir()
	if !v.Owned || filepath.Dir(v.Path) != models || (v.Level != "F16" && v.Level != "BF16") {
		t.Errorf("converted variant %+v: want Nibble's own F16 or BF16 file in %s", v, models)
	}
	if e, err := s.Catalog.Lookup(im.Model.Name); err != nil || len(e.Variants) != 1 || e.Variants[0].ID != v.ID {
		t.Errorf("catalog lookup of %q: %+v, %v", im.Model.Name, e, err)
	}
	if im.Model.Architecture != "llama" || im.Model.Parameters == 0 {
		t.Errorf("model %+v", im.Model)
	}
	m, err := session.Open(v.Path, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	text, st, err := m.Complete(context.Background(), "Once upon a time", session.Params{MaxTokens: 8, Sampling: sample.Params{Temperature: 0}}, func(string) {})
	if err != nil || st.GeneratedTokens == 0 || strings.TrimSpace(text) == "" {
		t.Errorf("generating with the converted model: %q, %d tokens, %v", text, st.GeneratedTokens, err)
	}
}

// TestConvertFolderCancel: cancelling leaves neither a file nor an entry.
func TestConvertFolderCancel(t *testing.T) {
	s, _ := newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.ConvertFolder(ctx, refdata.Path(t, "hf/ts5m"), func(p hfconvert.Progress) {
		if p.BytesDone > 0 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ConvertFolder: %v, want cancelled", err)
	}
	checkNothingLeft(t, s)
}

// TestConvertFolderErrors: a folder that cannot be converted says why, as
// a ConvertError, and leaves nothing behind.
func TestConvertFolderErrors(t *testing.T) {
	src := refdata.Path(t, "hf/ts5m")
	for _, tc := range []struct {
		name   string
		change func(dir string) error
		is     error  // the error must wrap it too, if not nil
		says   string // and its message say this
	}{
		{"unsupported architecture", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}`), 0o644)
		}, hfconvert.ErrUnsupportedArchitecture, "GPT2LMHeadModel"},
		{"missing shard", func(dir string) error {
			return os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors"))
		}, nil, "model-00002-of-00002.safetensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			if err := tc.change(dir); err != nil {
				t.Fatal(err)
			}
			s, _ := newService(t)
			_, err := s.ConvertFolder(context.Background(), dir, nil)
			var ce *ConvertError
			if !errors.As(err, &ce) || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("ConvertFolder: %v, want %v naming %s", err, tc.is, tc.says)
			}
			checkNothingLeft(t, s)
		})
	}
}

func TestIsModelFolder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  bool
	}{
		{"single file", []string{"config.json", "model.safetensors"}, true},
		{"index only", []string{"config.json", "model.safetensors.index.json"}, true},
		{"no weights", []string{"config.json", "tokenizer.json"}, false},
		{"no config", []string{"model.safetensors"}, false},
		{"gguf files", []string{"a.gguf"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := IsModelFolder(dir); got != tc.want {
				t.Errorf("IsModelFolder(%v) = %v", tc.files, got)
			}
		})
	}
}

// checkNothingLeft fails unless s's models folder and catalog are empty.
func checkNothingLeft(t *testing.T, s *Service) {
	t.Helper()
	dir, _ := s.Catalog.ModelsDir()
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("models folder holds %v", files)
	}
	if es, err := s.Catalog.List(); err != nil || len(es) != 0 {
		t.Errorf("catalog holds %+v (%v)", es, err)
	}
}
