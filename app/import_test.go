package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/gguf"
)

// catalogHome points the catalog commands at a new, empty catalog.
func catalogHome(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("NIBBLE_HOME", home)
	return home
}

// writeTestModel writes a tiny valid GGUF model called name at level
// fileType (15: Q4_K_M, 7: Q8_0) to path.
func writeTestModel(t *testing.T, path, name string, fileType uint32) {
	t.Helper()
	w, err := gguf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, kv := range []gguf.KV{
		{Key: "general.architecture", Value: gguf.String("llama")},
		{Key: "general.name", Value: gguf.String(name)},
		{Key: "general.file_type", Value: gguf.Uint32(fileType)},
		{Key: "llama.context_length", Value: gguf.Uint32(512)},
	} {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddTensor("token_embd.weight", gguf.F32, []uint64{64, 4}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64*4*4)
	data[0] = byte(fileType) // files at different levels differ
	if err := w.WriteTensor("token_embd.weight", data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestImportCommand(t *testing.T) {
	home := catalogHome(t)
	dir := t.TempDir()
	q4 := filepath.Join(dir, "tiny-q4.gguf")
	q8 := filepath.Join(dir, "tiny-q8.gguf")
	writeTestModel(t, q4, "Tiny Model", 15)
	writeTestModel(t, q8, "Tiny Model", 7)

	stdout, _, err := run(t, "import", q4)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"imported tiny-model:Q4_K_M", "llama", q4, "still yours", "sha256 "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, err = run(t, "import", q8, "--copy")
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(home, "models", "tiny-model-Q8_0.gguf")
	if !strings.Contains(stdout, copied) || !strings.Contains(stdout, "Nibble's copy") {
		t.Errorf("import --copy output:\n%s\nwant the copy %s", stdout, copied)
	}
	if _, err := os.Stat(copied); err != nil {
		t.Errorf("no copy: %v", err)
	}
	if _, err := os.Stat(q8); err != nil {
		t.Errorf("--copy took the original: %v", err)
	}

	notModel := filepath.Join(dir, "notes.gguf")
	os.WriteFile(notModel, []byte("these are my notes, not a model"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", notModel}, "not a GGUF"},
		{[]string{"import", q4}, "already in the catalog as tiny-model:Q4_K_M"},
		{[]string{"import", filepath.Join(dir, "missing.gguf")}, "no such file"},
	} {
		if _, _, err := run(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	for _, args := range [][]string{{"import"}, {"import", q4, "--copy", "--move"}} {
		if _, stderr, err := run(t, args...); !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage") {
			t.Errorf("%q: %v, %q; want a usage error", args, err, stderr)
		}
	}
	if out, _, _ := run(t, "help", "import"); !strings.Contains(out, "--link  (the default)") {
		t.Errorf("import's help does not state the default:\n%s", out)
	}
}

func TestImportMove(t *testing.T) {
	home := catalogHome(t)
	src := filepath.Join(t.TempDir(), "tiny.gguf")
	writeTestModel(t, src, "Tiny Model", 15)
	if _, _, err := run(t, "import", "--move", src, "--name", "My Model"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Errorf("--move left the original: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "models", "my-model-Q4_K_M.gguf")); err != nil {
		t.Errorf("--move: %v", err)
	}
}
