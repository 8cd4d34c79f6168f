package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

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
	// Download fetches model at level into the catalog and returns when
	// that is done, failed or ctx is cancelled. Set it before Get is
	// called.
	Download func(ctx context.Context, m service.CuratedModel, level string) error

	mu      sync.Mutex
	items   []service.Suggestion
	chosen  []string // the level to download, by item
	loadErr error
	busy    int // the item being downloaded, -1 for none
	getErr  error
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
	g.mu.Lock()
	g.loadErr = err
	g.items = items
	g.chosen = make([]string, len(items))
	for i, s := range items {
		g.chosen[i] = s.Advice.Recommended
	}
	g.mu.Unlock()
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
			Level:   g.chosen[i], Badge: advise.TooLarge, Reason: s.Advice.Reason,
		}
		if l, ok := levelOf(s.Advice, o.Level); ok {
			o.Badge = l.Verdict
			o.Size = fmt.Sprintf("%s to download, needs about %s of memory", Bytes(l.FileBytes), Bytes(l.MemoryBytes))
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

// Levels returns the levels offer i can be downloaded at: those with a
// ready file upstream, and the recommended one (made from the original
// weights when it has none), largest first as the advisor lists them.
func (g *GetModel) Levels(i int) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.items[i]
	var out []string
	for _, l := range s.Advice.Levels {
		if _, ready := s.Model.Files[l.Type]; (ready || l.Type == s.Advice.Recommended) && l.Unavailable == "" {
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
	g.changed()
	return nil
}

// Get downloads offer i at its chosen level through Download, announcing
// the start and the end; it blocks, so the view runs it in a goroutine.
// One download runs at a time.
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
	g.busy, g.getErr = i, nil
	m, level := g.items[i].Model, g.chosen[i]
	g.mu.Unlock()
	g.changed()

	err := g.Download(ctx, m, level)
	g.mu.Lock()
	g.busy, g.getErr = -1, err
	g.mu.Unlock()
	g.changed()
	return err
}

// Downloading returns the offer being downloaded, -1 for none.
func (g *GetModel) Downloading() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.busy
}

// GetErr is the last Get's error, nil if it succeeded or none ran.
func (g *GetModel) GetErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.getErr
}
