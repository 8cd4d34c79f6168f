package state

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/hw"
	"nibble/engine/session"
	"nibble/quant"
	"nibble/quant/advise"
)

// Welcome is the first start: what this computer has and what that means
// for models, the models already on it (found by catalog.Discover) that the
// user can add to the library, and the files or folders the user picks,
// added as the library screen adds them (Library.Add).
//
// Start probes the hardware and looks for models in the background; the
// getters return what is known so far and every change is announced
// through Changes. Methods are safe for concurrent use.
type Welcome struct {
	Changes
	svc    *service.Service
	locate func() (catalog.Locations, error)
	lib    *Library // adds the models, as the library screen does

	mu       sync.Mutex
	hardware *hw.Report // nil while probing
	scanning bool
	found    []Found
	note     string // what the search or the last addition has to say, "" for nothing
	adding   bool
}

// Found is a model found on this computer, and what became of it.
type Found struct {
	catalog.Candidate
	// Selected is true when "Add selected" adds it; only a model that
	// CanAdd may be selected.
	Selected bool
	// Status says, in plain words, why it cannot be added or what adding
	// it did ("Added", "Already in your library"); "" while it can be.
	Status string
}

// CanAdd tells whether f can still be added: one file, not yet in the
// library, not tried without success.
func (f Found) CanAdd() bool { return f.Status == "" }

// Good tells whether f's Status is good news: added, or in the library
// already.
func (f Found) Good() bool { return f.Status == statusAdded || f.Status == statusInLibrary }

// The statuses that are good news.
const (
	statusAdded     = "Added"
	statusInLibrary = "Already in your library"
)

// Detail is the line under f's name: where it was found and its size.
func (f Found) Detail() string {
	return string(f.Source) + " · " + Bytes(uint64(f.Size))
}

// NewWelcome returns the welcome over svc; locate says where to look for
// models already on this computer (catalog.DefaultLocations).
func NewWelcome(svc *service.Service, locate func() (catalog.Locations, error)) *Welcome {
	w := &Welcome{svc: svc, locate: locate, lib: NewLibrary(svc), scanning: true}
	w.lib.Listen(w.changed) // its progress is the welcome's
	return w
}

// Start probes the hardware and looks for models on this computer, each in
// its own goroutine, selecting every model found that can be added; call
// it once.
func (w *Welcome) Start(ctx context.Context) {
	go func() {
		r := w.svc.Hardware(ctx)
		w.mu.Lock()
		w.hardware = &r
		w.mu.Unlock()
		w.changed()
	}()
	go func() {
		loc, err := w.locate()
		var cs []catalog.Candidate
		if err == nil {
			cs, err = catalog.Discover(ctx, loc)
		}
		var found []Found
		for _, c := range cs {
			f := Found{Candidate: c}
			switch {
			case c.Parts > 0:
				f.Status = "Split into several files: Nibble cannot use these yet"
			case w.inLibrary(c.Paths[0]):
				f.Status = statusInLibrary
			}
			f.Selected = f.CanAdd()
			found = append(found, f)
		}
		w.mu.Lock()
		w.found, w.scanning = found, false
		if err != nil {
			what, _ := Explain(err)
			w.note = "Nibble could not look for models on this computer: " + what
		}
		w.mu.Unlock()
		w.changed()
	}()
}

func (w *Welcome) inLibrary(path string) bool {
	_, _, err := w.svc.Catalog.LookupFile(path)
	return err == nil
}

// Hardware returns this computer's report, and false while it is being
// probed.
func (w *Welcome) Hardware() (hw.Report, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hardware == nil {
		return hw.Report{}, false
	}
	return *w.hardware, true
}

// Fact is one line of the description of this computer.
type Fact struct{ Name, Value string }

