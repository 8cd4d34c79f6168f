package state

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/hw"
	"nibble/engine/refdata"
	"nibble/quant/advise"
)

const gib = 1 << 30

// TestCapacity: the size that runs well follows the free memory, and is
// exactly the advisor's bound: a tenth of a billion more no longer runs
// well.
func TestCapacity(t *testing.T) {
	for _, tc := range []struct {
		ram      hw.RAM
		min, max float64 // billions, worked out by hand from the formula
		sentence string
	}{
		// 0.8 · 12 GiB = 9.6 GiB, less 60 MiB fixed, at 0.68 GB a billion.
		{hw.RAM{Total: 16 * gib, Available: 12 * gib}, 15, 15.2, "about 15 billion"},
		{hw.RAM{Total: 8 * gib, Available: 6 * gib}, 7.4, 7.6, "about 7."},
		{hw.RAM{Total: 32 * gib, Available: 28 * gib}, 35, 35.5, "about 35 billion"},
		// Available unknown: total less the system's reserve, 6 GiB.
		{hw.RAM{Total: 8 * gib}, 7.4, 7.6, "about 7."},
		{hw.RAM{Total: 4 * gib, Available: gib}, 1.1, 1.2, "about 1.1 billion"},
		{hw.RAM{Total: 4 * gib, Available: gib / 4}, 0.1, 0.3, "Only very small models"},
		{hw.RAM{Total: 2 * gib, Available: 50 << 20}, 0, 0, "Only very small models"},
		{hw.RAM{}, 0, 0, "could not read"},
	} {
		n := Capacity(tc.ram)
		if n < tc.min || n > tc.max {
			t.Errorf("Capacity(%+v) = %v billion, want %v to %v", tc.ram, n, tc.min, tc.max)
		}
		if tc.ram.Total > 0 && n > 0 {
			if v := advise.VerdictFor(typicalMemory(n), tc.ram); v != advise.RunsWell {
				t.Errorf("%+v: %v billion gets %q, want %q", tc.ram, n, v, advise.RunsWell)
			}
			if v := advise.VerdictFor(typicalMemory(n+0.1), tc.ram); v == advise.RunsWell {
				t.Errorf("%+v: %v billion runs well too, Capacity stopped short", tc.ram, n+0.1)
			}
		}
		if s := CapacitySentence(tc.ram); !strings.Contains(s, tc.sentence) {
			t.Errorf("CapacitySentence(%+v) = %q, want it to say %q", tc.ram, s, tc.sentence)
		}
	}
}

