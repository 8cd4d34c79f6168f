package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/hw"
)

// testHardware is the computer the window tests play: 16 GiB, 12 free, 8
// cores, no GPU.
func testHardware(context.Context) hw.Report {
	return hw.Report{OS: "linux", Arch: "amd64",
		RAM: hw.RAM{Total: 16 << 30, Available: 12 << 30},
		CPU: hw.CPU{Model: "Test CPU", PhysicalCores: 8, LogicalCores: 8}, GPUs: []hw.GPU{}, GPUsComplete: true}
}

// newTestWindow opens Nibble in a window of Fyne's headless test driver over
// an empty catalog in a temporary folder; prepare, if not nil, fills the
// catalog first. The window and catalog are closed at the end of the test.
func newTestWindow(t *testing.T, prepare func(*catalog.Catalog)) (*shell, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	c, err := catalog.Open(catalog.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if prepare != nil {
		prepare(c)
	}
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1024, 640))
	t.Cleanup(w.Close)
	svc := service.New(c, testHardware)
	return open(w, svc), w
}

// labels returns the text of every label laid out in w.
func labels(w fyne.Window) []string {
	var out []string
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	}
	return out
}
