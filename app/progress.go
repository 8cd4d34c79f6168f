package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/term"
)

// progressBar draws a one-line progress bar on a terminal, at most a few
// times a second. On anything but a terminal it draws nothing, so logs and
// pipes stay clean.
type progressBar struct {
	w     io.Writer
	on    bool
	start time.Time
	last  time.Time
	drawn bool
	width int
	count bool // done and total are counts of things, not bytes (newCountBar)
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	on := ok && term.IsTerminal(int(f.Fd()))
	width := 80
	if on {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 40 {
			width = cols
		}
	}
	return &progressBar{w: w, on: on, start: time.Now(), width: width}
}

// newCountBar is newProgressBar for progress counted in things (chunks,
// steps) rather than bytes.
func newCountBar(w io.Writer) *progressBar {
	b := newProgressBar(w)
	b.count = true
	return b
}

func (b *progressBar) update(done, total int64, what string) {
	if !b.on || total <= 0 {
		return
	}
	now := time.Now()
	if now.Sub(b.last) < 100*time.Millisecond && done < total {
		return
	}
	b.last = now
	frac := float64(done) / float64(total)
	eta := "--"
	if elapsed := now.Sub(b.start); frac > 0.01 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	amount := humanize.IBytes(uint64(done)) + "/" + humanize.IBytes(uint64(total))
	if b.count {
		amount = fmt.Sprintf("%d/%d", done, total)
	}
	info := fmt.Sprintf(" %3.0f%% %s left %s  %s", frac*100, amount, eta, what)
	barLen := 20
	filled := int(frac * float64(barLen))
	line := "[" + strings.Repeat("#", filled) + strings.Repeat(".", barLen-filled) + "]" + info
	if len(line) > b.width-1 {
		line = line[:b.width-1]
	}
	fmt.Fprintf(b.w, "\r%-*s", b.width-1, line)
	b.drawn = true
}

// done clears the bar so the next output starts on a clean line.
func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.width-1))
	}
}
