package state

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"nibble/catalog"
)

func newSettingsTest(t *testing.T) (*Settings, *catalog.Catalog) {
	t.Helper()
	c := newCatalog(t)
	return NewSettings(c), c
}

// TestSettingsThreads: automatic first, then every count up to the cores;
// a choice is stored as the number the engine takes, and read back.
func TestSettingsThreads(t *testing.T) {
	s, c := newSettingsTest(t)
	s.cores = 4 // play a 4-core computer
	want := []string{"Automatic (all 4 cores)", "1 core", "2 cores", "3 cores", "4 cores"}
	if got := s.ThreadChoices(); !slices.Equal(got, want) {
		t.Fatalf("choices %q, want %q", got, want)
	}
	if got := s.Threads(); got != want[0] {
		t.Errorf("unset: %q, want %q", got, want[0])
	}
	for _, tc := range []struct {
		choice string
		stored int
	}{{"2 cores", 2}, {"1 core", 1}, {"Automatic (all 4 cores)", 0}, {"4 cores", 4}} {
		if err := s.SetThreads(tc.choice); err != nil {
			t.Fatal(err)
		}
		if got := ThreadsSetting(c); got != tc.stored {
			t.Errorf("%q stored as %d, want %d", tc.choice, got, tc.stored)
		}
		if got := s.Threads(); got != tc.choice {
			t.Errorf("%q read back as %q", tc.choice, got)
		}
	}
	if err := s.SetThreads("9 cores"); err == nil {
		t.Error("a choice not offered was taken")
	}
	// A count from a larger computer, or garbage, reads as automatic.
	for _, v := range []string{"16", "many", "-3"} {
		c.SetSetting(SettingThreads, v)
		if got := s.Threads(); got != want[0] {
			t.Errorf("stored %q reads as %q, want automatic", v, got)
		}
	}
	if got := NewSettings(c).ThreadChoices()[0]; got != "Automatic (all "+strconv.Itoa(runtime.GOMAXPROCS(0))+" cores)" {
		t.Errorf("this computer's automatic choice is %q", got)
	}
}

// TestSettingsTheme: each choice stores its value and reads back; unknown
// stored values follow the system.
func TestSettingsTheme(t *testing.T) {
	s, c := newSettingsTest(t)
	if got := s.Theme(); got != "Follow the system" {
		t.Errorf("unset: %q", got)
	}
	changes := 0
	s.Listen(func() { changes++ })
	for _, tc := range []struct{ choice, value string }{
		{"Dark", "dark"}, {"Light", "light"}, {"Follow the system", ""},
	} {
		v, err := s.SetTheme(tc.choice)
		if err != nil || v != tc.value || ThemeSetting(c) != tc.value {
			t.Errorf("SetTheme(%q) = %q, %v; stored %q; want %q", tc.choice, v, err, ThemeSetting(c), tc.value)
		}
		if got := s.Theme(); got != tc.choice {
			t.Errorf("%q read back as %q", tc.choice, got)
		}
	}
	if changes != 3 {
		t.Errorf("%d changes announced, want 3", changes)
	}
	if _, err := s.SetTheme("Purple"); err == nil {
		t.Error("an unknown theme was taken")
	}
	c.SetSetting(SettingTheme, "purple")
	if got := s.Theme(); got != "Follow the system" || ThemeSetting(c) != "" {
		t.Errorf("stored %q reads as %q", "purple", got)
	}
}

// TestSettingsModelsDir: a new models folder is created and used for new
// copies; the catalog's path is where the catalog is.
func TestSettingsModelsDir(t *testing.T) {
	s, c := newSettingsTest(t)
	dir, err := s.ModelsDir()
	if err != nil || filepath.Dir(dir) != c.Dir() {
		t.Errorf("default models folder %q (%v), want one in %q", dir, err, c.Dir())
	}
	next := filepath.Join(t.TempDir(), "elsewhere")
	if err := s.SetModelsDir(next); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ModelsDir(); got != next {
		t.Errorf("models folder %q, want %q", got, next)
	}
	if st, err := os.Stat(next); err != nil || !st.IsDir() {
		t.Errorf("the new folder was not created: %v", err)
	}
	if got := s.CatalogPath(); got != filepath.Join(c.Dir(), catalog.FileName) {
		t.Errorf("catalog path %q", got)
	}
}
