package ui

import (
	"slices"
	"testing"

	"nibble/catalog"
	"nibble/ui/state"
)

// TestShellFirstScreen: the welcome opens on a first start, the library
// once the user has been through it.
func TestShellFirstScreen(t *testing.T) {
	_, w := newTestWindow(t, nil)
	if got := labels(w); !slices.Contains(got, "Welcome") {
		t.Errorf("first start shows %q, want the welcome", got)
	}
	_, w = newTestWindow(t, func(c *catalog.Catalog) {
		if err := c.SetSetting(state.SettingWelcomed, "yes"); err != nil {
			t.Fatal(err)
		}
	})
	if got := labels(w); !slices.Contains(got, "Library") {
		t.Errorf("a later start shows %q, want the library", got)
	}
}
