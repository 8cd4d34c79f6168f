package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/hw"
	"nibble/quant/advise"
)

// Fit is the "Make it fit" screen for one model: every level it can be
// made at, with what each needs and gives on this computer at the chosen
// context, the recommended one preselected, and the making of the chosen
// one. It is safe for concurrent use; every change is announced through
// Changes.
//
// Advise and Make block (reading a header takes up to a second, making a
// level minutes): the view calls them from goroutines.
type Fit struct {
	Changes
	svc    *service.Service
	source catalog.Variant

	mu        sync.Mutex
	entry     catalog.Entry
	ctxLen    int // 0 until the first advice: the advisor's default
	contexts  []int
	advice    advise.Advice
	ram       hw.RAM
	adviceErr error
	chosen    string // the level the user chose; "": the recommended one
	making    bool
	progress  MakeProgress
	notified  time.Time // when progress was last announced
	cancel    context.CancelFunc
	makeErr   error
}

// NewFit returns the screen for model e, making levels from its best
// variant (see Source). Nothing is advised until Advise.
func NewFit(svc *service.Service, e catalog.Entry) *Fit {
	return &Fit{svc: svc, entry: e, source: service.BestSource(e.Variants)}
}

// Model returns the model being made smaller.
func (f *Fit) Model() catalog.Model {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entry.Model
}

// SourceNote says in one sentence which file new levels are made from and
// why.
func (f *Fit) SourceNote() string {
	if service.Unquantized(f.source.Level) {
		return fmt.Sprintf("Made from your %s file, the most precise version you have, so the new file loses as little as possible.", f.source.Tag)
	}
	return fmt.Sprintf("Made from your %s file, the largest version you have; levels larger than it need the original model.", f.source.Tag)
}

// Advise predicts every level at the chosen context (the advisor's default
// at first) and announces the change. The level the user chose stays chosen
// if it can still be made; otherwise the recommended one is.
func (f *Fit) Advise(ctx context.Context) error {
	f.mu.Lock()
	n := f.ctxLen
	f.mu.Unlock()
	_, a, err := f.svc.Advise(ctx, f.source, n)
	ram := f.svc.Hardware(ctx).RAM
	f.mu.Lock()
	f.adviceErr = err
	if err == nil {
		f.advice, f.ram, f.ctxLen = a, ram, a.Context
		f.contexts = contextChoices(f.entry.Model.ContextLength, a.Context)
		if l, ok := f.level(f.chosen); !ok || !l.Offered {
			f.chosen = ""
		}
	}
	f.mu.Unlock()
	f.changed()
	return err
}

// AdviceErr is the last Advise's error, nil if it succeeded.
func (f *Fit) AdviceErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.adviceErr
}

// contextChoices are the context lengths offered: the usual ones up to the
// model's own (all of them when it is unknown, 0), and the current one.
func contextChoices(model uint64, current int) []int {
	var out []int
	for _, n := range []int{2048, 4096, 8192, 16384} {
		if model == 0 || uint64(n) <= model {
			out = append(out, n)
		}
	}
	if current > 0 && !slices.Contains(out, current) {
		out = append(out, current)
		slices.Sort(out)
	}
	return out
}

// Contexts returns the context lengths the user can choose, in tokens,
// ascending; Context the one the figures are for. Both are empty until
// the first Advise.
func (f *Fit) Contexts() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.contexts)
}

// Context returns the context length the figures are for, 0 before Advise.
func (f *Fit) Context() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ctxLen
}

// SetContext chooses n tokens of context and advises again.
func (f *Fit) SetContext(ctx context.Context, n int) error {
	f.mu.Lock()
	f.ctxLen = n
	f.mu.Unlock()
	return f.Advise(ctx)
}

// FitLevel is one level as the screen shows it.
type FitLevel struct {
	advise.Level
	Description string // the level in plain words (quant.Mix.Description)
	Recommended bool
	// Why says why the level cannot be made from the source, "" if it can.
	Why string
	// Existing is the library's variant at this level, if it has one: no
	// need to make it again.
	Existing *catalog.Variant
	// Tuned says Make studies the model on a sample text first for this
	// level (an importance matrix, service.UsesImportance).
	Tuned bool
}

// Summary gives the level's figures but quality (l.Quality) in one line:
// "3.4 MB file · needs 31 MB of memory · about 5,800 words a second"; ""
// for a level that cannot be made (Why says so).
func (l FitLevel) Summary() string {
	if l.Unavailable != "" {
		return ""
	}
	return fmt.Sprintf("%s file · needs %s of memory · %s", Bytes(l.FileBytes), Bytes(l.MemoryBytes), SpeedWords(l.TokensPerSecond))
}

// QualityWords gives the level's quality and where it comes from: "small
// loss (measured on this model)" when the library's variant at this level
// was checked (Check quality), else "small loss (estimate for typical
// models)", the advisor's figure from other models.
func (l FitLevel) QualityWords() string {
	if l.KLDMeasured {
		return string(l.Quality) + " (measured on this model)"
	}
	return string(l.Quality) + " (estimate for typical models)"
}

