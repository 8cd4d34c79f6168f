package ui

import (
	"context"
	"fmt"
	"nibble/engine/refdata"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/hw"
)

// TestMain keeps the tests away from the keyring of whoever runs them
// (the Settings screen and downloads read the access token there): an
// in-memory one answers.
func TestMain(m *testing.M) {
	keyring.MockInit()
	os.Exit(m.Run())
}

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
	d := newQueuedApp(t)
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
	s := open(w, svc)
	flush()
	// Nothing of this window may run into the next test, whose app is
	// another: answers are stopped and the window left idle.
	t.Cleanup(func() {
		if s.chat != nil {
			s.chat.st.Stop()
		}
		d.settle(t, s)
	})
	return s, w
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

// queuedDriver is Fyne's test driver but for fyne.Do, which it queues, as
// the real driver does, for the test's goroutine to run (flush): the test
// driver runs the function at once on the caller's goroutine, where it
// races with the test's goroutine, which plays the window's (lays it out,
// taps it). fyne.DoAndWait is for the test's goroutine only: it runs the
// functions queued, then its own.
type queuedDriver struct {
	fyne.Driver
	mu     sync.Mutex
	queued []func()
}

func (d *queuedDriver) DoFromGoroutine(f func(), wait bool) {
	if wait {
		d.flush()
		f()
		return
	}
	d.mu.Lock()
	d.queued = append(d.queued, f)
	d.mu.Unlock()
}

// flush runs the functions queued, and those they queue, and tells how
// many it ran.
func (d *queuedDriver) flush() int {
	n := 0
	for {
		d.mu.Lock()
		q := d.queued
		d.queued = nil
		d.mu.Unlock()
		if len(q) == 0 {
			return n
		}
		for _, f := range q {
			f()
		}
		n += len(q)
	}
}

// queuedApp is Fyne's test app with a queuedDriver.
type queuedApp struct {
	fyne.App
	driver *queuedDriver
}

func (a queuedApp) Driver() fyne.Driver { return a.driver }

// newQueuedApp makes a test app whose fyne.Do queues the current app until
// the end of the test, and returns its driver.
func newQueuedApp(t *testing.T) *queuedDriver {
	a := test.NewTempApp(t)
	d := &queuedDriver{Driver: a.Driver()}
	fyne.SetCurrentApp(queuedApp{a, d})
	return d
}

// flush runs what the window's background work queued with fyne.Do, as the
// window's event loop does between frames.
func flush() { fyne.CurrentApp().Driver().(*queuedDriver).flush() }

// settle waits until the window is idle: the screens' background work
// (shell.work) has ended, no answer is being loaded or written, and what
// they queued for the window has run; it fails the test after a minute.
func settle(t *testing.T, s *shell) {
	t.Helper()
	fyne.CurrentApp().Driver().(*queuedDriver).settle(t, s)
}

// settle is the package's settle for a window of this driver's app.
func (d *queuedDriver) settle(t *testing.T, s *shell) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		idle := s.work.idle()
		if s.chat != nil {
			cv := s.chat.st.View()
			idle = idle && !cv.Loading && !cv.Writing && !s.chat.pending.Load()
		}
		if d.flush() == 0 && idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the background work did not end")
		}
	}
}

// widgetIn returns the first visible widget of type T among objects that
// ok accepts, failing the test if there is none (what names it).
func widgetIn[T fyne.CanvasObject](t *testing.T, objects []fyne.CanvasObject, what string, ok func(T) bool) T {
	t.Helper()
	for _, o := range objects {
		if w, is := o.(T); is && o.Visible() && ok(w) {
			return w
		}
	}
	t.Fatalf("no %s", what)
	var none T
	return none
}

// buttonLabelled returns the visible button with text among objects,
// failing the test if there is none.
func buttonLabelled(t *testing.T, objects []fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	return widgetIn(t, objects, fmt.Sprintf("button %q", text), func(b *widget.Button) bool { return b.Text == text })
}

// buttonNamed is buttonLabelled on what w shows once it has run what was
// queued for it.
func buttonNamed(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	flush()
	return buttonLabelled(t, onScreen(w), text)
}

// checkNamed returns the check box w shows with text once it has run what
// was queued for it, failing the test if there is none.
func checkNamed(t *testing.T, w fyne.Window, text string) *widget.Check {
	t.Helper()
	flush()
	return widgetIn(t, onScreen(w), fmt.Sprintf("check box %q", text), func(c *widget.Check) bool { return c.Text == text })
}

// downloads makes a new home folder for the test whose Downloads holds
// copies of the shared test models named (and no Ollama or Hugging Face
// models), as the welcome finds them; it returns the copies' paths.
func downloads(t *testing.T, models ...string) []string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("OLLAMA_MODELS", filepath.Join(home, "no-ollama"))
	t.Setenv("HF_HUB_CACHE", filepath.Join(home, "no-hf"))
	var paths []string
	for _, name := range models {
		data, err := os.ReadFile(refdata.Path(t, "models/"+name+".gguf"))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(home, "Downloads", name+".gguf")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}
