package ui

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"nibble/catalog"
	"nibble/quant"
	"nibble/ui/state"
)

// openFit opens a test window whose library links the shared test models
// named, and shows Make it fit for their model.
func openFit(t *testing.T, models ...string) (*shell, fyne.Window, *fitView) {
	t.Helper()
	s, w := newTestWindow(t, inLibrary(t, models...))
	e, err := s.svc.Catalog.Lookup("tinystories-5m")
	if err != nil {
		t.Fatal(err)
	}
	v := buildFitView(s, e)
	s.show("Library", v.root)
	// Advised here rather than in the background as newFitView does, so
	// the view is complete when the test looks at it.
	if err := v.fit.Advise(context.Background()); err != nil {
		t.Fatal(err)
	}
	flush()
	return s, w, v
}

// chooseLevel selects level name in the list, as a click does.
func chooseLevel(t *testing.T, v *fitView, name string) {
	t.Helper()
	i := slices.IndexFunc(quant.Mixes(), func(m quant.Mix) bool { return m.Name == name })
	v.list.Select(i)
	flush()
	if v.fit.Selected() != name {
		t.Fatalf("selected %q after choosing %s", v.fit.Selected(), name)
	}
}

// TestFitMakeAndChat: the recommended level is preselected; the chosen one
// is made with a progress bar and a chat with it opens.
func TestFitMakeAndChat(t *testing.T) {
	s, w, v := openFit(t, "ts5m-F32")
	reason, _ := v.fit.Recommendation()
	if v.fit.Selected() == "" || !slices.Contains(labels(w), reason) || !strings.HasPrefix(v.chosen.Text, v.fit.Selected()+" — ") {
		t.Errorf("preselected %q, labels %q", v.fit.Selected(), labels(w))
	}
	if !slices.Contains(labels(w), "Made from your F32 file, the most precise version you have, so the new file loses as little as possible.") {
		t.Errorf("source not named: %q", labels(w))
	}
	// The app says which levels it tunes with an importance matrix.
	chooseLevel(t, v, "Q4_K_M")
	if !strings.Contains(v.chosen.Text, "tunes it on a sample text") {
		t.Errorf("Q4_K_M chosen: %q, want it to say it is tuned first", v.chosen.Text)
	}
	chooseLevel(t, v, "Q8_0")
	if strings.Contains(v.chosen.Text, "tunes") {
		t.Errorf("Q8_0 chosen: %q; Q8_0 uses no importance matrix", v.chosen.Text)
	}

	var shown []string // the progress texts shown
	v.fit.Listen(func() {
		fyne.Do(func() { // after the view's refresh, queued first
			if v.progress.Visible() {
				shown = append(shown, v.status.Text)
			}
		})
	})
	test.Tap(buttonLabelled(t, onScreen(w), "Make it"))
	settle(t, s)
	if placeShown(s) != "Chats" {
		t.Errorf("after making, %q is shown", placeShown(s))
	}
	if !slices.ContainsFunc(shown, func(s string) bool { return strings.HasPrefix(s, "Part ") && strings.Contains(s, " of 22 MB · ") }) {
		t.Errorf("progress shown: %q", shown)
	}
	e, _ := s.svc.Catalog.Lookup("tinystories-5m")
	if len(e.Variants) != 2 || !slices.ContainsFunc(e.Variants, func(v catalog.Variant) bool { return v.Level == "Q8_0" && v.Owned }) {
		t.Errorf("catalog after making: %+v", e.Variants)
	}
}