// Computer describes r in plain words: memory, processor, graphics and the
// free space where models go. It says plainly that Nibble runs models on
// the processor, so that a graphics card is no surprise either way.
func Computer(r hw.Report) []Fact {
	facts := []Fact{{"Memory", unknownIf(r.RAM.Total == 0, func() string {
		if r.RAM.Available == 0 {
			return Bytes(r.RAM.Total)
		}
		return fmt.Sprintf("%s, %s free now", Bytes(r.RAM.Total), Bytes(r.RAM.Available))
	})}}
	facts = append(facts, Fact{"Processor", unknownIf(r.CPU.Model == "" && r.CPU.PhysicalCores == 0, func() string {
		name := r.CPU.Model
		if name == "" {
			name = "Unknown model"
		}
		if r.CPU.PhysicalCores == 0 {
			return name
		}
		return fmt.Sprintf("%s, %d cores", name, r.CPU.PhysicalCores)
	})})
	facts = append(facts, Fact{"Graphics", graphics(r)})
	if r.Disk != nil {
		facts = append(facts, Fact{"Free disk space", fmt.Sprintf("%s free where models go (%s)", Bytes(r.Disk.Free), r.Disk.Path)})
	}
	return facts
}

// graphics describes the GPUs and why they do not matter to Nibble.
func graphics(r hw.Report) string {
	const cpu = "Nibble runs models on the processor, so graphics do not change what fits."
	if len(r.GPUs) == 0 {
		if r.GPUsComplete {
			return "None found. " + cpu
		}
		return "Not known. " + cpu
	}
	var names []string
	for _, g := range r.GPUs {
		switch {
		case g.Shared:
			names = append(names, g.Name+" (uses the main memory)")
		case g.VRAM > 0:
			names = append(names, fmt.Sprintf("%s with %s of its own memory", g.Name, Bytes(g.VRAM)))
		default:
			names = append(names, g.Name)
		}
	}
	return strings.Join(names, "; ") + ". " + cpu
}

func unknownIf(unknown bool, known func() string) string {
	if unknown {
		return "Not known"
	}
	return known()
}

// The memory of a typical model of a given size, for Capacity: the
// advisor's memory model (advise.Model.Memory) with the shape of today's
// common models, at the engine's default context.
const (
	// typicalKVPerPositionPerBillion is the KV cache one position of
	// context takes per billion parameters: Llama-3-8B's 128 KiB
	// (model.EstimateMemory) over its 8.03 billion parameters. Models
	// with grouped-query attention (Llama 3, Mistral, Qwen 2.5) are at or
	// below it.
	typicalKVPerPositionPerBillion = (128 << 10) / 8.03
	// typicalHeaderBytes is the header of a model with Llama 3's 128,256
	// tokens, whose tokenizer tables take 34 MiB (advise's documentation).
	typicalHeaderBytes = (34 << 20) / advise.TokenizerPerHeaderByte
	// typicalLevel is the level Capacity assumes: the usual choice.
	typicalLevel = "Q4_K_M"
)

// typicalMemory returns the memory advise.Model.Memory gives a typical
// model of billions of parameters at typicalLevel with the default
// context filled.
func typicalMemory(billions float64) uint64 {
	mix, err := quant.LookupMix(typicalLevel)
	if err != nil {
		panic(err) // a level of quant's own table
	}
	m := advise.Model{
		Context:     session.DefaultContextLength,
		StateBytes:  uint64(billions * typicalKVPerPositionPerBillion * session.DefaultContextLength),
		HeaderBytes: typicalHeaderBytes,
	}
	return m.Memory(advise.Size{FileBytes: uint64(billions * 1e9 * mix.BitsPerWeight / 8)})
}

// Capacity returns the largest typical model, in billions of parameters
// to a tenth, that runs well (advise.VerdictFor) on a computer with memory
// ram at the usual level (Q4_K_M) and the default context: 0 when not even
// a tenth of a billion does.
func Capacity(ram hw.RAM) float64 {
	if ram.Total == 0 {
		return 0
	}
	// The memory grows with the size, so the sizes that run well are the
	// tenths below a bound; find it by bisection.
	lo, hi := 0, 10 // tenths of a billion: lo runs well, hi does not
	runsWell := func(tenths int) bool {
		return advise.VerdictFor(typicalMemory(float64(tenths)/10), ram) == advise.RunsWell
	}
	for runsWell(hi) {
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if runsWell(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return float64(lo) / 10
}

// CapacitySentence says what Capacity means for the user, in one sentence.
func CapacitySentence(ram hw.RAM) string {
	if ram.Total == 0 {
		return "Nibble could not read how much memory this computer has, so it cannot say which models fit."
	}
	n := Capacity(ram)
	if n < 0.5 {
		return "Only very small models (under half a billion parameters) run well with the memory free now. Closing other apps frees more."
	}
	size := fmt.Sprintf("%.1f", n)
	if n >= 10 {
		size = fmt.Sprintf("%.0f", math.Floor(n))
	}
	size = strings.TrimSuffix(size, ".0")
	return fmt.Sprintf("Models up to about %s billion parameters run well here, with the memory free now.", size)
}

// Scanning tells whether the search for models on this computer has not
// ended yet (or not started: Start begins it).
func (w *Welcome) Scanning() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.scanning
}

// Found returns the models found or picked so far, in the order found.
func (w *Welcome) Found() []Found {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.found)
}

