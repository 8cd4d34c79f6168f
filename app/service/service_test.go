package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"nibble/catalog"
	"nibble/engine/gguf"
	"nibble/engine/hw"
	"nibble/engine/refdata"
	"nibble/quant"
	"nibble/quant/advise"
)

// TestMain keeps the tests away from the keyring of whoever runs them: an
// in-memory one answers (tokenPlaces makes a new one per test).
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

// computer is the 16 GB computer, 12 GB free, the tests play.
func computer(context.Context) hw.Report {
	return hw.Report{OS: "linux", Arch: "amd64", RAM: hw.RAM{Total: 16 << 30, Available: 12 << 30},
		CPU: hw.CPU{PhysicalCores: 2, LogicalCores: 2}, GPUs: []hw.GPU{}, GPUsComplete: true}
}

// newService opens an empty catalog in a temporary folder, closed at the
// end of the test, and links the shared test models named (e.g.
// "ts5m-F32") into it, returning their variants in order.
func newService(t *testing.T, models ...string) (*Service, []catalog.Variant) {
	t.Helper()
	c, err := catalog.Open(catalog.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var vs []catalog.Variant
	for _, m := range models {
		im, err := c.Import(context.Background(), refdata.Path(t, "models/"+m+".gguf"), catalog.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, im.Variant)
	}
	return New(c, computer), vs
}

// TestHardware: a test's computer stays what its report says, memory
// available included, however often it is asked.
func TestHardware(t *testing.T) {
	s, _ := newService(t)
	calls := 0
	s.probe = func(ctx context.Context) hw.Report { calls++; return computer(ctx) }
	for range 3 {
		if r := s.Hardware(context.Background()); r.RAM.Available != 12<<30 || r.RAM.Total != 16<<30 {
			t.Errorf("memory %+v", r.RAM)
		}
	}
	if calls != 1 {
		t.Errorf("probed %d times, want once", calls)
	}
}

// TestMeasurements: speeds come from the file, else from another level of
// the model; KL divergences from every level, unless the caller gave one.
func TestMeasurements(t *testing.T) {
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		speedOn    int // index of the variant with a measured speed, -1: none
		asked      int // index of the variant asked about
		wantSpeed  *advise.Speed
		wantSource string
	}{
		{"none measured", -1, 0, nil, ""},
		{"this file", 0, 0, &advise.Speed{TokensPerSecond: 100}, "the speed nibble bench measured on this file (100.0 tokens/s, 2026-05-04)"},
		{"another level", 1, 0, &advise.Speed{Type: "Q8_0", TokensPerSecond: 100}, "the speed nibble bench measured on its Q8_0 file (100.0 tokens/s, 2026-05-04)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, vs := newService(t, "ts5m-F32", "ts5m-Q8_0", "ts5m-Q4_0")
			if tc.speedOn >= 0 {
				if _, err := s.Catalog.SetSpeed(vs[tc.speedOn].ID, catalog.Speed{TokensPerSecond: 100, Measured: day}); err != nil {
					t.Fatal(err)
				}
			}
			for i, kld := range []float64{0.2, 0.3} {
				if _, err := s.Catalog.SetQuality(vs[i+1].ID, catalog.Quality{Reference: vs[0].ID, KLD: kld}); err != nil {
					t.Fatal(err)
				}
			}
			kld := map[string]float64{"Q4_0": 0.9} // given by the user
			speed, source := Measurements(s.Catalog, vs[tc.asked].Path, kld)
			if (speed == nil) != (tc.wantSpeed == nil) || speed != nil && *speed != *tc.wantSpeed || source != tc.wantSource {
				t.Errorf("speed %+v from %q, want %+v from %q", speed, source, tc.wantSpeed, tc.wantSource)
			}
			if len(kld) != 2 || kld["Q8_0"] != 0.2 || kld["Q4_0"] != 0.9 {
				t.Errorf("KL divergences %v", kld)
			}
		})
	}
	// A quality measured against a quantized variant is no KL divergence
	// from the original: the advisor does not take it.
	s, vs := newService(t, "ts5m-Q8_0", "ts5m-Q4_0")
	if _, err := s.Catalog.SetQuality(vs[1].ID, catalog.Quality{Reference: vs[0].ID, KLD: 0.01}); err != nil {
		t.Fatal(err)
	}
	kld := map[string]float64{}
	if Measurements(s.Catalog, vs[1].Path, kld); len(kld) != 0 {
		t.Errorf("KL divergences against Q8_0 taken: %v", kld)
	}

	s, _ = newService(t)
	kld = map[string]float64{}
	if speed, source := Measurements(s.Catalog, refdata.Path(t, "models/ts5m-F32.gguf"), kld); speed != nil || source != "" || len(kld) != 0 {
		t.Errorf("a file not in the catalog gives %+v, %q, %v", speed, source, kld)
	}
}

