package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/gguf"
	"nibble/engine/hw"
	"nibble/engine/refdata"
	"nibble/quant/advise"
)

// TestMain keeps the tests away from the keyring of whoever runs them
// (service.HubToken reads it): an in-memory one answers.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

// computerWith is a computer with total bytes of memory, available of them
// free.
func computerWith(total, available uint64) func(context.Context) hw.Report {
	return func(context.Context) hw.Report {
		return hw.Report{OS: "linux", Arch: "amd64", RAM: hw.RAM{Total: total, Available: available},
			CPU: hw.CPU{PhysicalCores: 2, LogicalCores: 2}, GPUs: []hw.GPU{}, GPUsComplete: true}
	}
}

// laptop is a 16 GB computer with 12 GB free, on which the test models run
// well.
var laptop = computerWith(16<<30, 12<<30)

// newCatalog opens an empty catalog in a temporary folder, closed at the
// end of the test.
func newCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Open(catalog.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newService is newCatalog with a Service over it playing computer.
func newService(t *testing.T, computer func(context.Context) hw.Report) *service.Service {
	t.Helper()
	return service.New(newCatalog(t), computer)
}

// importModel links the shared test model name (e.g. "ts5m-F32") into svc's
// catalog, or copies it into a temporary folder first when userCopy is set
// (so the test may delete the user's file), and returns the variant.
func importModel(t *testing.T, svc *service.Service, name string, mode catalog.ImportMode, userCopy bool) catalog.Variant {
	t.Helper()
	path := refdata.Path(t, "models/"+name+".gguf")
	if userCopy {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(t.TempDir(), name+".gguf")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	im, err := svc.Catalog.Import(context.Background(), path, catalog.ImportOptions{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return im.Variant
}

// variantRow finds the row of the variant tagged tag in rows.
func variantRow(t *testing.T, rows []ModelRow, tag string) VariantRow {
	t.Helper()
	for _, m := range rows {
		for _, v := range m.Variants {
			if v.Tag == tag {
				return v
			}
		}
	}
	t.Fatalf("no variant %s in the library", tag)
	return VariantRow{}
}

// TestLibraryBadges: the list shows from the catalog alone, "checking…"
// until MeasureFits has read the files; then every present variant has the
// verdict of its memory need on this computer, and a missing file says so.
func TestLibraryBadges(t *testing.T) {
	// ts5m-F32 needs about 50 MiB at its default context (256 tokens).
	const need = 50 << 20
	for _, tc := range []struct {
		name     string
		computer func(context.Context) hw.Report
		want     advise.Verdict
	}{
		{"laptop", laptop, advise.RunsWell},
		{"busy", computerWith(advise.SystemReserve+need+need/10, need+need/10), advise.Tight},
		{"tiny", computerWith(advise.SystemReserve+10<<20, 10<<20), advise.TooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(t, tc.computer)
			importModel(t, svc, "ts5m-F32", catalog.Link, false)
			gone := importModel(t, svc, "ts5m-Q8_0", catalog.Link, true)
			if err := os.Remove(gone.Path); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Catalog.Reconcile(); err != nil {
				t.Fatal(err)
			}
			l := NewLibrary(svc)
			if err := l.Load(); err != nil {
				t.Fatal(err)
			}
			rows := l.Models()
			if len(rows) != 1 || len(rows[0].Variants) != 2 {
				t.Fatalf("library lists %+v, want one model with two variants", rows)
			}
			if v := variantRow(t, rows, "F32"); v.Badge != "" || v.BadgeNote != "checking…" || v.Level != "F32 · 32-bit" || v.Size != "22 MB" {
				t.Errorf("F32 before MeasureFits: badge %q (%q), level %q, size %q", v.Badge, v.BadgeNote, v.Level, v.Size)
			}
			l.MeasureFits(context.Background())
			rows = l.Models()
			if v := variantRow(t, rows, "F32"); v.Badge != tc.want || !strings.HasPrefix(v.BadgeNote, "needs about 5") {
				t.Errorf("F32 badge %q (%q), want %q", v.Badge, v.BadgeNote, tc.want)
			}
			if v := variantRow(t, rows, "Q8_0"); !v.Missing || v.Badge != "" || v.BadgeNote != "The file is missing" {
				t.Errorf("missing Q8_0: missing %v, badge %q (%q)", v.Missing, v.Badge, v.BadgeNote)
			}
		})
	}
}

// TestLibraryMeasured: what the catalog measured shows in words, the
// quality with its figures in the details; the reference variant says it
// is the reference.
func TestLibraryMeasured(t *testing.T) {
	svc := newService(t, laptop)
	f32 := importModel(t, svc, "ts5m-F32", catalog.Link, false)
	v := importModel(t, svc, "ts5m-Q4_0", catalog.Link, false)
	measured := time.Date(2025, 6, 1, 12, 0, 0, 0, time.Local)
	if _, err := svc.Catalog.SetQuality(v.ID, catalog.Quality{Reference: f32.ID, KLD: 0.03, SameTop: 0.91, PPL: 12.345, PPLReference: 12.1,
		AgreementTokens: 18.25, AgreementOf: 32, Measured: measured}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Catalog.SetQuality(f32.ID, catalog.Quality{Reference: f32.ID, SameTop: 1, PPL: 12.1, PPLReference: 12.1, Measured: measured}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Catalog.SetSpeed(v.ID, catalog.Speed{TokensPerSecond: 1234.4}); err != nil {
		t.Fatal(err)
	}
	l := NewLibrary(svc)
	l.Load()
	rows := l.Models()
	r := variantRow(t, rows, "Q4_0")
	if r.Quality != "Quality: small loss — picks the original's next word 91% of the time" || r.Check != "Check again" || !r.CanCheck {
		t.Errorf("quality %q, button %q (enabled %v)", r.Quality, r.Check, r.CanCheck)
	}
	if r.Speed != "Speed: about 930 words a second" {
		t.Errorf("speed %q", r.Speed)
	}
	if r := variantRow(t, rows, "F32"); r.Quality != "Quality: this is the reference the others are compared with" {
		t.Errorf("reference: %q", r.Quality)
	}
	for _, tc := range []struct {
		v    catalog.Variant
		want map[string]string
	}{
		{v, map[string]string{
			"Quality":         "Small loss, compared with your F32 version",
			"Same next word":  "Picks the original's next word 91.0% of the time",
			"KL divergence":   "0.0300 (how far its word choices are from the original's; 0 is identical)",
			"Perplexity":      "12.35, against 12.10 for your F32 version (how surprised the model is by the sample text; lower is better)",
			"Writes the same": "Agrees with the original for 18.2 of 32 word pieces on average, writing from the same start",
			"Quality checked": "2025-06-01, on a sample text shipped with Nibble",
		}},
		{f32, map[string]string{
			"Quality":         "This is the reference the others are compared with",
			"Perplexity":      "12.10 (how surprised the model is by the sample text; lower is better)",
			"Quality checked": "2025-06-01, on a sample text shipped with Nibble",
			"KL divergence":   "",
		}},
	} {
		got := map[string]string{}
		for _, d := range l.Details(rows[0].Model, tc.v) {
			got[d.Label] = d.Value
		}
		for label, want := range tc.want {
			if got[label] != want {
				t.Errorf("%s details: %s %q, want %q", tc.v.Tag, label, got[label], want)
			}
		}
	}
}

// TestLibraryCheckQuality: checking a variant's quality shows its progress
// in its row, allows no second check meanwhile, then shows the quality
// measured; cancelling stores nothing and says nothing; a check that fails
// says why in plain words.
func TestLibraryCheckQuality(t *testing.T) {
	svc := newService(t, laptop)
	importModel(t, svc, "ts5m-F32", catalog.Link, false)
	q4 := importModel(t, svc, "ts5m-Q4_K_M", catalog.Link, false)
	gone := importModel(t, svc, "ts5m-Q8_0", catalog.Link, true)
	l := NewLibrary(svc)
	l.Load()
	if r := variantRow(t, l.Models(), "Q4_K_M"); r.Quality != "Quality not checked yet" || r.Check != "Check quality" || !r.CanCheck || r.Checking != nil {
		t.Errorf("before checking: %q, button %q (enabled %v), checking %v", r.Quality, r.Check, r.CanCheck, r.Checking)
	}

	var mu sync.Mutex
	var shown []string // the progress texts of Q4_K_M's row
	var others []bool  // CanCheck of the F32 row meanwhile
	var second error   // a second check started meanwhile
	cancelAt := -1     // the parts done at which to cancel, -1: never
	l.Listen(func() {
		rows := l.Models()
		r := variantRow(t, rows, "Q4_K_M")
		if r.Checking == nil {
			return
		}
		f32 := variantRow(t, rows, "F32")
		mu.Lock()
		defer mu.Unlock()
		shown = append(shown, r.Checking.Text())
		others = append(others, f32.CanCheck)
		if second == nil {
			_, second = l.CheckQuality(context.Background(), f32.Variant)
		}
		if r.Checking.Done == cancelAt {
			l.CancelCheck()
		}
	})

	q, err := l.CheckQuality(context.Background(), q4)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(shown) < 3 || shown[0] != "Checking quality…" || !slices.ContainsFunc(shown, func(s string) bool { return strings.HasPrefix(s, "Checking quality… part 2 of ") }) || slices.Contains(others, true) {
		t.Errorf("progress shown %q, F32 could be checked meanwhile: %v", shown, others)
	}
	if !errors.Is(second, errChecking) {
		t.Errorf("a second check meanwhile: %v", second)
	}
	mu.Unlock()
	r := variantRow(t, l.Models(), "Q4_K_M")
	want := fmt.Sprintf("Quality: %s — picks the original's next word %.0f%% of the time", advise.QualityOf(q.KLD), q.SameTop*100)
	if q.KLD <= 0 || r.Quality != want || r.Check != "Check again" || !r.CanCheck || r.Checking != nil || r.CheckProblem != "" {
		t.Errorf("after checking (KLD %g): %q, want %q; button %q (enabled %v), problem %q", q.KLD, r.Quality, want, r.Check, r.CanCheck, r.CheckProblem)
	}

	// Cancelled after the first part: the quality measured before stays.
	mu.Lock()
	shown, second, cancelAt = nil, errChecking, 1
	mu.Unlock()
	if _, err := l.CheckQuality(context.Background(), q4); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled check: %v", err)
	}
	if r := variantRow(t, l.Models(), "Q4_K_M"); r.Quality != want || r.CheckProblem != "" || r.Checking != nil || !r.CanCheck {
		t.Errorf("after cancelling: %q, problem %q, checking %v", r.Quality, r.CheckProblem, r.Checking)
	}
	if e, _, _ := svc.Catalog.LookupFile(q4.Path); !e.Variants[0].Quality.Measured.Equal(q.Measured) {
		t.Errorf("cancelling changed the quality stored: %+v", e.Variants[0].Quality)
	}

	if err := os.Remove(gone.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CheckQuality(context.Background(), gone); err == nil {
		t.Fatal("checked a missing file")
	}
	if r := variantRow(t, l.Models(), "Q8_0"); !strings.HasPrefix(r.CheckProblem, "Could not check the quality: A file is missing.") {
		t.Errorf("missing file: problem %q", r.CheckProblem)
	}
}

func TestLevelWords(t *testing.T) {
	for level, want := range map[string]string{
		"Q4_K_M": "Q4_K_M · 4-bit", "Q8_0": "Q8_0 · 8-bit", "F16": "F16 · 16-bit", "BF16": "BF16 · 16-bit",
		"F32": "F32 · 32-bit", "": "Level unknown", "IQ2_XS": "IQ2_XS",
	} {
		if got := LevelWords(level); got != want {
			t.Errorf("LevelWords(%q) = %q, want %q", level, got, want)
		}
	}
}

// TestLibraryAdd: files and folders (searched recursively) are linked, with
// progress; what cannot be added is reported file by file in plain words.
func TestLibraryAdd(t *testing.T) {
	svc := newService(t, laptop)
	dir := t.TempDir()
	model, err := os.ReadFile(refdata.Path(t, "models/ts5m-Q4_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"sub/deeper/model.gguf": model,
		"sub/notes.txt":         []byte("not a model"),
		"fake.GGUF":             []byte("not a model either"),
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	empty := t.TempDir()

	l := NewLibrary(svc)
	added := recordAdding(l)
	res := l.Add(context.Background(), []string{dir, empty})
	seen := added()
	if len(res.Added) != 1 || res.Added[0].Variant.Owned || res.Added[0].Variant.Path != filepath.Join(dir, "sub", "deeper", "model.gguf") {
		t.Errorf("added %+v, want the model linked where it is", res.Added)
	}
	if len(res.Failed) != 2 || !errors.Is(res.Failed[0].Err, ErrNoModelFiles) || !errors.Is(res.Failed[1].Err, gguf.ErrNotGGUF) {
		t.Errorf("failed %+v, want the empty folder and fake.GGUF", res.Failed)
	}
	if title, body := res.Message(); title != "2 of 3 files could not be added." ||
		!strings.Contains(body, "fake.GGUF: This file is not a model Nibble can use.") {
		t.Errorf("message %q, %q", title, body)
	}
	// The folder is walked in lexical order: fake.GGUF, then sub/….
	if !slices.Contains(seen, AddProgress{Done: 0, Total: 2, Current: "fake.GGUF"}) || !slices.Contains(seen, AddProgress{Done: 1, Total: 2, Current: "model.gguf"}) {
		t.Errorf("progress seen %+v", seen)
	}
	if _, adding := l.Adding(); adding || len(l.Models()) == 0 {
		t.Errorf("after Add: adding %v, library %d models", adding, len(l.Models()))
	}

	res = l.Add(context.Background(), []string{filepath.Join(dir, "sub", "deeper", "model.gguf")})
	if title, _ := res.Message(); len(res.Failed) != 1 || !errors.Is(res.Failed[0].Err, catalog.ErrExists) || title != "This model is already in your library." {
		t.Errorf("adding again: %+v (%q)", res.Failed, title)
	}
	if title, body := (AddResult{Added: make([]*catalog.Import, 2)}).Message(); title != "" || body != "" {
		t.Errorf("all added, yet the message is %q, %q", title, body)
	}
}

// TestLibraryRemove: removing the user's file from the library keeps it on
// disk; deleting it too takes a second confirmation; Nibble's own copies
// go with their entry after one.
func TestLibraryRemove(t *testing.T) {
	for _, tc := range []struct {
		name                string
		mode                catalog.ImportMode
		deleteFile, twice   bool
		wantAsksTwice       bool
		wantErr             error
		wantEntry, wantFile bool
	}{
		{"keep your file", catalog.Link, false, false, false, nil, false, true},
		{"delete your file, asked once", catalog.Link, true, false, true, ErrNotConfirmed, true, true},
		{"delete your file, asked twice", catalog.Link, true, true, true, nil, false, false},
		{"Nibble's copy", catalog.Copy, true, false, false, nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(t, laptop)
			v := importModel(t, svc, "ts5m-Q4_0", tc.mode, true)
			l := NewLibrary(svc)
			l.Load()
			row := l.Models()[0]
			r := Removal{Model: row.Model, Variant: row.Variants[0].Variant, DeleteFile: tc.deleteFile}
			if r.OffersDeleteFile() != (tc.mode == catalog.Link) || r.AsksTwice() != tc.wantAsksTwice {
				t.Errorf("offers deleting %v, asks twice %v", r.OffersDeleteFile(), r.AsksTwice())
			}
			if title, body := r.Question(); !strings.Contains(title, "Q4_0") || !strings.Contains(body, "chats with it are kept") {
				t.Errorf("question %q %q", title, body)
			}
			if err := l.Remove(r, tc.twice); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Remove: %v, want %v", err, tc.wantErr)
			}
			if _, err := os.Stat(v.Path); (err == nil) != tc.wantFile {
				t.Errorf("file there: %v, want %v", err == nil, tc.wantFile)
			}
			if kept := len(l.Models()) != 0; kept != tc.wantEntry {
				t.Errorf("entry kept: %v, want %v", kept, tc.wantEntry)
			}
		})
	}
}

// TestLibraryDetails: the details name the file, its level in words, where
// it came from and its checksum once computed.
func TestLibraryDetails(t *testing.T) {
	svc := newService(t, laptop)
	path := refdata.Path(t, "models/ts5m-F32.gguf")
	im, err := svc.Catalog.Import(context.Background(), path, catalog.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Wait(); err != nil {
		t.Fatal(err)
	}
	made, _, err := svc.MakeVariant(context.Background(), im.Variant, "Q8_0", nil)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLibrary(svc)
	l.Load()
	details := func(v catalog.Variant) map[string]string {
		out := map[string]string{}
		for _, d := range l.Details(im.Model, v) {
			out[d.Label] = d.Value
		}
		return out
	}
	d := details(im.Variant) // without its hash: Details reads it again
	for label, want := range map[string]string{
		"File": path, "Size": "22 MB", "Parameters": "5.8 million", "Architecture": "llama",
		"Context length": "256 tokens", "Made from": "Your file, used where it is",
		"Added": time.Now().Format(time.DateOnly),
	} {
		if d[label] != want {
			t.Errorf("%s: %q, want %q", label, d[label], want)
		}
	}
	if len(d["SHA-256"]) != 64 || !strings.HasPrefix(d["Level"], "F32 · 32-bit: Full precision") {
		t.Errorf("SHA-256 %q, level %q", d["SHA-256"], d["Level"])
	}
	if got := details(made)["Made from"]; got != "Made by Nibble from the F32 version" {
		t.Errorf("made from %q", got)
	}
}

func TestWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{SpeedWords(2381), "about 1,800 words a second"},
		{SpeedWords(80), "about 60 words a second"},
		{SpeedWords(5.1), "about 4 words a second"},
		{SpeedWords(0.5), "about a word a second, or less"},
		{ContextWords(2048), "2,048 tokens (about 1,536 words)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// recordAdding records every progress l announces while it adds, and
// returns what gives the list so far.
func recordAdding(l *Library) func() []AddProgress {
	var mu sync.Mutex
	var seen []AddProgress
	l.Listen(func() {
		if p, ok := l.Adding(); ok {
			mu.Lock()
			seen = append(seen, p)
			mu.Unlock()
		}
	})
	return func() []AddProgress {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}
