package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRm(t *testing.T) {
	home := catalogHome(t)
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.gguf")
	writeTestModel(t, mine, "Tiny Model", 15)
	other := filepath.Join(dir, "other.gguf")
	writeTestModel(t, other, "Tiny Model", 7)
	third := filepath.Join(dir, "third.gguf")
	writeTestModel(t, third, "Other Model", 15)
	for _, args := range [][]string{{"import", mine}, {"import", "--copy", other}, {"import", third}} {
		if _, _, err := run(t, args...); err != nil {
			t.Fatal(err)
		}
	}
	copied := filepath.Join(home, "models", "tiny-model-Q8_0.gguf")

	out, _, err := run(t, "rm", "tiny-model:q8_0")
	if err != nil || !strings.Contains(out, "removed tiny-model:Q8_0 (deleted Nibble's copy") {
		t.Errorf("rm of a copy: %q, %v", out, err)
	}
	if _, err := os.Stat(copied); !os.IsNotExist(err) {
		t.Errorf("Nibble's copy is still there: %v", err)
	}
	out, _, err = run(t, "rm", "tiny-model")
	if err != nil || !strings.Contains(out, "your file is kept") {
		t.Errorf("rm of a linked model: %q, %v", out, err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("rm deleted the user's file: %v", err)
	}
	out, _, err = run(t, "rm", "other-model", "--delete-file")
	if err != nil || !strings.Contains(out, "deleted your file") {
		t.Errorf("rm --delete-file: %q, %v", out, err)
	}
	if _, err := os.Stat(third); !os.IsNotExist(err) {
		t.Errorf("--delete-file left the file: %v", err)
	}
	if _, _, err := run(t, "rm", "tiny-model"); err == nil || !strings.Contains(err.Error(), "not in the catalog") {
		t.Errorf("rm of a removed model: %v", err)
	}
	if out, _, _ := run(t, "list"); !strings.Contains(out, "No models yet") {
		t.Errorf("list after removing everything:\n%s", out)
	}
}
