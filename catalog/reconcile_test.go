package catalog

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestReconcile(t *testing.T) {
	c := openTest(t, "")
	ctx := context.Background()
	dir := t.TempDir()
	user := filepath.Join(dir, "mine.gguf")
	writeModel(t, user, tinyLlama)
	im, err := c.Import(ctx, user, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	linked, _ := im.Wait()
	copySrc := filepath.Join(dir, "other.gguf")
	other := tinyLlama
	other.fileType = 7
	writeModel(t, copySrc, other)
	im, err = c.Import(ctx, copySrc, ImportOptions{Mode: Copy})
	if err != nil {
		t.Fatal(err)
	}
	copied, _ := im.Wait()

	modelsDir, _ := c.ModelsDir()
	orphan := filepath.Join(modelsDir, "orphan.gguf")
	writeModel(t, orphan, tinyLlama)
	partial := filepath.Join(modelsDir, "."+"x.gguf.tmp-12345")
	os.WriteFile(partial, []byte("GGUF half a mod"), 0o644)
	notes := filepath.Join(modelsDir, "README.txt")
	os.WriteFile(notes, []byte("mine"), 0o644)
	hidden := filepath.Join(t.TempDir(), "moved-away.gguf")
	if err := os.Rename(user, hidden); err != nil {
		t.Fatal(err)
	}

	r, err := c.Reconcile()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Missing) != 1 || r.Missing[0].ID != linked.ID || !r.Missing[0].Missing || len(r.Back) != 0 {
		t.Errorf("missing %+v, back %+v; want the moved file's variant", r.Missing, r.Back)
	}
	if !slices.Equal(r.Orphans, []string{orphan}) || !slices.Equal(r.Removed, []string{partial}) {
		t.Errorf("orphans %v, removed %v; want %s, %s", r.Orphans, r.Removed, orphan, partial)
	}
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Errorf("partial file still there: %v", err)
	}
	for _, keep := range []string{orphan, notes, copied.Path} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("Reconcile deleted %s: %v", keep, err)
		}
	}
	e, _ := c.Lookup("tiny-llama-1b:Q4_K_M")
	if !e.Variants[0].Missing {
		t.Errorf("the missing variant is not marked: %+v", e.Variants[0])
	}
	if r, _ := c.Reconcile(); len(r.Missing)+len(r.Back)+len(r.Removed) != 0 {
		t.Errorf("second Reconcile changed things: %+v", r)
	}

	os.Rename(hidden, user)
	r, err = c.Reconcile()
	if err != nil || len(r.Back) != 1 || r.Back[0].ID != linked.ID || r.Back[0].Missing {
		t.Errorf("after the file came back: %+v, %v", r, err)
	}

	// Move adopts the orphan where it is.
	im, err = c.Import(ctx, orphan, ImportOptions{Mode: Move})
	if err != nil {
		t.Fatal(err)
	}
	if im.Variant.Path != orphan || !im.Variant.Owned {
		t.Errorf("adopted orphan: %+v", im.Variant)
	}
	im.Wait()
	if r, _ := c.Reconcile(); len(r.Orphans) != 0 {
		t.Errorf("orphans after adoption: %v", r.Orphans)
	}
}
