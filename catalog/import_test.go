package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"nibble/engine/gguf"
)

func TestImportModes(t *testing.T) {
	for _, mode := range []ImportMode{Link, Copy, Move} {
		t.Run(mode.String(), func(t *testing.T) {
			c := openTest(t, "")
			src := filepath.Join(t.TempDir(), "tinyllama-1b.Q4_K_M.gguf")
			sum := writeModel(t, src, tinyLlama)
			size := fileSize(t, src)
			var mu sync.Mutex
			var lastDone, lastTotal int64
			im, err := c.Import(context.Background(), src, ImportOptions{Mode: mode, Progress: func(done, total int64) {
				mu.Lock()
				lastDone, lastTotal = done, total
				mu.Unlock()
			}})
			if err != nil {
				t.Fatal(err)
			}
			v, err := im.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if v.SHA256 != sum {
				t.Errorf("sha256 %s, want %s", v.SHA256, sum)
			}
			if lastDone != size || lastTotal != size {
				t.Errorf("last progress %d/%d, want %d/%d", lastDone, lastTotal, size, size)
			}
			m := im.Model
			if m.Name != "tiny-llama-1b" || m.DisplayName != "Tiny Llama 1B" || m.Architecture != "llama" ||
				m.Parameters != 1000 || m.ContextLength != 2048 || m.License != "apache-2.0" || m.Source != src {
				t.Errorf("model %+v", m)
			}
			modelsDir, _ := c.ModelsDir()
			wantOwned := mode != Link
			wantPath := src
			if wantOwned {
				wantPath = filepath.Join(modelsDir, "tiny-llama-1b-Q4_K_M.gguf")
			}
			if v.Tag != "Q4_K_M" || v.Level != "Q4_K_M" || v.Size != size || v.Owned != wantOwned || v.Path != wantPath {
				t.Errorf("variant %+v; want tag Q4_K_M, %d bytes, owned %v, at %s", v, size, wantOwned, wantPath)
			}
			if got := fileHash(t, v.Path); got != sum {
				t.Errorf("the catalog's file has sha256 %s, want %s", got, sum)
			}
			_, err = os.Stat(src)
			if srcKept := err == nil; srcKept != (mode != Move) {
				t.Errorf("original still there: %v", srcKept)
			}
			e, err := c.Lookup("Tiny-Llama-1B:q4_k_m")
			if err != nil || len(e.Variants) != 1 || e.Variants[0] != v {
				t.Errorf("Lookup: %+v, %v; want the stored variant %+v", e, err, v)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(modelsDir, ".*")); len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestImportGroupsVariants(t *testing.T) {
	c := openTest(t, "")
	dir := t.TempDir()
	ctx := context.Background()
	importFile := func(name string, m testModel, opts ImportOptions) Variant {
		t.Helper()
		path := filepath.Join(dir, name)
		writeModel(t, path, m)
		im, err := c.Import(ctx, path, opts)
		if err != nil {
			t.Fatal(err)
		}
		v, err := im.Wait()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	f16 := tinyLlama
	f16.fileType = 1
	base := importFile("f16.gguf", f16, ImportOptions{})
	importFile("q4.gguf", tinyLlama, ImportOptions{QuantizedFrom: base.ID})
	again := tinyLlama
	again.seed = 2
	importFile("q4-again.gguf", again, ImportOptions{Mode: Copy})
	qwen := tinyLlama
	qwen.arch = "qwen2"
	importFile("qwen.gguf", qwen, ImportOptions{})
	noName := tinyLlama
	noName.name, noName.fileType = "", -1
	importFile("Some-Model-7B.IQ2_XS.gguf", noName, ImportOptions{})
	importFile("blob", noName, ImportOptions{Name: "llama3.2:1b"})

	es, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		for _, v := range e.Variants {
			got = append(got, e.Model.Ref(v)+" "+e.Model.Architecture)
		}
	}
	want := []string{
		"llama3.2-1b:unknown llama",
		"some-model-7b:unknown llama",
		"tiny-llama-1b:F16 llama",
		"tiny-llama-1b:Q4_K_M llama",
		"tiny-llama-1b:Q4_K_M-2 llama",
		"tiny-llama-1b-2:Q4_K_M qwen2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("catalog:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	e, err := c.Lookup("tiny-llama-1b:Q4_K_M")
	if err != nil || e.Variants[0].QuantizedFrom != base.ID {
		t.Errorf("quantized from: %+v, %v; want %d", e, err, base.ID)
	}
	if _, err := c.Lookup("tiny-llama-1b:Q8_0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of a missing tag: %v", err)
	}
	if _, err := c.Lookup("nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of a missing model: %v", err)
	}

	// By file: a relative path and a symbolic link find the variant too.
	link := filepath.Join(t.TempDir(), "link.gguf")
	if err := os.Symlink(filepath.Join(dir, "q4.gguf"), link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, path := range []string{filepath.Join(dir, "q4.gguf"), "q4.gguf", link} {
		e, others, err := c.LookupFile(path)
		if err != nil {
			t.Errorf("LookupFile(%s): %v", path, err)
		} else if e.Model.Ref(e.Variants[0]) != "tiny-llama-1b:Q4_K_M" || len(others) != 2 {
			t.Errorf("LookupFile(%s) = %s, %d others, %v", path, e.Model.Ref(e.Variants[0]), len(others), err)
		}
	}
	if _, _, err := c.LookupFile(filepath.Join(dir, "nothing.gguf")); !errors.Is(err, ErrNotFound) {
		t.Errorf("LookupFile of a file not in the catalog: %v", err)
	}
}

func TestImportErrors(t *testing.T) {
	c := openTest(t, "")
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.gguf")
	os.WriteFile(notes, []byte("these are my notes, not a model"), 0o644)
	split := tinyLlama
	split.split = 3
	writeModel(t, filepath.Join(dir, "big-00001-of-00003.gguf"), split)
	noArch := tinyLlama
	noArch.arch = ""
	writeModel(t, filepath.Join(dir, "noarch.gguf"), noArch)
	linked := filepath.Join(dir, "linked.gguf")
	writeModel(t, linked, tinyLlama)
	if _, err := c.Import(context.Background(), linked, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		mode ImportMode
		is   error
		want string
	}{
		{notes, Link, gguf.ErrNotGGUF, "not a GGUF file"},
		{filepath.Join(dir, "missing.gguf"), Copy, os.ErrNotExist, "missing.gguf"},
		{filepath.Join(dir, "big-00001-of-00003.gguf"), Link, ErrSplitModel, "3 parts"},
		{filepath.Join(dir, "noarch.gguf"), Link, nil, "general.architecture missing"},
		{linked, Link, ErrExists, "as tiny-llama-1b:Q4_K_M"},
		{linked, Move, ErrExists, "as tiny-llama-1b:Q4_K_M"},
		{filepath.Join(dir, ".", "linked.gguf"), Link, ErrExists, "as tiny-llama-1b:Q4_K_M"},
	} {
		_, err := c.Import(context.Background(), tc.path, ImportOptions{Mode: tc.mode})
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("import %s (%v): %v; want %v mentioning %q", tc.path, tc.mode, err, tc.is, tc.want)
		}
	}
	if es, _ := c.List(); len(es) != 1 || len(es[0].Variants) != 1 {
		t.Errorf("failed imports left entries: %+v", es)
	}
	if _, err := os.Stat(linked); err != nil {
		t.Errorf("a refused move took the file: %v", err)
	}
}

// TestImportCancel cancels a copy half-way, then the hashing of a link.
func TestImportCancel(t *testing.T) {
	c := openTest(t, "")
	src := filepath.Join(t.TempDir(), "big.gguf")
	big := tinyLlama
	big.elems = 1 << 20 // 4 MiB: several chunks
	sum := writeModel(t, src, big)

	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Import(ctx, src, ImportOptions{Mode: Copy, Progress: func(done, total int64) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled copy: %v", err)
	}
	modelsDir, _ := c.ModelsDir()
	if files, _ := os.ReadDir(modelsDir); len(files) > 0 {
		t.Errorf("a cancelled copy left %v", files)
	}
	if es, _ := c.List(); len(es) > 0 {
		t.Errorf("a cancelled copy left entries: %+v", es)
	}

	ctx, cancel = context.WithCancel(context.Background())
	im, err := c.Import(ctx, src, ImportOptions{Progress: func(done, total int64) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	v, err := im.Wait()
	if !errors.Is(err, context.Canceled) || v.SHA256 != "" || v.ID == 0 {
		t.Errorf("cancelled hashing: %+v, %v; want the variant without a hash", v, err)
	}
	e, err := c.Lookup("tiny-llama-1b")
	if err != nil || len(e.Variants) != 1 || e.Variants[0].SHA256 != "" {
		t.Fatalf("after cancelled hashing: %+v, %v", e, err)
	}
	v, err = c.Hash(context.Background(), v.ID, nil)
	if err != nil || v.SHA256 != sum {
		t.Errorf("Hash: %s, %v; want %s", v.SHA256, err, sum)
	}
}

// slowHash imports a 4 MiB file by link with a progress callback that
// slows the hashing down (20 ms a chunk), and returns once hashing started.
func slowHash(t *testing.T, c *Catalog) *Import {
	t.Helper()
	src := filepath.Join(t.TempDir(), "big.gguf")
	big := tinyLlama
	big.elems = 1 << 20
	writeModel(t, src, big)
	started := make(chan struct{})
	var once sync.Once
	im, err := c.Import(context.Background(), src, ImportOptions{Progress: func(done, total int64) {
		once.Do(func() { close(started) })
		time.Sleep(20 * time.Millisecond)
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	return im
}

// TestCloseStopsHashing closes the catalog while a hash is running: the
// variant stays, without a hash.
func TestCloseStopsHashing(t *testing.T) {
	c := openTest(t, "")
	im := slowHash(t, c)
	closeTest(t, c)
	if _, err := im.Wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("hashing after Close: %v, want it cancelled", err)
	}
	c = openTest(t, c.Dir())
	if es, _ := c.List(); len(es) != 1 || es[0].Variants[0].SHA256 != "" {
		t.Errorf("after Close: %+v", es)
	}
}

// TestRemoveWhileHashing removes a variant being hashed: Remove stops the
// hashing (Windows could not delete the file otherwise).
func TestRemoveWhileHashing(t *testing.T) {
	c := openTest(t, "")
	im := slowHash(t, c)
	if _, err := c.Remove([]uint64{im.Variant.ID}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("hashing of a removed variant: %v, want it cancelled", err)
	}
	if _, err := os.Stat(im.Variant.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file still there: %v", err)
	}
}

func TestRemove(t *testing.T) {
	c := openTest(t, "")
	dir := t.TempDir()
	ctx := context.Background()
	add := func(name string, mode ImportMode, fileType int) Variant {
		t.Helper()
		m := tinyLlama
		m.fileType = fileType
		path := filepath.Join(dir, name)
		writeModel(t, path, m)
		im, err := c.Import(ctx, path, ImportOptions{Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		v, err := im.Wait()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	copied := add("a.gguf", Copy, 1)
	linked := add("b.gguf", Link, 7)
	linked2 := add("c.gguf", Link, 15)

	if _, err := c.Remove([]uint64{copied.ID, 999}, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove with an unknown id: %v", err)
	}
	if es, _ := c.List(); len(es) != 1 || len(es[0].Variants) != 3 {
		t.Fatalf("a failed Remove removed something: %+v", es)
	}
	removed, err := c.Remove([]uint64{copied.ID, linked.ID}, false)
	if err != nil || len(removed) != 2 {
		t.Fatalf("Remove: %v, %v", removed, err)
	}
	if _, err := os.Stat(copied.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Nibble's copy was not deleted: %v", err)
	}
	if _, err := os.Stat(linked.Path); err != nil {
		t.Errorf("the user's file was deleted: %v", err)
	}
	e, err := c.Lookup("tiny-llama-1b")
	if err != nil || len(e.Variants) != 1 {
		t.Fatalf("after removing 2 of 3: %+v, %v", e, err)
	}
	if _, err := c.Remove([]uint64{linked2.ID}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(linked2.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("deleteUserFiles did not delete: %v", err)
	}
	if es, _ := c.List(); len(es) != 0 {
		t.Errorf("the model without variants stayed: %+v", es)
	}
}

func TestMeasurements(t *testing.T) {
	dir := t.TempDir()
	c := openTest(t, dir)
	src := filepath.Join(t.TempDir(), "m.gguf")
	writeModel(t, src, tinyLlama)
	im, err := c.Import(context.Background(), src, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	im.Wait()
	q := Quality{Reference: 7, KLD: 0.0123, SameTop: 0.951, PPL: 8.25}
	if _, err := c.SetQuality(im.Variant.ID, q); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSpeed(im.Variant.ID, Speed{TokensPerSecond: 23.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSpeed(12345, Speed{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetSpeed of an unknown variant: %v", err)
	}
	closeTest(t, c)
	c = openTest(t, dir)
	e, err := c.Lookup("tiny-llama-1b")
	if err != nil {
		t.Fatal(err)
	}
	v := e.Variants[0]
	if v.Quality == nil || *v.Quality != q || v.Speed == nil || v.Speed.TokensPerSecond != 23.5 {
		t.Errorf("measurements after reopening: %+v, %+v", v.Quality, v.Speed)
	}
}
