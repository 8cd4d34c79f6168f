package advise

import (
	"errors"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/hw"
	"nibble/engine/model"
	"nibble/engine/refdata"
	"nibble/quant"
)

const gib = 1 << 30

// TestReadPredictsQuantizedFiles reads the shared F32 model and checks each
// level's size against the file llama-quantize wrote at that level.
func TestReadPredictsQuantizedFiles(t *testing.T) {
	m, err := Read(refdata.Path(t, "models/ts5m-F32.gguf"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Context != 256 || m.Type != "F32" || m.Arch != "llama" || m.Params != 5770496 {
		t.Errorf("context %d, type %q, arch %q, %d params; want 256 (the model's own), F32, llama, 5770496",
			m.Context, m.Type, m.Arch, m.Params)
	}
	for i, mix := range quant.Mixes() {
		st, err := os.Stat(refdata.Path(t, "models/ts5m-"+mix.Name+".gguf"))
		if err != nil {
			t.Fatal(err)
		}
		want := uint64(st.Size())
		if mix.Name == "F32" {
			// The source came from the converter; a copy made by quantize
			// adds general.quantization_version, 44 bytes padded to 64.
			want += 64
		}
		if got := m.Levels[i].FileBytes; got != want {
			t.Errorf("%s: predicted %d bytes, llama-quantize wrote %d", mix.Name, got, want)
		}
	}
}

// TestReadOwnLevel checks that a quantized file's own level is predicted as
// the file itself, and the state as the engine's estimate.
func TestReadOwnLevel(t *testing.T) {
	path := refdata.Path(t, "models/ts5m-Q4_K_M.gguf")
	for _, tc := range []struct{ ctx, want int }{{0, 256}, {100, 100}, {1000, 1000}} {
		m, err := Read(path, tc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := mixIndex(t, "Q4_K_M")
		if m.Type != "Q4_K_M" || m.Levels[i] != m.File {
			t.Errorf("type %q, level Q4_K_M %+v, file %+v; want the file's own figures", m.Type, m.Levels[i], m.File)
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		state, err := model.EstimateMemory(f, tc.want, false)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m.Context != tc.want || m.StateBytes != state {
			t.Errorf("ctx %d: context %d, state %d bytes; want %d, %d", tc.ctx, m.Context, m.StateBytes, tc.want, state)
		}
		// ts5m has its own output matrix: a token reads one embedding row.
		embd := uint64(2048 * 256 * 144 / 256) // token_embd.weight, Q4_K: 2048 rows of 144 bytes
		if got, want := m.File.TokenBytes, m.File.FileBytes-m.HeaderBytes-embd+144; got > want || got < want-57*32 {
			t.Errorf("reads %d bytes a token, want the file less its header and embeddings, %d (less padding)", got, want)
		}
	}
}

func mixIndex(t *testing.T, name string) int {
	t.Helper()
	for i, mix := range quant.Mixes() {
		if mix.Name == name {
			return i
		}
	}
	t.Fatalf("no mix %s", name)
	return -1
}

func TestQuality(t *testing.T) {
	for _, tc := range []struct {
		level   string
		quality Quality
		top     float64 // llama.cpp's "Same top p" for Llama-3-8B, where published
	}{
		{"F16", NoLoss, 1},
		{"Q8_0", NoLoss, 0.97674},
		{"Q6_K", NoLoss, 0.96031},
		{"Q5_K_M", NoLoss, 0},
		{"Q5_K_S", SmallLoss, 0},
		{"Q4_K_M", SmallLoss, 0.91901},
		{"Q4_K_S", SmallLoss, 0},
		{"Q4_0", Noticeable, 0},
		{"Q3_K_M", Noticeable, 0},
		{"Q3_K_S", LargeLoss, 0},
		{"Q2_K", LargeLoss, 0.71138},
	} {
		kld := priorKLD[tc.level]
		if q := QualityOf(kld); q != tc.quality {
			t.Errorf("%s (KLD %g): %q, want %q", tc.level, kld, q, tc.quality)
		}
		if top := SameTopToken(kld); tc.top != 0 && math.Abs(top-tc.top) > 1e-9 {
			t.Errorf("%s: same top token %.5f, want the published %.5f", tc.level, top, tc.top)
		}
	}
	// The bounds of the words, as QualityOf documents them.
	for _, tc := range []struct{ kld, top float64 }{{0.015, 0.94}, {0.05, 0.90}, {0.15, 0.83}} {
		if top := SameTopToken(tc.kld); math.Abs(top-tc.top) > 0.005 {
			t.Errorf("SameTopToken(%g) = %.3f, want about %.2f", tc.kld, top, tc.top)
		}
	}
	prev := 1.0
	for kld := 0.0001; kld < 3; kld *= 1.5 {
		top := SameTopToken(kld)
		if top > prev || top < 0 {
			t.Errorf("SameTopToken(%g) = %g after %g: want a falling rate in [0, 1]", kld, top, prev)
		}
		prev = top
	}
	for _, mix := range quant.Mixes() {
		if _, ok := priorKLD[mix.Name]; !ok {
			t.Errorf("no quality figure for %s", mix.Name)
		}
	}
}

func TestVerdictFor(t *testing.T) {
	for _, tc := range []struct {
		need uint64
		ram  hw.RAM
		want Verdict
	}{
		{4 * gib, hw.RAM{Total: 16 * gib, Available: 5 * gib}, RunsWell},    // 80 % of 5 GiB
		{4*gib + 1, hw.RAM{Total: 16 * gib, Available: 5 * gib}, Tight},     // close other apps: 14 GiB can be freed
		{14 * gib, hw.RAM{Total: 16 * gib, Available: 5 * gib}, Tight},      //
		{14*gib + 1, hw.RAM{Total: 16 * gib, Available: 5 * gib}, TooLarge}, //
		{7 * gib, hw.RAM{Total: 8 * gib, Available: 7*gib + gib/2}, Tight},  // fits now, more than the reserve allows
		{7 * gib, hw.RAM{Total: 8 * gib}, TooLarge},                         // unknown available: 6 GiB at most
		{4 * gib, hw.RAM{Total: 8 * gib}, RunsWell},                         // 80 % of 6 GiB
	} {
		if got := VerdictFor(tc.need, tc.ram); got != tc.want {
			t.Errorf("need %d on %+v: %q, want %q", tc.need, tc.ram, got, tc.want)
		}
	}
}

// llama3_8B is a Llama-3-8B-shaped model kept as 16-bit: level sizes from
// llama.cpp's published sizes (Mix.BitsPerWeight), a 4096-position context
// (512 MiB of KV cache) and Llama 3's 8 MB header.
func llama3_8B() Model {
	const params = 8030261248
	m := Model{Name: "Llama 3 8B", Arch: "llama", Params: params, Context: 4096, Type: "F16",
		HeaderBytes: 8 << 20, StateBytes: 512<<20 + 40<<20}
	for _, mix := range quant.Mixes() {
		file := uint64(mix.BitsPerWeight * params / 8)
		m.Levels = append(m.Levels, Size{FileBytes: file, TokenBytes: file * 95 / 100})
	}
	m.File = m.Levels[1] // F16
	return m
}

// TestAdviseRecommends runs the recommendation rules on fake computers.
func TestAdviseRecommends(t *testing.T) {
	m := llama3_8B()
	for _, tc := range []struct {
		name        string
		ram         hw.RAM
		recommended string
		reason      string // a part of it
		warning     string // a part of it; "" for none
	}{
		{"big machine", hw.RAM{Total: 64 * gib, Available: 48 * gib}, "F16", "best quality that runs well", ""},
		{"16 GiB laptop", hw.RAM{Total: 16 * gib, Available: 10 * gib}, "Q6_K", "best quality that runs well", ""},
		// Q2_K would run well in 80 % of 4.5 GiB, but Q3_K_M (and larger) fit.
		{"8 GiB laptop", hw.RAM{Total: 8 * gib, Available: 9 * gib / 2}, "Q3_K_M", "Q2_K would run well but loses too much quality", "Close other apps"},
		{"only Q2_K fits", hw.RAM{Total: memoryOf(t, m, "Q2_K") + SystemReserve, Available: gib}, "Q2_K", "only just", "clearly worse"},
		{"tiny machine", hw.RAM{Total: 4 * gib, Available: gib}, "", "too large for this computer", ""},
	} {
		a, err := Advise(m, Options{Hardware: hw.Report{RAM: tc.ram}})
		if err != nil {
			t.Fatal(err)
		}
		if a.Recommended != tc.recommended || !strings.Contains(a.Reason, tc.reason) ||
			!strings.Contains(a.Warning, tc.warning) || (tc.warning == "") != (a.Warning == "") {
			t.Errorf("%s: recommends %q (%s / %s); want %q (%q / %q)",
				tc.name, a.Recommended, a.Reason, a.Warning, tc.recommended, tc.reason, tc.warning)
		}
		for _, l := range a.Levels {
			if want := VerdictFor(l.MemoryBytes, tc.ram); l.Verdict != want {
				t.Errorf("%s: %s is %q, want %q", tc.name, l.Type, l.Verdict, want)
			}
		}
	}
}

// TestAdviseOffersLevelsBelowTheFile checks that levels above a quantized
// file's are left out of the choice: they would only pretend to quality.
func TestAdviseOffersLevelsBelowTheFile(t *testing.T) {
	m := llama3_8B()
	m.Type, m.File = "Q4_K_M", m.Levels[mixIndex(t, "Q4_K_M")]
	a, err := Advise(m, Options{Hardware: hw.Report{RAM: hw.RAM{Total: 64 * gib, Available: 48 * gib}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range a.Levels {
		want := l.FileBytes <= m.File.FileBytes
		if l.Offered != want {
			t.Errorf("%s offered %v, want %v", l.Type, l.Offered, want)
		}
	}
	if a.Recommended != "Q4_K_M" || a.Current.Type != "Q4_K_M" || a.Current.MemoryBytes != memoryOf(t, m, "Q4_K_M") {
		t.Errorf("recommends %q, current %+v; want the file's own Q4_K_M", a.Recommended, a.Current)
	}
}

// TestReadUnavailableLevels: stories260K's feed-forward rows are 172 wide,
// no whole number of 32-element blocks, so llama-quantize refuses the
// 32-element levels (the K-quant levels fall back to F16 for them): Read
// says why for exactly those, and Advise offers none of them.
func TestReadUnavailableLevels(t *testing.T) {
	m, err := Read(refdata.Path(t, "models/stories260K-f32.gguf"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"}
	got := slices.Sorted(maps.Keys(m.Unavailable))
	if !slices.Equal(got, want) {
		t.Fatalf("unavailable levels %v, want %v", got, want)
	}
	if why := m.Unavailable["Q8_0"]; !strings.Contains(why, "172") {
		t.Errorf("Q8_0 unavailable because %q, want the row width named", why)
	}
	a, err := Advise(m, Options{Hardware: hw.Report{RAM: hw.RAM{Total: 16 * gib, Available: 12 * gib}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range a.Levels {
		if _, bad := m.Unavailable[l.Type]; bad != (l.Unavailable != "") || (bad && (l.Offered || l.FileBytes != 0 || l.Type == a.Recommended)) {
			t.Errorf("%s: unavailable %q, offered %v, %d bytes, recommended %q", l.Type, l.Unavailable, l.Offered, l.FileBytes, a.Recommended)
		}
	}
	if a.Recommended == "" {
		t.Error("nothing recommended, though the K-quant levels can be made")
	}
}

// memoryOf is the memory m needs at level.
func memoryOf(t *testing.T, m Model, level string) uint64 {
	return m.Memory(m.Levels[mixIndex(t, level)])
}

// TestAdviseMeasurements checks that measured speed and quality replace the
// defaults.
func TestAdviseMeasurements(t *testing.T) {
	m := llama3_8B()
	machine := hw.Report{OS: "darwin", Arch: "arm64", RAM: hw.RAM{Total: 64 * gib, Available: 48 * gib}}
	a, err := Advise(m, Options{Hardware: machine})
	if err != nil {
		t.Fatal(err)
	}
	q4 := mixIndex(t, "Q4_K_M")
	if a.Bandwidth != 60e9 || a.SpeedMeasured || a.Levels[q4].TokensPerSecond != 60e9/float64(m.Levels[q4].TokenBytes) {
		t.Errorf("bandwidth %g (measured %v), Q4_K_M at %g tokens/s; want Apple Silicon's default 60 GB/s",
			a.Bandwidth, a.SpeedMeasured, a.Levels[q4].TokensPerSecond)
	}

	a, err = Advise(m, Options{Hardware: machine, Speed: &Speed{Type: "Q4_K_M", TokensPerSecond: 10},
		KLD: map[string]float64{"Q4_K_M": 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	q8 := mixIndex(t, "Q8_0")
	wantQ8 := 10 * float64(m.Levels[q4].TokenBytes) / float64(m.Levels[q8].TokenBytes)
	if !a.SpeedMeasured || math.Abs(a.Levels[q4].TokensPerSecond-10) > 1e-9 || math.Abs(a.Levels[q8].TokensPerSecond-wantQ8) > 1e-9 {
		t.Errorf("Q4_K_M at %g, Q8_0 at %g tokens/s; want 10 as measured and %g scaled by bytes",
			a.Levels[q4].TokensPerSecond, a.Levels[q8].TokensPerSecond, wantQ8)
	}
	if l := a.Levels[q4]; l.KLD != 0.2 || !l.KLDMeasured || l.Quality != LargeLoss || a.Levels[q8].KLDMeasured {
		t.Errorf("Q4_K_M: KLD %g (measured %v), %q; want the measured 0.2, a large loss", l.KLD, l.KLDMeasured, l.Quality)
	}

	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "memory is unknown"},
		{Options{Hardware: machine, Speed: &Speed{Type: "Q9_X", TokensPerSecond: 1}}, "unknown level"},
		{Options{Hardware: machine, Speed: &Speed{TokensPerSecond: 0}}, "not positive"},
	} {
		if _, err := Advise(m, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want it to say %q", tc.opts, err, tc.want)
		}
	}
	if _, err := Advise(m, Options{}); !errors.Is(err, ErrNoMemorySize) {
		t.Errorf("unknown memory: %v, want ErrNoMemorySize", err)
	}
}
