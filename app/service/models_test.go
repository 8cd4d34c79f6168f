package service

import (
	"math"
	"slices"
	"testing"

	"nibble/engine/hw"
	"nibble/quant"
	"nibble/quant/advise"
)

// TestCurated checks the shipped list: every shape is one the advisor can
// size, its parameter count agrees with the published one, and every file
// is for a level Nibble knows.
func TestCurated(t *testing.T) {
	models, err := Curated()
	if err != nil {
		t.Fatal(err)
	}
	if len(models) < 9 {
		t.Fatalf("%d curated models, want at least the 9 of issue 9 (Phi-3.5 left out)", len(models))
	}
	ids := map[string]bool{}
	for _, m := range models {
		if ids[m.ID] {
			t.Errorf("model %s listed twice", m.ID)
		}
		ids[m.ID] = true
		if m.Name == "" || m.Description == "" || m.License == "" || m.GGUFRepo == "" || m.SafetensorsRepo == "" {
			t.Errorf("model %s: a name, description, license or repository is missing", m.ID)
		}
		s, err := m.Shape()
		if err != nil {
			t.Error(err)
			continue
		}
		am, err := advise.FromShape(s, 0)
		if err != nil {
			t.Errorf("model %s: %v", m.ID, err)
			continue
		}
		if d := math.Abs(float64(am.Params)-float64(m.Params)) / float64(m.Params); d > 0.001 {
			t.Errorf("model %s: its shape has %d parameters, the list says %d: the shape is wrong", m.ID, am.Params, m.Params)
		}
		for level, file := range m.Files {
			if _, err := quant.LookupMix(level); err != nil || file == "" {
				t.Errorf("model %s: file %q for unknown level %q", m.ID, file, level)
			}
		}
	}
}

// TestSuggest checks the verdicts and the order on computers of 3, 8 and 16 GB
// with 60 % of their memory available.
func TestSuggest(t *testing.T) {
	models, err := Curated()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gb    uint64
		order []string // ids, best first
		tight []string // ids that only just fit
		large []string // ids too large
		// levels are some of the levels to download, by id: the smallest
		// ready file as good in use as the advisor's pick (F16 or Q8_0 for
		// small models), or the advisor's pick when no such file exists.
		levels map[string]string
	}{
		{16, []string{"qwen2.5-7b-instruct", "mistral-7b-instruct-v0.3", "llama-3.2-3b-instruct", "qwen2.5-3b-instruct",
			"smollm2-1.7b-instruct", "qwen2.5-1.5b-instruct", "llama-3.2-1b-instruct", "tinyllama-1.1b-chat", "qwen2.5-0.5b-instruct"}, nil, nil,
			map[string]string{"qwen2.5-7b-instruct": "Q5_K_M", "tinyllama-1.1b-chat": "Q5_K_M", "qwen2.5-0.5b-instruct": "Q5_K_M"}},
		{8, []string{"mistral-7b-instruct-v0.3", "llama-3.2-3b-instruct", "qwen2.5-3b-instruct",
			"smollm2-1.7b-instruct", "qwen2.5-1.5b-instruct", "llama-3.2-1b-instruct", "tinyllama-1.1b-chat", "qwen2.5-0.5b-instruct",
			"qwen2.5-7b-instruct"}, []string{"qwen2.5-7b-instruct"}, nil,
			map[string]string{"mistral-7b-instruct-v0.3": "Q3_K_M", "llama-3.2-3b-instruct": "Q5_K_M", "qwen2.5-7b-instruct": "Q3_K_M"}},
		{3, []string{"qwen2.5-1.5b-instruct", "llama-3.2-1b-instruct", "tinyllama-1.1b-chat", "qwen2.5-0.5b-instruct",
			"smollm2-1.7b-instruct", "qwen2.5-3b-instruct", "llama-3.2-3b-instruct", "mistral-7b-instruct-v0.3", "qwen2.5-7b-instruct"},
			[]string{"smollm2-1.7b-instruct", "qwen2.5-3b-instruct", "llama-3.2-3b-instruct"},
			[]string{"mistral-7b-instruct-v0.3", "qwen2.5-7b-instruct"}, nil},
	} {
		r := hw.Report{OS: "linux", Arch: "amd64", RAM: hw.RAM{Total: tc.gb << 30, Available: tc.gb << 30 * 6 / 10}}
		ss, err := Suggest(models, r)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range ss {
			got = append(got, s.Model.ID)
			want := advise.RunsWell
			switch {
			case slices.Contains(tc.tight, s.Model.ID):
				want = advise.Tight
			case slices.Contains(tc.large, s.Model.ID):
				want = advise.TooLarge
			}
			if s.Level.Verdict != want {
				t.Errorf("%d GB: %s: %q at %s, want %q", tc.gb, s.Model.ID, s.Level.Verdict, s.Level.Type, want)
			}
			if want := tc.levels[s.Model.ID]; want != "" && s.Level.Type != want {
				t.Errorf("%d GB: %s: level %s, want %s", tc.gb, s.Model.ID, s.Level.Type, want)
			}
			if s.Level.Type != s.Advice.Recommended {
				rec := s.Advice.Levels[slices.IndexFunc(s.Advice.Levels, func(l advise.Level) bool { return l.Type == s.Advice.Recommended })]
				if s.File == "" || s.Level.Quality != rec.Quality || s.Level.FileBytes >= rec.FileBytes || s.Level.Verdict != advise.RunsWell {
					t.Errorf("%d GB: %s: %s (file %q, %s) replaces the recommended %s (%s) but is not a smaller ready file of its quality that runs well",
						tc.gb, s.Model.ID, s.Level.Type, s.File, s.Level.Quality, rec.Type, rec.Quality)
				}
			}
			if s.File != s.Model.Files[s.Level.Type] {
				t.Errorf("%d GB: %s: file %q, the list has %q for %s", tc.gb, s.Model.ID, s.File, s.Model.Files[s.Level.Type], s.Level.Type)
			}
		}
		if !slices.Equal(got, tc.order) {
			t.Errorf("%d GB: order\n%v\nwant\n%v", tc.gb, got, tc.order)
		}
	}
}
