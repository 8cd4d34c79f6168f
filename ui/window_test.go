package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestShellShowsAppName(t *testing.T) {
	w := test.NewWindow(NewShell())
	defer w.Close()
	found := false
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		if l, ok := o.(*widget.Label); ok && l.Text == "Nibble" {
			found = true
		}
	}
	if !found {
		t.Fatal("the window does not show the app name")
	}
}
