package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	home := catalogHome(t)
	out, _, err := run(t, "list")
	if err != nil || !strings.Contains(out, "No models yet") {
		t.Errorf("empty list: %q, %v", out, err)
	}
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.gguf")
	writeTestModel(t, mine, "Tiny Model", 15)
	other := filepath.Join(dir, "other.gguf")
	writeTestModel(t, other, "Tiny Model", 7)
	for _, args := range [][]string{{"import", mine}, {"import", "--copy", other}} {
		if _, _, err := run(t, args...); err != nil {
			t.Fatal(err)
		}
	}
	os.Rename(mine, mine+".moved")
	os.WriteFile(filepath.Join(home, "models", "stray.gguf"), []byte("GGUF"), 0o644)

	out, stderr, err := run(t, "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`^NAME +LEVEL +SIZE +FILE$`,
		`^tiny-model:Q4_K_M +Q4_K_M +[0-9.]+ KiB +` + regexp.QuoteMeta(mine) + ` \(your file\) +MISSING$`,
		`^tiny-model:Q8_0 +Q8_0 +[0-9.]+ KiB +` + regexp.QuoteMeta(filepath.Join(home, "models", "tiny-model-Q8_0.gguf")) + ` \(Nibble's copy\)$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("list:\n%s", out)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("list line %q does not match %s", lines[i], re)
		}
	}
	if !strings.Contains(stderr, "1 file(s) in the models folder are not in the catalog") || !strings.Contains(stderr, "stray.gguf") {
		t.Errorf("no note about the orphan: %q", stderr)
	}
}

// TestDamagedCatalog: a command on a damaged catalog starts a new one and
// says where the old file was kept.
func TestDamagedCatalog(t *testing.T) {
	home := catalogHome(t)
	os.WriteFile(filepath.Join(home, "catalog.db"), []byte("not a database"), 0o600)
	out, stderr, err := run(t, "list")
	if err != nil || !strings.Contains(out, "No models yet") {
		t.Fatalf("list on a damaged catalog: %q, %v", out, err)
	}
	kept, _ := filepath.Glob(filepath.Join(home, "catalog.db.bad-*"))
	if len(kept) != 1 || !strings.Contains(stderr, "damaged") || !strings.Contains(stderr, kept[0]) {
		t.Errorf("backups %v, stderr %q", kept, stderr)
	}
}
