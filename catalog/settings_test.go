package catalog

import (
	"context"
	"path/filepath"
	"testing"
)

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	c := openTest(t, dir)
	if _, ok, err := c.Setting("theme"); ok || err != nil {
		t.Errorf("unset setting: %v, %v", ok, err)
	}
	if err := c.SetSetting("theme", "dark"); err != nil {
		t.Fatal(err)
	}
	models := filepath.Join(t.TempDir(), "elsewhere")
	if err := c.SetModelsDir(models); err != nil {
		t.Fatal(err)
	}
	closeTest(t, c)

	c = openTest(t, dir)
	if v, ok, err := c.Setting("theme"); v != "dark" || !ok || err != nil {
		t.Errorf("theme after reopening: %q, %v, %v", v, ok, err)
	}
	if got, _ := c.ModelsDir(); got != models {
		t.Errorf("models folder %q, want %q", got, models)
	}
	for range 2 { // the second time, there is nothing to delete
		if err := c.DeleteSetting("theme"); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := c.Setting("theme"); ok || v != "" || err != nil {
			t.Errorf("theme after deleting it: %q, %v, %v", v, ok, err)
		}
	}
	src := filepath.Join(t.TempDir(), "m.gguf")
	writeModel(t, src, tinyLlama)
	im, err := c.Import(context.Background(), src, ImportOptions{Mode: Copy})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(im.Variant.Path) != models {
		t.Errorf("copy went to %s, want the models folder %s", im.Variant.Path, models)
	}
}