// Levels returns every level, largest file first, nil before Advise.
func (f *Fit) Levels() []FitLevel {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []FitLevel
	for _, l := range f.advice.Levels {
		fl := FitLevel{Level: l, Description: l.Mix.Description, Recommended: l.Type == f.advice.Recommended,
			Tuned: service.UsesImportance(l.Type)}
		switch {
		case l.Unavailable != "":
			fl.Why = "Cannot be made from this model: its shape does not suit this level."
		case !l.Offered:
			fl.Why = fmt.Sprintf("Needs the original model: your %s file has already lost what this level keeps.", f.source.Tag)
		}
		for _, v := range f.entry.Variants {
			if v.Level == l.Type && !v.Missing {
				fl.Existing = &v
				break
			}
		}
		out = append(out, fl)
	}
	return out
}

// level finds level name in the advice; the caller holds mu.
func (f *Fit) level(name string) (advise.Level, bool) {
	for _, l := range f.advice.Levels {
		if l.Type == name {
			return l, true
		}
	}
	return advise.Level{}, false
}

// Selected returns the level chosen: the user's choice, else the
// recommended one; "" when there is neither (nothing fits).
func (f *Fit) Selected() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chosen != "" {
		return f.chosen
	}
	return f.advice.Recommended
}

// Select chooses level name, which must be offered.
func (f *Fit) Select(name string) error {
	f.mu.Lock()
	l, ok := f.level(name)
	switch {
	case !ok:
		f.mu.Unlock()
		return fmt.Errorf("no level %q", name)
	case l.Unavailable != "":
		f.mu.Unlock()
		return fmt.Errorf("%s cannot be made from this model: %s", name, l.Unavailable)
	case !l.Offered:
		f.mu.Unlock()
		return fmt.Errorf("%s needs the original model", name)
	}
	f.chosen = name
	f.mu.Unlock()
	f.changed()
	return nil
}

// Recommendation returns the advisor's reason for its choice in one
// sentence, and what the user should also know ("" if nothing), with sizes
// spelled as Bytes spells them (the advisor writes "GiB", as the commands
// do).
func (f *Fit) Recommendation() (reason, warning string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return plainUnits(f.advice.Reason), plainUnits(f.advice.Warning)
}

// ChartPoint is one level on the size-vs-quality chart.
type ChartPoint struct {
	Name      string
	FileBytes uint64
	// SameTop is how often the level picks the original's next word, 0..1:
	// as measured on this model when Measured, else the advisor's estimate
	// (advise.SameTopToken).
	SameTop                        float64
	Measured                       bool
	Offered, Recommended, Selected bool
}

// Chart is what the size-vs-quality chart draws.
type Chart struct {
	Points []ChartPoint
	// MemoryFile is the largest file that runs well on this computer at
	// the chosen context, where the chart draws "your memory"; valid when
	// MemoryKnown.
	MemoryFile  uint64
	MemoryKnown bool
}

// Chart returns the levels as points and this computer's memory as a file
// size, empty before Advise.
func (f *Fit) Chart() Chart {
	f.mu.Lock()
	defer f.mu.Unlock()
	var c Chart
	selected := f.chosen
	if selected == "" {
		selected = f.advice.Recommended
	}
	for _, l := range f.advice.Levels {
		if l.Unavailable != "" { // no size to draw it at
			continue
		}
		p := ChartPoint{Name: l.Type, FileBytes: l.FileBytes, SameTop: l.SameTopToken, Measured: l.KLDMeasured,
			Offered: l.Offered, Recommended: l.Type == f.advice.Recommended, Selected: l.Type == selected}
		if q := f.measured(l.Type); l.KLDMeasured && q != nil {
			p.SameTop = q.SameTop
		}
		c.Points = append(c.Points, p)
		if !c.MemoryKnown && f.ram.Total > 0 {
			c.MemoryFile, c.MemoryKnown = largestFileRunningWell(l.MemoryBytes-l.FileBytes, f.ram)
		}
	}
	return c
}

// measured returns the quality measured on the library's variant at
// level, nil if there is none; the caller holds mu.
func (f *Fit) measured(level string) *catalog.Quality {
	for _, v := range f.entry.Variants {
		if v.Level == level && v.Quality != nil {
			return v.Quality
		}
	}
	return nil
}

// largestFileRunningWell returns the largest file whose memory need (the
// file plus overhead, the same for every level of a model) advise.VerdictFor
// judges RunsWell on ram, by bisection so the rule stays the advisor's;
// false when none does.
func largestFileRunningWell(overhead uint64, ram hw.RAM) (uint64, bool) {
	runs := func(file uint64) bool { return advise.VerdictFor(file+overhead, ram) == advise.RunsWell }
	if !runs(0) {
		return 0, false
	}
	lo, hi := uint64(0), ram.Total // runs(lo), !runs(hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if runs(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, true
}