// TestAdvise: the advice for a variant takes what the catalog measured on
// its model into account.
func TestAdvise(t *testing.T) {
	s, vs := newService(t, "ts5m-F32", "ts5m-Q8_0")
	if _, err := s.Catalog.SetQuality(vs[1].ID, catalog.Quality{Reference: vs[0].ID, KLD: 0.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Catalog.SetSpeed(vs[0].ID, catalog.Speed{TokensPerSecond: 50}); err != nil {
		t.Fatal(err)
	}
	m, a, err := s.Advise(context.Background(), vs[0], 128)
	if err != nil {
		t.Fatal(err)
	}
	if m.Context != 128 || a.Context != 128 || !a.SpeedMeasured || a.Current.TokensPerSecond < 49 || a.Current.TokensPerSecond > 51 {
		t.Errorf("context %d/%d, speed measured %v, this file %v tokens/s", m.Context, a.Context, a.SpeedMeasured, a.Current.TokensPerSecond)
	}
	for _, l := range a.Levels {
		if measured := l.Type == "Q8_0"; l.KLDMeasured != measured || measured && (l.KLD != 0.5 || l.Quality != advise.LargeLoss) {
			t.Errorf("%s: KLD %v (measured %v), %q", l.Type, l.KLD, l.KLDMeasured, l.Quality)
		}
	}
	if _, _, err := s.Advise(context.Background(), catalog.Variant{Path: filepath.Join(t.TempDir(), "gone.gguf")}, 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("advice on a missing file: %v", err)
	}
}

// TestMakeVariant: the new level is Nibble's file in the models folder, a
// variant of the same model recording its source; bad requests leave
// nothing behind.
func TestMakeVariant(t *testing.T) {
	s, vs := newService(t, "ts5m-F32")
	var last quant.Progress
	calls, studied := 0, 0
	v, res, err := s.MakeVariant(context.Background(), vs[0], "q8_0", func(p VariantProgress) {
		if p.Studying {
			studied++
		}
		last = p.Quant
		calls++
	})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := s.Catalog.ModelsDir()
	if v.Level != "Q8_0" || !v.Owned || v.QuantizedFrom != vs[0].ID || filepath.Dir(v.Path) != dir || v.Size != res.OutputBytes {
		t.Errorf("made %+v (%+v)", v, res)
	}
	if calls == 0 || studied != 0 || last.BytesDone != last.BytesTotal || last.Tensor != last.Tensors-1 {
		t.Errorf("%d progress calls (%d studying Q8_0, which uses no importance), last %+v", calls, studied, last)
	}
	e, err := s.Catalog.Lookup("tinystories-5m")
	if err != nil || len(e.Variants) != 2 {
		t.Fatalf("catalog after making: %+v, %v", e, err)
	}

	for _, tc := range []struct {
		name string
		from catalog.Variant
		mix  string
		want error
	}{
		{"unknown level", vs[0], "Q9_9", nil},
		{"not in the catalog", catalog.Variant{Path: refdata.Path(t, "models/ts5m-F16.gguf")}, "Q4_0", catalog.ErrNotFound},
	} {
		_, _, err := s.MakeVariant(context.Background(), tc.from, tc.mix, nil)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("models folder holds %d files, want the one made", len(files))
	}
}

// TestMakeVariantImportance: a K-quant level is made with an importance
// matrix from the shipped calibration text, studied first, and the file
// records it as llama-quantize records its imatrix.
func TestMakeVariantImportance(t *testing.T) {
	s, vs := newService(t, "ts5m-F32")
	studied := 0
	v, res, err := s.MakeVariant(context.Background(), vs[0], "Q4_K_M", func(p VariantProgress) {
		if p.Studying {
			studied = p.Chunk
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(v.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dataset, _ := f.String("quantize.imatrix.dataset")
	if studied == 0 || res.Weighted == 0 || dataset != CalibrationName {
		t.Errorf("%d chunks studied, %d tensors weighted, dataset %q", studied, res.Weighted, dataset)
	}
}

// TestMakeVariantCancel: cancelling mid-way leaves no file and no entry.
func TestMakeVariantCancel(t *testing.T) {
	s, vs := newService(t, "ts5m-F32")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, _, err := s.MakeVariant(ctx, vs[0], "Q4_0", func(p VariantProgress) {
		if p.Quant.BytesDone > 0 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("MakeVariant: %v, want cancelled", err)
	}
	dir, _ := s.Catalog.ModelsDir()
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("models folder holds %v", files)
	}
	if e, _ := s.Catalog.Lookup("tinystories-5m"); len(e.Variants) != 1 || e.Variants[0].ID != vs[0].ID {
		t.Errorf("catalog after cancelling: %+v", e.Variants)
	}
}
