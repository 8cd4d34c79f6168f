package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nibble/engine/refdata"
	"nibble/quant/hfconvert"
)

// TestLibraryAddConvert: adding a Hugging Face model folder converts it
// into Nibble's own model file, reporting how far it has come, and the
// library lists it.
func TestLibraryAddConvert(t *testing.T) {
	svc := newService(t, laptop)
	l := NewLibrary(svc)
	added := recordAdding(l)
	res := l.Add(context.Background(), []string{refdata.Path(t, "hf/ts5m")})
	seen := added()
	if len(res.Failed) != 0 || len(res.Added) != 1 {
		t.Fatalf("added %+v, failed %+v", res.Added, res.Failed)
	}
	v := res.Added[0].Variant
	if !v.Owned || (v.Level != "F16" && v.Level != "BF16") {
		t.Errorf("added %+v, want Nibble's own F16 or BF16 file", v)
	}
	if im, ok := res.Converted(); !ok || im.Variant.ID != v.ID {
		t.Errorf("Converted() = %+v, %v; want the model made", im, ok)
	}
	models := l.Models()
	if len(models) != 1 || len(models[0].Variants) != 1 || models[0].Variants[0].ID != v.ID {
		t.Errorf("library lists %+v, want the converted model", models)
	}
	var parts bool
	for _, p := range seen {
		if !p.Converting || p.Current != "ts5m" {
			continue
		}
		if text := p.Text(); p.Convert.Tensors > 0 &&
			strings.HasPrefix(text, "Converting ts5m for Nibble… part ") && strings.Contains(text, " MB · ") {
			parts = true
		}
		if f := p.Fraction(); f < 0 || f > 1 {
			t.Errorf("fraction %v of %+v", f, p)
		}
	}
	if !parts {
		t.Errorf("progress seen %+v, want the conversion's parts in words", seen)
	}
}

// TestLibraryAddConvertFails: a folder Nibble cannot convert, or a
// conversion cancelled, adds nothing and leaves nothing in the models
// folder; the failure is in plain words.
func TestLibraryAddConvertFails(t *testing.T) {
	for _, tc := range []struct {
		name      string
		config    string // config.json written over the copy's, if not ""
		cancel    bool   // CancelAdd once the conversion has begun
		wantTitle string
		wantIn    string // the message's body names it
	}{
		{"unsupported architecture", `{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}`, false,
			"This folder holds a Hugging Face model of a kind Nibble cannot run yet.", "GPT2LMHeadModel"},
		{"bad config", `{"architectures": ["LlamaForCausalLM"]}`, false,
			"Nibble could not read this Hugging Face model folder.", "config.json"},
		{"cancelled", "", true, "Cancelled.", "Nothing was changed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyHFFolder(t)
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			svc := newService(t, laptop)
			l := NewLibrary(svc)
			if tc.cancel {
				l.Listen(func() {
					if p, _ := l.Adding(); p.Convert.BytesDone > 0 {
						l.CancelAdd()
					}
				})
			}
			res := l.Add(context.Background(), []string{dir})
			if len(res.Added) != 0 || len(res.Failed) != 1 {
				t.Fatalf("added %+v, failed %+v", res.Added, res.Failed)
			}
			if tc.cancel && !errors.Is(res.Failed[0].Err, context.Canceled) {
				t.Errorf("cancelled, yet failed with %v", res.Failed[0].Err)
			}
			if title, body := res.Message(); title != tc.wantTitle || !strings.HasPrefix(body, filepath.Base(dir)+": ") || !strings.Contains(body, tc.wantIn) {
				t.Errorf("message %q, %q; want %q naming %s", title, body, tc.wantTitle, tc.wantIn)
			}
			models, _ := svc.Catalog.ModelsDir()
			if files, _ := os.ReadDir(models); len(files) != 0 || len(l.Models()) != 0 {
				t.Errorf("models folder holds %v, library %d models", files, len(l.Models()))
			}
		})
	}
}

func TestAddProgressText(t *testing.T) {
	for _, tc := range []struct {
		p    AddProgress
		want string
	}{
		{AddProgress{Current: "model.gguf", Total: 2}, "Adding model.gguf…"},
		{AddProgress{Current: "TinyLlama", Converting: true}, "Converting TinyLlama for Nibble…"},
		{AddProgress{Current: "TinyLlama", Converting: true, Elapsed: 20 * time.Second,
			Convert: hfconvert.Progress{Tensor: 11, Tensors: 57, BytesDone: 300 << 20, BytesTotal: 900 << 20}},
			"Converting TinyLlama for Nibble… part 12 of 57 · 300 MB of 900 MB · about 40 seconds left"},
		{AddProgress{Current: "TinyLlama", Converting: true, Elapsed: time.Minute,
			Convert: hfconvert.Progress{Tensor: 57, Tensors: 57, BytesDone: 900 << 20, BytesTotal: 900 << 20}},
			"Converting TinyLlama for Nibble… part 57 of 57 · 900 MB of 900 MB · finishing…"},
	} {
		if got := tc.p.Text(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}

// copyHFFolder copies the shared Hugging Face model folder ts5m into a
// temporary folder of the same name, for a test to change.
func copyHFFolder(t *testing.T) string {
	t.Helper()
	src := refdata.Path(t, "hf/ts5m")
	dir := filepath.Join(t.TempDir(), "ts5m")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dir
}
