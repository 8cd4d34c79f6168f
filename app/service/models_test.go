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
	}{
		{16, []string{"qwen2.5-7b-instruct", "mistral-7b-instruct-v0.3", "llama-3.2-3b-instruct", "qwen2.5-3b-instruct",
			"smollm2-1.7b-instruct", "qwen2.5-1.5b-instruct", "llama-3.2-1b-instruct", "tinyllama-1.1b-chat", "qwen2.5-0.5b-instruct"}, nil, nil},
		{8, []string{"mistral-7b-instruct-v0.3", "llama-3.2-3b-instruct", "qwen2.5-3b-instruct",
			"smollm2-1.7b-instruct", "qwen2.5-1.5b-instruct", "llama-3.2-1b-instruct", "tinyllama-1.1b-chat", "qwen2.5-0.5b-instruct",
			"qwen2.5-7b-instruct"}, []string{"qwen2.5-7b-instruct"}, nil},
		{3, []string{"qwen2.5-1.5b-instruct", "llama-3.2-1b-instruct", "tinyllama-1.1b-chat", "qwen2.5-0.5b-instruct",
			"smollm2-1.7b-instruct", "qwen2.5-3b-instruct", "llama-3.2-3b-instruct", "mistral-7b-instruct-v0.3", "qwen2.5-7b-instruct"},
			[]string{"smollm2-1.7b-instruct", "qwen2.5-3b-instruct", "llama-3.2-3b-instruct"},
			[]string{"mistral-7b-instruct-v0.3", "qwen2.5-7b-instruct"}},
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
			if s.Level.Type != s.Advice.Recommended {
				t.Errorf("%d GB: %s: level %s is not the recommended %s", tc.gb, s.Model.ID, s.Level.Type, s.Advice.Recommended)
			}
			if s.File != s.Model.Files[s.Advice.Recommended] {
				t.Errorf("%d GB: %s: file %q, the list has %q for %s", tc.gb, s.Model.ID, s.File, s.Model.Files[s.Advice.Recommended], s.Advice.Recommended)
			}
		}
		if !slices.Equal(got, tc.order) {
			t.Errorf("%d GB: order\n%v\nwant\n%v", tc.gb, got, tc.order)
		}
	}
}
