package state

import (
	"cmp"
	"context"
	"errors"
	"nibble/app/service"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"nibble/catalog"
	"nibble/quant"
	"nibble/quant/advise"
)

// TestFitAdvice: every level with its figures, the recommended one
// preselected; levels larger than the source disabled with why; existing
// levels pointed at; the user's choice kept when the context changes.
func TestFitAdvice(t *testing.T) {
	svc := newService(t, laptop)
	q8 := importModel(t, svc, "ts5m-Q8_0", catalog.Link, false)
	importModel(t, svc, "ts5m-Q4_0", catalog.Link, false)
	e, err := svc.Catalog.Lookup("tinystories-5m")
	if err != nil {
		t.Fatal(err)
	}
	f := NewFit(svc, e)
	if f.source.ID != q8.ID || !strings.Contains(f.SourceNote(), "Q8_0 file, the largest") {
		t.Errorf("source %s: %q", f.source.Tag, f.SourceNote())
	}
	if f.Selected() != "" || f.Levels() != nil {
		t.Error("levels before Advise")
	}
	if err := f.Advise(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, want, err := svc.Advise(context.Background(), q8, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Selected() != want.Recommended || want.Recommended != "Q8_0" {
		t.Errorf("preselected %q, advisor recommends %q", f.Selected(), want.Recommended)
	}
	if reason, _ := f.Recommendation(); reason != plainUnits(want.Reason) || reason == "" || strings.Contains(reason, "iB") {
		t.Errorf("reason %q, want %q in plain units", reason, want.Reason)
	}
	if got := f.Contexts(); len(got) != 1 || got[0] != 256 || f.Context() != 256 {
		t.Errorf("contexts %v (%d), want the model's 256 only", got, f.Context())
	}
	levels := f.Levels()
	if len(levels) != len(quant.Mixes()) {
		t.Fatalf("%d levels, want %d", len(levels), len(quant.Mixes()))
	}
	for _, l := range levels {
		if (l.Why == "") != l.Offered || l.Recommended != (l.Type == "Q8_0") || l.Description == "" {
			t.Errorf("%s: offered %v, why %q, recommended %v", l.Type, l.Offered, l.Why, l.Recommended)
		}
		if exists := l.Existing != nil; exists != (l.Type == "Q8_0" || l.Type == "Q4_0") {
			t.Errorf("%s: existing %v", l.Type, exists)
		}
		if l.Type == "F16" && l.Offered {
			t.Error("F16 offered from a Q8_0 file")
		}
		if l.Type == "Q4_K_M" && !strings.HasPrefix(l.Summary(), "3.4 MB file · needs 3") {
			t.Errorf("Q4_K_M summary %q", l.Summary())
		}
	}
	if err := f.Select("F16"); err == nil {
		t.Error("chose F16, which needs the original model")
	}
	if err := f.Select("Q4_K_M"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetContext(context.Background(), 128); err != nil {
		t.Fatal(err)
	}
	if f.Selected() != "Q4_K_M" || f.Context() != 128 {
		t.Errorf("after a context change: selected %q at %d", f.Selected(), f.Context())
	}
	if _, err := f.Make(context.Background()); err != nil {
		t.Fatal(err) // Q4_K_M is not in the library yet
	}
	if err := f.Select("Q4_0"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Make(context.Background()); !errors.Is(err, catalog.ErrExists) {
		t.Errorf("making Q4_0 again: %v, want ErrExists", err)
	}
}

// TestFitChart: one point per level, the recommended one marked, and this
// computer's memory as the largest file that runs well.
func TestFitChart(t *testing.T) {
	for _, tc := range []struct {
		name      string
		available uint64
	}{{"laptop", 12 << 30}, {"small", 300 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(t, computerWith(16<<30, tc.available))
			importModel(t, svc, "ts5m-F32", catalog.Link, false)
			e, _ := svc.Catalog.Lookup("tinystories-5m")
			f := NewFit(svc, e)
			if err := f.Advise(context.Background()); err != nil {
				t.Fatal(err)
			}
			c := f.Chart()
			if len(c.Points) != len(quant.Mixes()) || !c.MemoryKnown {
				t.Fatalf("%d points, memory known %v", len(c.Points), c.MemoryKnown)
			}
			rec := 0
			for _, p := range c.Points {
				if p.Recommended {
					rec++
					if !p.Selected || p.Name != f.Selected() {
						t.Errorf("recommended %s, selected %v (%s)", p.Name, p.Selected, f.Selected())
					}
				}
				if p.SameTop <= 0 || p.SameTop > 1 || p.FileBytes == 0 {
					t.Errorf("%s at %d bytes, %v", p.Name, p.FileBytes, p.SameTop)
				}
			}
			if rec != 1 {
				t.Errorf("%d recommended points", rec)
			}
			l := f.Levels()[0]
			overhead := l.MemoryBytes - l.FileBytes
			ram := svc.Hardware(context.Background()).RAM
			if advise.VerdictFor(c.MemoryFile+overhead, ram) != advise.RunsWell || advise.VerdictFor(c.MemoryFile+overhead+1, ram) == advise.RunsWell {
				t.Errorf("memory line at %d bytes is not the limit of running well", c.MemoryFile)
			}
		})
	}
}

// TestFitMake: the chosen level is made with progress, lands in the
// catalog, and then shows as existing.
func TestFitMake(t *testing.T) {
	svc := newService(t, laptop)
	src := importModel(t, svc, "ts5m-F32", catalog.Link, false)
	e, _ := svc.Catalog.Lookup("tinystories-5m")
	f := NewFit(svc, e)
	if err := f.Advise(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.Select("Q4_0"); err != nil {
		t.Fatal(err)
	}
	progress := make(chan MakeProgress, 1000)
	f.Listen(func() {
		if p, making := f.Making(); making && (p.Studying || p.Quant.Tensors > 0) {
			select {
			case progress <- p:
			default:
			}
		}
	})
	v, err := f.Make(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	close(progress)
	// Q4_0 is made with an importance matrix: the study of the model comes
	// first, its chunks in order, then the conversion, its bytes in order.
	var last MakeProgress
	studied, n := 0, 0
	for p := range progress {
		switch {
		case p.Studying:
			if n > 0 || p.Chunk < studied || p.Chunks <= 0 || !strings.HasPrefix(p.Text(), "Studying the model on a sample text") {
				t.Errorf("study progress %+v after %d conversion reports and %d chunks", p, n, studied)
			}
			studied = p.Chunk
		default:
			q := p.Quant
			if q.BytesDone < last.Quant.BytesDone || q.BytesTotal <= 0 || q.BytesTotal > src.Size || n > 0 && q.BytesTotal != last.Quant.BytesTotal {
				t.Errorf("progress went from %+v to %+v", last, p)
			}
			last = p
			n++
		}
	}
	if studied == 0 || n == 0 || !strings.HasPrefix(last.Text(), "Part ") {
		t.Errorf("%d chunks studied, %d conversion reports, last %q", studied, n, last.Text())
	}
	if v.Level != "Q4_0" || !v.Owned || v.QuantizedFrom != src.ID {
		t.Errorf("made %+v", v)
	}
	if _, err := os.Stat(v.Path); err != nil {
		t.Error(err)
	}
	if _, making := f.Making(); making || f.MakeErr() != nil {
		t.Errorf("after Make: making %v, error %v", making, f.MakeErr())
	}
	for _, l := range f.Levels() {
		if l.Type == "Q4_0" && (l.Existing == nil || l.Existing.ID != v.ID) {
			t.Errorf("Q4_0 existing: %+v", l.Existing)
		}
	}
}

// TestFitCancel: cancelling leaves no file and no entry, and says so.
func TestFitCancel(t *testing.T) {
	svc := newService(t, laptop)
	importModel(t, svc, "ts5m-F32", catalog.Link, false)
	e, _ := svc.Catalog.Lookup("tinystories-5m")
	f := NewFit(svc, e)
	if err := f.Advise(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.Listen(func() {
		if p, making := f.Making(); making && p.Quant.Tensors > 0 {
			f.Cancel()
		}
	})
	if _, err := f.Make(context.Background()); !errors.Is(err, context.Canceled) || !errors.Is(f.MakeErr(), context.Canceled) {
		t.Fatalf("Make: %v, want cancelled", err)
	}
	if what, _ := Explain(f.MakeErr()); what != "Cancelled." {
		t.Errorf("explained as %q", what)
	}
	e, _ = svc.Catalog.Lookup("tinystories-5m")
	if len(e.Variants) != 1 {
		t.Errorf("%d variants after cancelling", len(e.Variants))
	}
	dir, _ := svc.Catalog.ModelsDir()
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("models folder holds %v after cancelling", files)
	}
}

func TestMakeProgressText(t *testing.T) {
	p := func(done int64, elapsed time.Duration) MakeProgress {
		return MakeProgress{VariantProgress: service.VariantProgress{Quant: quant.Progress{Tensor: 11, Tensors: 57,
			Name: "blk.3.attn_q.weight", BytesDone: done, BytesTotal: 40 << 20}}, Elapsed: elapsed}
	}
	study := MakeProgress{VariantProgress: service.VariantProgress{Studying: true, Chunk: 2, Chunks: 8}, Elapsed: 10 * time.Second}
	for _, tc := range []struct {
		p    MakeProgress
		want string
	}{
		{MakeProgress{}, "Starting…"},
		{study, "Studying the model on a sample text, so the smaller version keeps more of its quality · part 2 of 8 · about 30 seconds left"},
		{p(10<<20, 100*time.Millisecond), "Part 12 of 57 (blk.3.attn_q.weight) · 10 MB of 40 MB · working out the time left…"},
		{p(10<<20, 10*time.Second), "Part 12 of 57 (blk.3.attn_q.weight) · 10 MB of 40 MB · about 30 seconds left"},
		{p(20<<20, 3*time.Minute), "Part 12 of 57 (blk.3.attn_q.weight) · 20 MB of 40 MB · about 3 minutes left"},
		{p(40<<20-1, 10*time.Second), "Part 12 of 57 (blk.3.attn_q.weight) · 40 MB of 40 MB · almost done"},
		{p(40<<20, 10*time.Second), "Part 12 of 57 (blk.3.attn_q.weight) · 40 MB of 40 MB · finishing…"},
	} {
		if got := tc.p.Text(); got != tc.want {
			t.Errorf("Text() = %q, want %q", got, tc.want)
		}
	}
	if f := p(10<<20, 0).Fraction(); f != 0.25 {
		t.Errorf("fraction %v", f)
	}
	if f := study.Fraction(); f != 0.25 {
		t.Errorf("study fraction %v", f)
	}
}

// TestFitUnavailableLevels: a model whose rows are no whole number of
// 32-element blocks (stories260K: rows of 172) cannot be made at Q8_0, Q5_x
// or Q4_x, as llama-quantize refuses; those levels say why, cannot be
// chosen and are left off the chart, and the others are offered.
func TestFitUnavailableLevels(t *testing.T) {
	svc := newService(t, laptop)
	v := importModel(t, svc, "stories260K-f32", catalog.Link, false)
	e, _, err := svc.Catalog.LookupFile(v.Path)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFit(svc, e)
	if err := f.Advise(context.Background()); err != nil {
		t.Fatal(err)
	}
	unavailable := map[string]bool{"Q8_0": true, "Q5_1": true, "Q5_0": true, "Q4_1": true, "Q4_0": true}
	for _, l := range f.Levels() {
		if got := l.Unavailable != ""; got != unavailable[l.Type] {
			t.Errorf("%s unavailable %v (%q)", l.Type, got, l.Unavailable)
		}
		if unavailable[l.Type] && (l.Why == "" || l.Summary() != "" || f.Select(l.Type) == nil) {
			t.Errorf("%s: why %q, summary %q, or it could be chosen", l.Type, l.Why, l.Summary())
		}
	}
	if f.Selected() == "" || unavailable[f.Selected()] {
		t.Errorf("selected %q", f.Selected())
	}
	c := f.Chart()
	if len(c.Points) != len(quant.Mixes())-len(unavailable) || !c.MemoryKnown {
		t.Errorf("%d points (memory known %v), want the %d levels that can be made", len(c.Points), c.MemoryKnown, len(quant.Mixes())-len(unavailable))
	}
	for _, p := range c.Points {
		if p.FileBytes == 0 || unavailable[p.Name] {
			t.Errorf("chart point %+v", p)
		}
	}
}

// TestFitMeasured: a level whose variant's quality was checked says it was
// measured on this model, and the chart draws it where it was measured;
// the others are the estimate for typical models.
func TestFitMeasured(t *testing.T) {
	svc := newService(t, laptop)
	f32 := importModel(t, svc, "ts5m-F32", catalog.Link, false)
	q4 := importModel(t, svc, "ts5m-Q4_0", catalog.Link, false)
	// Worse than the estimate for Q4_0, so that the words change.
	if _, err := svc.Catalog.SetQuality(q4.ID, catalog.Quality{Reference: f32.ID, KLD: 0.2, SameTop: 0.7}); err != nil {
		t.Fatal(err)
	}
	e, _ := svc.Catalog.Lookup("tinystories-5m")
	f := NewFit(svc, e)
	if err := f.Advise(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		level, words string
		measured     bool
		sameTop      float64 // 0: the estimate's
	}{
		{"Q4_0", "large loss — not recommended (measured on this model)", true, 0.7},
		{"Q8_0", "almost identical to the original (estimate for typical models)", false, 0},
	} {
		i := slices.IndexFunc(f.Levels(), func(l FitLevel) bool { return l.Type == tc.level })
		l := f.Levels()[i]
		if l.KLDMeasured != tc.measured || l.QualityWords() != tc.words {
			t.Errorf("%s: measured %v, %q; want %v, %q", tc.level, l.KLDMeasured, l.QualityWords(), tc.measured, tc.words)
		}
		p := f.Chart().Points[slices.IndexFunc(f.Chart().Points, func(p ChartPoint) bool { return p.Name == tc.level })]
		if want := cmp.Or(tc.sameTop, l.SameTopToken); p.Measured != tc.measured || p.SameTop != want {
			t.Errorf("%s on the chart: measured %v at %g, want %v at %g", tc.level, p.Measured, p.SameTop, tc.measured, want)
		}
	}
}