// Note returns what the search or the last addition has to say ("" for
// nothing): models that could not be added, what a pick added.
func (w *Welcome) Note() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.note
}

// Adding returns whether models are being added, and how far that is (the
// library's Add: files, or a Hugging Face folder being converted).
func (w *Welcome) Adding() (adding bool, p AddProgress) {
	w.mu.Lock()
	adding = w.adding
	w.mu.Unlock()
	p, _ = w.lib.Adding()
	return adding, p
}

// CancelAdd stops the adding under way, if any (Library.CancelAdd).
func (w *Welcome) CancelAdd() { w.lib.CancelAdd() }

// Select selects or deselects the found model i for "Add selected"; a
// model that cannot be added stays unselected.
func (w *Welcome) Select(i int, on bool) {
	w.mu.Lock()
	if i < 0 || i >= len(w.found) || !w.found[i].CanAdd() {
		w.mu.Unlock()
		return
	}
	w.found[i].Selected = on
	w.mu.Unlock()
	w.changed()
}

// AddSelected adds the selected models to the library in the background
// as the library screen does (Library.Add: linked where they are, the
// files stay the user's), recording in each one's Status what became of
// it. It does nothing while an addition is going on.
func (w *Welcome) AddSelected(ctx context.Context) {
	w.mu.Lock()
	var paths []string
	for _, f := range w.found {
		if f.Selected && f.CanAdd() {
			paths = append(paths, f.Paths[0])
		}
	}
	w.mu.Unlock()
	w.add(ctx, paths, func(res AddResult) {
		status := map[string]string{}
		for _, im := range res.Added {
			status[im.Variant.Path] = statusAdded
		}
		for _, f := range res.Failed {
			status[f.Path], _ = Explain(f.Err)
			if errors.Is(f.Err, catalog.ErrExists) {
				status[f.Path] = statusInLibrary
			}
		}
		for i, f := range w.found {
			if st, ok := status[f.Paths[0]]; ok {
				w.found[i].Status, w.found[i].Selected = st, false
			}
		}
		if n := len(res.Failed); n > 0 {
			w.note = fmt.Sprintf("%d of %d could not be added: the list says why.", n, len(paths))
		}
	})
}

// AddPaths adds the model files and folders the user picked in the
// background, as the library screen does (Library.Add), then says in Note
// what it did.
func (w *Welcome) AddPaths(ctx context.Context, paths []string) {
	w.add(ctx, paths, func(res AddResult) {
		title, body := res.Message()
		switch {
		case title != "":
			w.note = title + " " + body
		case len(res.Added) == 1:
			w.note = "Added " + res.Added[0].Model.DisplayName + " to your library."
		default:
			w.note = fmt.Sprintf("Added %d models to your library.", len(res.Added))
		}
	})
}

// add runs Library.Add on paths in a goroutine, unless an addition is
// going on already, then calls done with its result, holding the lock.
func (w *Welcome) add(ctx context.Context, paths []string, done func(AddResult)) {
	w.mu.Lock()
	if w.adding || len(paths) == 0 {
		w.mu.Unlock()
		return
	}
	w.adding, w.note = true, ""
	w.mu.Unlock()
	w.changed()
	go func() {
		res := w.lib.Add(ctx, paths)
		w.mu.Lock()
		w.adding = false
		done(res)
		w.mu.Unlock()
		w.changed()
	}()
}

// Finish records that the user has been through the welcome, which then no
// longer opens at start.
func (w *Welcome) Finish() error {
	return w.svc.Catalog.SetSetting(SettingWelcomed, "yes")
}
