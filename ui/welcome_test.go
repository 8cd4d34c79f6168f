package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"nibble/catalog"
	"nibble/ui/state"
)

// TestWelcomeFlow: the first start shows this computer and what it runs,
// lists the model in the Downloads folder, adds it when the user checks it
// and presses "Add selected", and "Go to my library" ends the welcome for
// good.
func TestWelcomeFlow(t *testing.T) {
	model := downloads(t, "ts5m-Q4_K_M")[0]

	s, w := newTestWindow(t, nil)
	for _, want := range []string{
		"16 GB, 12 GB free now",
		"Test CPU, 8 cores",
		"None found. Nibble runs models on the processor, so graphics do not change what fits.",
		"Models up to about 15 billion parameters run well here, with the memory free now.",
		"Downloads · 3.4 MB",
	} {
		waitText(t, w, want)
	}
	// Found models come selected; unchecking the only one leaves nothing to add.
	if buttonNamed(t, w, "Add selected").Disabled() {
		t.Error("Add selected is disabled with the model found selected")
	}
	test.Tap(checkNamed(t, w, "ts5m-Q4_K_M"))
	if !buttonNamed(t, w, "Add selected").Disabled() {
		t.Error("Add selected is enabled with nothing selected")
	}
	test.Tap(checkNamed(t, w, "ts5m-Q4_K_M"))
	add := buttonNamed(t, w, "Add selected")
	if add.Disabled() {
		t.Fatal("Add selected is disabled with a model selected")
	}
	test.Tap(add)
	waitText(t, w, "Downloads · 3.4 MB — Added")
	e, _, err := s.svc.Catalog.LookupFile(model)
	if err != nil {
		t.Fatalf("the model is not in the catalog: %v", err)
	}
	if e.Variants[0].Owned {
		t.Error("the model was copied, want it linked where it is")
	}

	test.Tap(buttonNamed(t, w, "Go to my library"))
	if _, set, _ := s.svc.Catalog.Setting(state.SettingWelcomed); !set {
		t.Error("the welcome is not recorded as seen")
	}
	if s.nav["Library"].Importance != widget.HighImportance {
		t.Error("Go to my library did not open the library")
	}
}

// TestWelcomeNothingFound: with no models anywhere, the welcome says so and
// points to adding a file.
func TestWelcomeNothingFound(t *testing.T) {
	downloads(t)
	_, w := newTestWindow(t, func(c *catalog.Catalog) {})
	waitText(t, w, "Nibble found no models in the usual places")
	buttonNamed(t, w, "Choose a model file…")
	buttonNamed(t, w, "Choose a folder…")
}