// TestFitCancel: Cancel stops the making, leaves no file and no entry, and
// says so; the screen stays.
func TestFitCancel(t *testing.T) {
	s, w, v := openFit(t, "ts5m-F32")
	chooseLevel(t, v, "Q4_0")
	var once sync.Once
	v.fit.Listen(func() {
		if p, making := v.fit.Making(); making && p.Quant.Tensors > 0 {
			// The making waits until the window has tapped Cancel.
			once.Do(func() {
				tapped := make(chan struct{})
				fyne.Do(func() { test.Tap(v.cancel); close(tapped) })
				<-tapped
			})
		}
	})
	test.Tap(buttonLabelled(t, onScreen(w), "Make it"))
	settle(t, s)
	if !v.problem.Visible() || v.problem.Text != "Cancelled. Nothing was changed." || v.progress.Visible() || v.make.Disabled() {
		t.Errorf("after cancelling: %q, progress shown %v, Make it disabled %v", v.problem.Text, v.progress.Visible(), v.make.Disabled())
	}
	if placeShown(s) != "Library" {
		t.Errorf("cancelling went to %q", placeShown(s))
	}
	dir, _ := s.svc.Catalog.ModelsDir()
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("models folder holds %v", files)
	}
	if e, _ := s.svc.Catalog.Lookup("tinystories-5m"); len(e.Variants) != 1 {
		t.Errorf("%d variants after cancelling", len(e.Variants))
	}
}

// TestFitExistingAndNotOffered: a level the library has offers a chat
// instead of making it again; levels larger than the source cannot be
// chosen.
func TestFitExistingAndNotOffered(t *testing.T) {
	s, w, v := openFit(t, "ts5m-Q8_0", "ts5m-Q4_0")
	if v.fit.Selected() != "Q8_0" {
		t.Fatalf("preselected %q", v.fit.Selected())
	}
	i := slices.IndexFunc(quant.Mixes(), func(m quant.Mix) bool { return m.Name == "F16" })
	v.list.Select(i)
	if v.fit.Selected() != "Q8_0" || !strings.HasPrefix(v.levels[i].Why, "Needs the original model") {
		t.Errorf("chose F16 from a Q8_0 file: selected %q, why %q", v.fit.Selected(), v.levels[i].Why)
	}
	chooseLevel(t, v, "Q4_0")
	if !v.make.Disabled() || !strings.HasPrefix(v.chosen.Text, "You already have Q4_0") {
		t.Errorf("existing level: Make it disabled %v, %q", v.make.Disabled(), v.chosen.Text)
	}
	test.Tap(buttonLabelled(t, onScreen(w), "Chat with it"))
	if placeShown(s) != "Chats" {
		t.Errorf("Chat with it went to %q", placeShown(s))
	}
}

// TestChartResizes: every dot and name stays inside the chart at any size,
// the recommended level is named where there is room, and the memory line
// is drawn and named.
func TestChartResizes(t *testing.T) {
	test.NewTempApp(t)
	var points []state.ChartPoint
	for i, m := range quant.Mixes() {
		points = append(points, state.ChartPoint{Name: m.Name, FileBytes: uint64(20-i) << 20,
			SameTop: 1 - float64(i)/40, Offered: i > 0, Recommended: m.Name == "Q4_K_M", Selected: m.Name == "Q4_K_M", Measured: i%3 == 0})
	}
	for _, tc := range []struct {
		name       string
		memory     uint64
		wantMemory string
	}{
		{"memory within", 15 << 20, "your memory"},
		{"memory far", 8 << 30, "your memory (8.0 GB) →"},
	} {
		c := newLevelChart()
		c.set(state.Chart{Points: points, MemoryFile: tc.memory, MemoryKnown: true})
		w := test.NewWindow(c)
		for _, size := range []fyne.Size{fyne.NewSize(300, 220), fyne.NewSize(900, 500)} {
			w.Resize(size)
			r := test.WidgetRenderer(c).(*chartRenderer)
			inside := func(o fyne.CanvasObject) bool {
				p, s := o.Position(), o.Size()
				return p.X >= 0 && p.Y >= 0 && p.X+s.Width <= c.Size().Width+0.5 && p.Y+s.Height <= c.Size().Height+0.5
			}
			for i, d := range r.dots {
				if !inside(d) || d.Size().Width == 0 {
					t.Errorf("%s at %v: dot %s at %v size %v outside %v", tc.name, size, points[i].Name, d.Position(), d.Size(), c.Size())
				}
				if n := r.names[i]; n.Visible() && !inside(n) {
					t.Errorf("%s at %v: name %s outside", tc.name, size, n.Text)
				}
			}
			// At the smallest size the dots crowd out every name beside
			// the recommended one's; names never cover dots.
			if rec := r.names[slices.IndexFunc(points, func(p state.ChartPoint) bool { return p.Recommended })]; !rec.Visible() && size.Width > 300 {
				t.Errorf("%s at %v: the recommended level is not named", tc.name, size)
			}
			// The legend, inside, meets no title or tick label.
			for i, l := range r.legendTexts {
				box := rect{l.Position(), l.Size()}
				if !inside(l) || !inside(r.legendDots[i]) || box.intersects(rect{r.xTitle.Position(), r.xTitle.Size()}) ||
					slices.ContainsFunc(r.xTicks, func(t *canvas.Text) bool { return box.intersects(rect{t.Position(), t.Size()}) }) {
					t.Errorf("%s at %v: legend %q at %v", tc.name, size, l.Text, box)
				}
			}
			if r.memText.Text != tc.wantMemory || !r.memText.Visible() || !inside(r.memText) ||
				r.memLine.Position1.X < chartLeft || r.memLine.Position1.X > c.Size().Width-chartRight+0.5 {
				t.Errorf("%s at %v: memory %q at %v, line at %v", tc.name, size, r.memText.Text, r.memText.Position(), r.memLine.Position1)
			}
		}
		w.Close()
	}
}

