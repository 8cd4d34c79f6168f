package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"nibble/app/service"
	"nibble/quant/advise"
)

// GetModel is the "Get a model" screen: the curated models Nibble offers to
// download, each with the advisor's verdict for this computer and the level
// to download, best first (service.Suggest says the order). It is safe for
// concurrent use; every change is announced through Changes.
type GetModel struct {
	Changes
	svc *service.Service
	// Download fetches model at level into the catalog, telling progress
	// how it goes (service.Service.Get), and returns when that is done,
	// failed or ctx is cancelled. Set it before Get is called.
	Download func(ctx context.Context, m service.CuratedModel, level string, progress func(service.GetProgress)) error

	mu       sync.Mutex
	items    []service.Suggestion
	chosen   []string // the level to download, by item
	kept     []int64  // bytes kept by interrupted downloads, by item
	loadErr  error
	busy     int // the item being downloaded, -1 for none
	cancel   context.CancelFunc
	progress GetProgress
}

// NewGetModel returns the screen's view model over svc, empty until Load.
func NewGetModel(svc *service.Service) *GetModel { return &GetModel{svc: svc, busy: -1} }

// Load computes the list for this computer from the models' shapes (no
// file is read; probing the hardware the first time takes a moment) and
// announces the change. The recommended level of each model is chosen.
func (g *GetModel) Load(ctx context.Context) error {
	models, err := service.Curated()
	var items []service.Suggestion
	if err == nil {
		items, err = service.Suggest(models, g.svc.Hardware(ctx))
	}
	chosen, kept := make([]string, len(items)), make([]int64, len(items))
	for i, s := range items {
		chosen[i] = s.Level.Type
		kept[i], _ = g.svc.Downloaded(s.Model, s.Level.Type) // unknown: offer no resume
	}
	g.mu.Lock()
	g.items, g.chosen, g.kept, g.loadErr = items, chosen, kept, err
	g.mu.Unlock()
	g.changed()
	return err
}

// updateKept reads again what interrupted downloads of offer i at its
// chosen level have kept.
func (g *GetModel) updateKept(i int) {
	g.mu.Lock()
	m, level := g.items[i].Model, g.chosen[i]
	g.mu.Unlock()
	n, _ := g.svc.Downloaded(m, level)
	g.mu.Lock()
	g.kept[i] = n
	g.mu.Unlock()
}

// Discard deletes what interrupted downloads of offer i have kept, giving
// the disk its room back; not while it is being downloaded.
func (g *GetModel) Discard(i int) error {
	g.mu.Lock()
	if g.busy == i {
		g.mu.Unlock()
		return errors.New("this model is being downloaded: cancel it first")
	}
	m, level := g.items[i].Model, g.chosen[i]
	g.mu.Unlock()
	err := g.svc.DiscardDownload(m, level)
	g.updateKept(i)
	g.changed()
	return err
}

// LoadErr is the last Load's error, nil if it succeeded.
func (g *GetModel) LoadErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.loadErr
}

// Offer is one model of the list as the screen shows it.
type Offer struct {
	Name        string // display name
	Description string // one line for a non-technical user
	Details     string // size in parameters and license: "1.1 billion parameters · Apache-2.0"
	Level       string // the level chosen, "" when the model is too large at every level
	Size        string // the download at Level in words: "638 MB to download, needs about 1.2 GB of memory"
	Badge       advise.Verdict
	Reason      string // why this level, or why none (the advisor's sentence)
	// Kept is what interrupted downloads left, in words ("120 MB already
	// downloaded"); "" when nothing: the next download resumes from it.
	Kept string
}

// Offers returns the list, best first.
func (g *GetModel) Offers() []Offer {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Offer, len(g.items))
	for i, s := range g.items {
		o := Offer{
			Name: s.Model.Name, Description: s.Model.Description,
			Details: ParameterWords(s.Model.Params) + " parameters · " + s.Model.License,
			Level:   g.chosen[i], Badge: advise.TooLarge, Reason: s.Reason,
		}
		if g.kept[i] > 0 {
			o.Kept = Bytes(uint64(g.kept[i])) + " already downloaded"
		}
		if l, ok := levelOf(s.Advice, o.Level); ok {
			o.Badge = l.Verdict
			o.Size = fmt.Sprintf("%s to download, needs about %s of memory", Bytes(l.FileBytes), Bytes(l.MemoryBytes))
			if original, ok := levelOf(s.Advice, "F16"); ok && s.Model.Files[o.Level] == "" {
				o.Size = fmt.Sprintf("Made on this computer from the original (about %s to download), needs about %s of memory",
					Bytes(original.FileBytes), Bytes(l.MemoryBytes))
			}
		}
		out[i] = o
	}
	return out
}

