package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/refdata"
	"nibble/ui/state"
)

// BenchmarkStartup measures Nibble's start with 50 models in the catalog:
// opening the catalog, bringing it in line with the disk, and building and
// laying out the first screen (the library), in Fyne's headless driver.
// The issue asks for a usable window in under 2 s; README.md has the
// figure for the real window (GL driver) too.
//
//	go test -tags ci -run '^$' -bench Startup ./ui
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	fiftyModels(b, dir)
	test.NewTempApp(b)
	b.ResetTimer()
	for b.Loop() {
		c, err := catalog.Open(catalog.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		w := test.NewWindow(nil)
		w.Resize(fyne.NewSize(1024, 640))
		open(w, service.New(c, testHardware))
		test.LaidOutObjects(w.Canvas().Content()) // every widget rendered
		b.StopTimer()
		w.Close()
		c.Close()
		b.StartTimer()
	}
}

// fiftyModels fills the catalog in dir with 50 models, each a copy of the
// shared stories260K model (1.2 MB) under its own name, imported as a
// user's file would be, and marks the welcome as seen so that the library
// opens.
func fiftyModels(b *testing.B, dir string) {
	c, err := catalog.Open(catalog.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	data, err := os.ReadFile(refdata.Path(b, "models/stories260K-f32.gguf"))
	if err != nil {
		b.Fatal(err)
	}
	files := filepath.Join(dir, "files")
	os.Mkdir(files, 0o755)
	for i := range 50 {
		path := filepath.Join(files, fmt.Sprintf("model-%02d.gguf", i))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
		im, err := c.Import(context.Background(), path, catalog.ImportOptions{Name: fmt.Sprintf("Story model %02d", i)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := im.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.SetSetting(state.SettingWelcomed, "yes"); err != nil {
		b.Fatal(err)
	}
}
