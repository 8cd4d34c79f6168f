package ui

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"nibble/app/service"
	"nibble/catalog"
)

// Screenshots opens Nibble's window, titled "Nibble", over svc with Fyne's
// real driver (OpenGL), shows every screen in turn at each of sizes and
// saves what grab returns, a PNG picture of the window as the screen shows
// it, as SCREEN-WIDTHxHEIGHT.png in dir: the welcome, the library (also in
// the dark theme; all others are light), "Make it fit" for the catalog's
// model with the most variants, the same screen for
// the largest model making its Q4_K_M level (quantize: the picture is taken
// while it is made, then it is cancelled), the most recent chat, and
// the settings; before, it checks the quality of every variant of the
// model with the most variants, for them to show it. grab reads the
// screen, as ImageMagick's import does: Fyne's own Canvas.Capture reads
// OpenGL's front buffer, which Xvfb's software OpenGL leaves blank. The catalog must hold at least one
// model; a chat is shown if it has one. It is a developer's tool, for the
// README (`make screenshots` runs it under Xvfb); it returns when the last
// picture is saved and the window closed.
func Screenshots(svc *service.Service, dir string, sizes []fyne.Size, grab func(title string) ([]byte, error)) error {
	entries, err := svc.Catalog.List()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return errors.New("the catalog has no models to show")
	}
	e := slices.MaxFunc(entries, func(a, b catalog.Entry) int { return cmp.Compare(len(a.Variants), len(b.Variants)) })
	// Its quality checked, for the library and the chart to show measured
	// levels (seconds for the shared test models).
	for _, v := range e.Variants {
		if _, err := svc.MeasureQuality(context.Background(), v, nil); err != nil {
			return err
		}
	}
	if e, err = svc.Catalog.Lookup(e.Model.Name); err != nil {
		return err
	}
	big := slices.MaxFunc(entries, func(a, b catalog.Entry) int { return cmp.Compare(entrySize(a), entrySize(b)) })
	chats, err := svc.Catalog.Chats()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	a := app.NewWithID(AppID)
	w := a.NewWindow("Nibble")
	w.Resize(sizes[0])
	s := open(w, svc)
	applyTheme("light") // whatever the system's (Xvfb's) choice, but for one picture
	// making, set by the quantize screen, starts making a level and
	// returns the picture taken while it is in progress.
	var making func(grab func() ([]byte, error)) ([]byte, error)
	screens := []struct {
		name string
		show func()
	}{
		{"welcome", s.showWelcome},
		{"library-dark", func() { applyTheme("dark"); s.showLibrary() }},
		{"library", func() { applyTheme("light"); s.showLibrary() }},
		{"getmodel", s.showGetModel},
		{"fit", func() { s.showFit(e) }},
		{"quantize", func() { making = showMaking(s, big) }},
		{"chat", func() {
			if len(chats) > 0 {
				s.showChat(chats[0].ID)
			} else {
				s.showChat(0)
			}
		}},
		{"settings", s.showSettings},
	}
	go func() {
		defer fyne.Do(a.Quit)
		for _, size := range sizes {
			fyne.DoAndWait(func() { w.Resize(size) })
			for _, sc := range screens {
				fyne.DoAndWait(sc.show)
				name := fmt.Sprintf("%s-%dx%d.png", sc.name, int(size.Width), int(size.Height))
				var shot []byte
				if shot, err = settled(func() ([]byte, error) { return grab(w.Title()) }); err != nil {
					return
				}
				if making != nil {
					// The level is being made: take it in progress, then
					// cancel, which leaves the catalog as it was.
					shot, err = making(func() ([]byte, error) { return grab(w.Title()) })
					making = nil
					if err != nil {
						return
					}
				}
				if err = os.WriteFile(filepath.Join(dir, name), shot, 0o644); err != nil {
					return
				}
			}
		}
	}()
	w.ShowAndRun()
	return err
}

// settled returns what grab returns once the screen stops changing: a
// second after it is shown (background work such as probing the hardware
// starts at once and mostly ends by then), when two pictures half a second
// apart are the same, or after 10 s (a screen with something moving on
// it).
func settled(grab func() ([]byte, error)) ([]byte, error) {
	time.Sleep(time.Second)
	last, err := grab()
	for deadline := time.Now().Add(10 * time.Second); err == nil && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		var next []byte
		if next, err = grab(); bytes.Equal(next, last) {
			break
		}
		last = next
	}
	return last, err
}

// showMaking shows "Make it fit" for e and returns the function that, once
// the screen has settled, starts making the usual level (Q4_K_M: the
// recommended one may be in the library already), takes the picture with
// grab while it is in progress and cancels it.
func showMaking(s *shell, e catalog.Entry) func(grab func() ([]byte, error)) ([]byte, error) {
	v := buildFitView(s, e)
	s.work.Go(func() { v.fit.Advise(context.Background()) })
	s.show("Library", v.root)
	return func(grab func() ([]byte, error)) ([]byte, error) {
		if err := v.fit.Select("Q4_K_M"); err != nil {
			return nil, err
		}
		time.Sleep(500 * time.Millisecond) // the screen shows the choice
		fyne.DoAndWait(v.startMaking)
		time.Sleep(1500 * time.Millisecond)
		shot, err := grab()
		v.fit.Cancel()
		s.work.Wait()
		return shot, err
	}
}

// entrySize is the size of e's largest file.
func entrySize(e catalog.Entry) int64 {
	var n int64
	for _, v := range e.Variants {
		n = max(n, v.Size)
	}
	return n
}