// levelOf returns a's prediction for level name.
func levelOf(a advise.Advice, name string) (advise.Level, bool) {
	i := slices.IndexFunc(a.Levels, func(l advise.Level) bool { return l.Type == name })
	if name == "" || i < 0 {
		return advise.Level{}, false
	}
	return a.Levels[i], true
}

// Levels returns the levels offer i can be got at, largest first as the
// advisor lists them: every level the model's shape allows that fits this
// computer. Those with no ready file upstream are made on this computer
// from the original weights.
func (g *GetModel) Levels(i int) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, l := range g.items[i].Advice.Levels {
		if l.Unavailable == "" && l.Verdict != advise.TooLarge {
			out = append(out, l.Type)
		}
	}
	return out
}

// Choose makes level the one offer i downloads.
func (g *GetModel) Choose(i int, level string) error {
	if !slices.Contains(g.Levels(i), level) {
		return fmt.Errorf("level %s cannot be downloaded for this model", level)
	}
	g.mu.Lock()
	g.chosen[i] = level
	g.mu.Unlock()
	g.updateKept(i)
	g.changed()
	return nil
}

// Get downloads offer i at its chosen level through Download, announcing
// the start, its progress and the end; it blocks, so the view runs it in a
// goroutine. One download runs at a time; Cancel stops it.
func (g *GetModel) Get(ctx context.Context, i int) error {
	g.mu.Lock()
	if g.busy >= 0 {
		g.mu.Unlock()
		return errors.New("another model is being downloaded; wait for it to finish")
	}
	if g.chosen[i] == "" {
		g.mu.Unlock()
		return errors.New("this model is too large for this computer")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g.busy, g.cancel = i, cancel
	g.progress = GetProgress{since: time.Now()}
	m, level := g.items[i].Model, g.chosen[i]
	g.mu.Unlock()
	g.changed()

	err := g.Download(ctx, m, level, func(p service.GetProgress) {
		g.mu.Lock()
		if p.Phase != g.progress.Phase {
			g.progress.since = time.Now()
		}
		g.progress.GetProgress = p
		g.progress.Elapsed = time.Since(g.progress.since)
		g.mu.Unlock()
		g.changed()
	})
	g.updateKept(i)
	g.mu.Lock()
	g.busy, g.cancel = -1, nil
	g.mu.Unlock()
	g.changed()
	return err
}

// Cancel stops the download under way, if any; what was downloaded is kept
// and the next Get of the same model resumes from it.
func (g *GetModel) Cancel() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cancel != nil {
		g.cancel()
	}
}

// Downloading returns the offer being downloaded, -1 for none, and how far
// it has come.
func (g *GetModel) Downloading() (int, GetProgress) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.busy, g.progress
}

// GetProgress is how far a Get has come.
type GetProgress struct {
	service.GetProgress
	Elapsed time.Duration // since the phase began
	since   time.Time
}

// Text puts the progress in words: "Downloading · 120 MB of 400 MB · 5.2
// MB/s · about 1 minute left", then, for a model made on this computer,
// the conversion's and the making's own words.
func (p GetProgress) Text() string {
	switch p.Phase {
	case service.Converting:
		return convertText("Converting the original for Nibble…", p.Convert, p.Elapsed)
	case service.Making:
		return MakeProgress{VariantProgress: p.Make, Elapsed: p.Elapsed}.Text()
	}
	d := p.Download
	if d.Total == 0 {
		return "Connecting…"
	}
	text := fmt.Sprintf("Downloading · %s of %s", Bytes(uint64(d.Done)), Bytes(uint64(d.Total)))
	if d.Speed > 0 && d.Left > 0 {
		return text + fmt.Sprintf(" · %s/s · %s", Bytes(uint64(d.Speed)), leftWords(d.Left))
	}
	return text + " · " + timeLeft(p.Elapsed, float64(d.Done), float64(d.Total))
}

// Fraction is the share of the phase done, 0..1.
func (p GetProgress) Fraction() float64 {
	switch p.Phase {
	case service.Converting:
		return fraction(float64(p.Convert.BytesDone), float64(p.Convert.BytesTotal))
	case service.Making:
		return MakeProgress{VariantProgress: p.Make}.Fraction()
	}
	return fraction(float64(p.Download.Done), float64(p.Download.Total))
}