// TestComputer: every part of the computer is described in human units,
// unknown parts say so, and graphics always come with the word that Nibble
// runs on the processor.
func TestComputer(t *testing.T) {
	full := hw.Report{
		RAM:  hw.RAM{Total: 16 * gib, Available: 12 * gib},
		CPU:  hw.CPU{Model: "Ryzen 7", PhysicalCores: 8, LogicalCores: 16},
		GPUs: []hw.GPU{{Name: "GeForce RTX 4060", Vendor: "NVIDIA", VRAM: 8 * gib}, {Name: "Radeon 780M", Shared: true}},
		Disk: &hw.Disk{Path: "/home/u/models", Free: 120 * gib},
	}
	for _, tc := range []struct {
		name string
		r    hw.Report
		want []Fact
	}{
		{"full", full, []Fact{
			{"Memory", "16 GB, 12 GB free now"},
			{"Processor", "Ryzen 7, 8 cores"},
			{"Graphics", "GeForce RTX 4060 with 8.0 GB of its own memory; Radeon 780M (uses the main memory). Nibble runs models on the processor, so graphics do not change what fits."},
			{"Free disk space", "120 GB free where models go (/home/u/models)"},
		}},
		{"unknown", hw.Report{}, []Fact{
			{"Memory", "Not known"},
			{"Processor", "Not known"},
			{"Graphics", "Not known. Nibble runs models on the processor, so graphics do not change what fits."},
		}},
		{"no GPU", hw.Report{RAM: hw.RAM{Total: 8 * gib}, CPU: hw.CPU{PhysicalCores: 2}, GPUsComplete: true}, []Fact{
			{"Memory", "8.0 GB"},
			{"Processor", "Unknown model, 2 cores"},
			{"Graphics", "None found. Nibble runs models on the processor, so graphics do not change what fits."},
		}},
	} {
		if got := Computer(tc.r); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Computer =\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}

// newWelcomeTest returns a welcome over a new catalog in a temporary folder
// whose Downloads folder holds the files named in downloads (copies of the
// shared test models, or other files), and that folder.
func newWelcomeTest(t *testing.T, downloads map[string]string) (*Welcome, *catalog.Catalog, string) {
	t.Helper()
	c := newCatalog(t)
	dl := t.TempDir()
	for name, from := range downloads {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dl, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	probe := func(context.Context) hw.Report {
		return hw.Report{RAM: hw.RAM{Total: 16 * gib, Available: 12 * gib}, GPUs: []hw.GPU{}}
	}
	w := NewWelcome(service.New(c, probe), func() (catalog.Locations, error) {
		return catalog.Locations{Downloads: dl}, nil
	})
	return w, c, dl
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func statuses(fs []Found) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		m[f.Name] = f.Status
	}
	return m
}

// TestWelcomeFindAndAdd: Start probes the computer and lists the models in
// the Downloads folder (split ones and those in the library marked), "Add
// selected" links the selected ones into the catalog, and Finish records
// the welcome as seen.
func TestWelcomeFindAndAdd(t *testing.T) {
	f32 := refdata.Path(t, "models/ts5m-F32.gguf")
	q4 := refdata.Path(t, "models/ts5m-Q4_K_M.gguf")
	tiny := refdata.Path(t, "models/stories260K-f32.gguf")
	w, c, dl := newWelcomeTest(t, map[string]string{
		"a-F32.gguf": f32, "b-Q4_K_M.gguf": q4, "c.gguf": tiny,
		"big-00001-of-00002.gguf": tiny,
	})
	if _, err := c.Import(context.Background(), filepath.Join(dl, "c.gguf"), catalog.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	changes := make(chan struct{}, 100)
	w.Listen(func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	})
	w.Start(context.Background())
	waitUntil(t, "the search", func() bool { return !w.Scanning() })
	waitUntil(t, "the hardware", func() bool { _, ok := w.Hardware(); return ok })
	if len(changes) == 0 {
		t.Error("the listeners were not told")
	}
	want := map[string]string{
		"a-F32": "", "b-Q4_K_M": "", "c": "Already in your library",
		"big": "Split into several files: Nibble cannot use these yet",
	}
	if got := statuses(w.Found()); !maps.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}
	for i, f := range w.Found() {
		if f.Selected != f.CanAdd() {
			t.Errorf("%s: selected %v after the search, want those that can be added selected", f.Name, f.Selected)
		}
		if f.Source != catalog.SourceDownloads || !strings.HasPrefix(f.Detail(), "Downloads · ") {
			t.Errorf("%s: source %q, detail %q", f.Name, f.Source, f.Detail())
		}
		w.Select(i, f.Name != "b-Q4_K_M") // selecting c and big does nothing
	}
	w.AddSelected(context.Background())
	waitUntil(t, "the addition", func() bool { adding, _ := w.Adding(); return !adding })
	want["a-F32"] = "Added"
	if got := statuses(w.Found()); !maps.Equal(got, want) {
		t.Errorf("after adding: %v, want %v", got, want)
	}
	e, _, err := c.LookupFile(filepath.Join(dl, "a-F32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if v := e.Variants[0]; v.Owned || v.Path != filepath.Join(dl, "a-F32.gguf") {
		t.Errorf("added as %+v, want the file linked where it is", v)
	}
	if _, _, err := c.LookupFile(filepath.Join(dl, "b-Q4_K_M.gguf")); err == nil {
		t.Error("the model not selected was added")
	}

	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, set, _ := c.Setting(SettingWelcomed); !set {
		t.Error("Finish did not record the welcome")
	}
}

// TestWelcomeAddPaths: picked files and folders are added as the library
// adds them, and Note says what happened.
func TestWelcomeAddPaths(t *testing.T) {
	q4 := refdata.Path(t, "models/ts5m-Q4_K_M.gguf")
	tiny := refdata.Path(t, "models/stories260K-f32.gguf")
	w, c, _ := newWelcomeTest(t, nil)
	folder := t.TempDir()
	for name, from := range map[string]string{"x.gguf": q4, "sub/y.gguf": tiny} {
		data, _ := os.ReadFile(from)
		os.MkdirAll(filepath.Dir(filepath.Join(folder, name)), 0o755)
		os.WriteFile(filepath.Join(folder, name), data, 0o644)
	}
	notModel := filepath.Join(t.TempDir(), "notes.gguf")
	os.WriteFile(notModel, []byte("hello"), 0o644)

	for _, tc := range []struct {
		paths  []string
		note   string
		models int // in the catalog afterwards
	}{
		{[]string{folder}, "Added 2 models to your library.", 2},
		{[]string{notModel}, "This file is not a model Nibble can use. notes.gguf: Nibble runs models", 2},
		{[]string{t.TempDir()}, "There are no models in this folder.", 2},
		{[]string{filepath.Join(folder, "x.gguf")}, "This model is already in your library.", 2},
	} {
		w.AddPaths(context.Background(), tc.paths)
		waitUntil(t, "the addition", func() bool { adding, _ := w.Adding(); return !adding })
		if !strings.HasPrefix(w.Note(), tc.note) {
			t.Errorf("adding %v: note %q, want %q", tc.paths, w.Note(), tc.note)
		}
		if entries, _ := c.List(); len(entries) != tc.models {
			t.Errorf("adding %v: the catalog has %d models, want %d", tc.paths, len(entries), tc.models)
		}
	}
}

// TestWelcomeConvertsFolder: a Hugging Face folder picked in the welcome is
// converted with the library's Add, its progress in words, and Cancel
// stops it leaving nothing in the catalog.
func TestWelcomeConvertsFolder(t *testing.T) {
	w, c, _ := newWelcomeTest(t, nil)
	var texts []string
	var once sync.Once
	w.Listen(func() {
		if adding, p := w.Adding(); adding && p.Converting && p.Convert.BytesDone > 0 {
			once.Do(func() { texts = append(texts, p.Text()); w.CancelAdd() })
		}
	})
	w.AddPaths(context.Background(), []string{refdata.Path(t, "hf/ts5m")})
	waitUntil(t, "the conversion", func() bool { adding, _ := w.Adding(); return !adding })
	if len(texts) != 1 || !strings.HasPrefix(texts[0], "Converting ") {
		t.Errorf("progress shown: %q", texts)
	}
	if entries, _ := c.List(); len(entries) != 0 || !strings.HasPrefix(w.Note(), "Cancelled.") {
		t.Errorf("after Cancel: %d models, note %q", len(entries), w.Note())
	}
}