// TestChartNamesApart: on the advice for the shared test model, at the
// chart's sizes in windows of 1024x640 and 1280x800 and at its smallest,
// with the recommended level selected and with another, no two names meet,
// no name covers a dot or leaves the chart, levels at the same point share
// a name, and the recommended level is named.
func TestChartNamesApart(t *testing.T) {
	_, _, v := openFit(t, "ts5m-F32")
	for _, selected := range []string{"", "Q5_0"} {
		if selected != "" {
			chooseLevel(t, v, selected)
		}
		points := v.fit.Chart().Points
		for _, size := range []fyne.Size{fyne.NewSize(400, 360), fyne.NewSize(500, 560), fyne.NewSize(280, 200)} {
			v.chart.Resize(size)
			r := test.WidgetRenderer(v.chart).(*chartRenderer)
			var names []rect
			named := map[string]bool{}
			for _, n := range r.names {
				if !n.Visible() {
					continue
				}
				box := rect{n.Position(), n.Size()}
				if !(rect{size: size}).contains(box) {
					t.Errorf("%s selected, at %v: %q at %v leaves the chart", selected, size, n.Text, box)
				}
				for _, o := range names {
					if box.intersects(o) {
						t.Errorf("%s selected, at %v: %q at %v meets a name at %v", selected, size, n.Text, box, o)
					}
				}
				for i, d := range r.dots {
					if box.intersects(rect{d.Position(), d.Size()}) {
						t.Errorf("%s selected, at %v: %q covers %s's dot", selected, size, n.Text, points[i].Name)
					}
				}
				names = append(names, box)
				for _, name := range strings.Split(n.Text, ", ") {
					named[name] = true
				}
			}
			for i, p := range points {
				for j, q := range points[:i] {
					if p.FileBytes == q.FileBytes && p.SameTop == q.SameTop && named[p.Name] != named[q.Name] {
						t.Errorf("%s selected, at %v: %s and %s are at the same point but one is named alone", selected, size, p.Name, points[j].Name)
					}
				}
				if p.Recommended && !named[p.Name] {
					t.Errorf("%s selected, at %v: the recommended %s is not named", selected, size, p.Name)
				}
			}
			if len(names) < 5 && size.Width >= 400 {
				t.Errorf("%s selected, at %v: only %d names shown", selected, size, len(names))
			}
		}
	}
}