// MakeProgress is how far Make has come: its first phase, when the level
// uses an importance matrix, studies the model on a sample text (Studying),
// the second converts it.
type MakeProgress struct {
	service.VariantProgress
	Elapsed time.Duration // since the phase began
}

// Fraction is the share of the phase's work done, 0..1.
func (p MakeProgress) Fraction() float64 {
	if p.Studying {
		return fraction(float64(p.Chunk), float64(p.Chunks))
	}
	return fraction(float64(p.Quant.BytesDone), float64(p.Quant.BytesTotal))
}

// Text puts the progress in words: "Studying the model on a sample text,
// so the smaller version keeps more of its quality · part 2 of 8 · about 10
// seconds left", then "Part 12 of 57 (blk.3.attn_q.weight) · 4.1 MB of 23
// MB · about 10 seconds left", the time left estimated from the rate so far.
func (p MakeProgress) Text() string {
	if p.Studying {
		return fmt.Sprintf("Studying the model on a sample text, so the smaller version keeps more of its quality · part %d of %d · %s",
			p.Chunk, p.Chunks, timeLeft(p.Elapsed, float64(p.Chunk), float64(p.Chunks)))
	}
	q := p.Quant
	if q.Tensors == 0 {
		return "Starting…"
	}
	return fmt.Sprintf("Part %d of %d (%s) · %s of %s · %s", q.Tensor+1, q.Tensors, q.Name,
		Bytes(uint64(q.BytesDone)), Bytes(uint64(q.BytesTotal)), timeLeft(p.Elapsed, float64(q.BytesDone), float64(q.BytesTotal)))
}

// fraction is done's share of total, 0..1; 0 while total is unknown (0).
func fraction(done, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return done / total
}

// timeLeft estimates the time left in words from the rate of done of total
// in the time elapsed so far.
func timeLeft(elapsed time.Duration, done, total float64) string {
	switch {
	case total > 0 && done >= total:
		return "finishing…"
	case done > 0 && elapsed >= 500*time.Millisecond:
		return leftWords(time.Duration(float64(elapsed) * (total - done) / done))
	}
	return "working out the time left…"
}

// leftWords puts a time left in words: "about 3 minutes left".
func leftWords(d time.Duration) string {
	if d < time.Second {
		return "almost done"
	}
	now := time.Now()
	return "about " + humanize.RelTime(now, now.Add(d), "left", "")
}

// Making returns the progress of the Make under way, if any.
func (f *Fit) Making() (MakeProgress, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.progress, f.making
}

// MakeErr is the last Make's error: nil if it succeeded or none ran.
func (f *Fit) MakeErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.makeErr
}

// errMaking is Make's refusal to start a second conversion.
var errMaking = errors.New("a smaller version is being made already")

// Make makes the selected level from the source (service.MakeVariant),
// reporting progress through Making and Changes (at most ten times a
// second), and returns the new variant, now in the catalog. A level the
// library already has gives an error wrapping catalog.ErrExists: open the
// Existing variant instead. Cancel, or cancelling ctx, stops it, leaving
// no file and no entry, with an error wrapping context.Canceled. It blocks
// until done: call it from a goroutine.
func (f *Fit) Make(ctx context.Context) (catalog.Variant, error) {
	name := f.Selected()
	f.mu.Lock()
	switch {
	case f.making:
		f.mu.Unlock()
		return catalog.Variant{}, errMaking
	case name == "":
		f.mu.Unlock()
		return catalog.Variant{}, errors.New("no level fits this computer")
	}
	for _, v := range f.entry.Variants {
		if v.Level == name && !v.Missing {
			f.mu.Unlock()
			return catalog.Variant{}, fmt.Errorf("%s %s: %w", f.entry.Model.DisplayName, name, catalog.ErrExists)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	f.making, f.cancel, f.makeErr = true, cancel, nil
	f.progress = MakeProgress{}
	f.mu.Unlock()
	f.changed()

	studying := false
	v, _, err := f.svc.MakeVariant(ctx, f.source, name, func(p service.VariantProgress) {
		f.mu.Lock()
		if p.Studying != studying { // a new phase: its own time left
			studying, start = p.Studying, time.Now()
		}
		f.progress = MakeProgress{VariantProgress: p, Elapsed: time.Since(start)}
		announce := time.Since(f.notified) >= 100*time.Millisecond
		if announce {
			f.notified = time.Now()
		}
		f.mu.Unlock()
		if announce {
			f.changed()
		}
	})
	e, lerr := f.svc.Catalog.Lookup(f.entry.Model.Name)
	f.mu.Lock()
	f.making, f.cancel, f.makeErr = false, nil, err
	if lerr == nil {
		f.entry = e
	}
	f.mu.Unlock()
	f.changed()
	return v, err
}

// Cancel stops the Make under way, if any.
func (f *Fit) Cancel() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cancel != nil {
		f.cancel()
	}
}
