package advise

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dustin/go-humanize"

	"nibble/engine/hw"
	"nibble/quant"
)

// The memory a running model takes besides its file and its state, measured
// on the nibble program (see the package documentation).
const (
	// ProcessBytes is the resident memory of the nibble process itself:
	// the Go runtime, the program's code and the data its packages set up.
	ProcessBytes = 26 << 20
	// TokenizerPerHeaderByte is the heap the tokenizer's tables take, with
	// the garbage building them leaves for the collector, per byte of the
	// file's header, which is mostly the vocabulary and its merges.
	TokenizerPerHeaderByte = 9
)

// Memory returns the bytes the nibble process needs to run m's file at level
// size with m.Context positions of context, all filled:
//
//	size.FileBytes + m.StateBytes + ProcessBytes + TokenizerPerHeaderByte · m.HeaderBytes
//
// The package documentation says what each term stands for and how the
// constants were measured.
func (m Model) Memory(size Size) uint64 {
	return size.FileBytes + m.StateBytes + ProcessBytes + TokenizerPerHeaderByte*m.HeaderBytes
}

// Verdict says whether a level runs on this computer, in plain words.
type Verdict string

const (
	RunsWell Verdict = "Runs well"
	Tight    Verdict = "Tight: close other apps"
	TooLarge Verdict = "Too large"
)

// SystemReserve is the memory the operating system holds even with no other
// program open, so a model can never have it (about 2 GiB for current
// macOS, Windows and Linux desktops).
const SystemReserve = 2 << 30

// wellShare is the share of the memory available now that a model may take
// and still run well.
const wellShare = 0.8

// VerdictFor judges need bytes on a computer with memory ram. Only main
// memory counts: Nibble's engine runs on the CPU, so a graphics card's own
// memory does not help, and a built-in GPU's (Apple Silicon's unified
// memory) is main memory already. Swap does not count either: a model paged
// out to disk is too slow to use.
//
//   - RunsWell: need is at most 80 % of the memory available now. The other
//     20 % absorb the estimate's error (±10 %) and the ups and downs of the
//     programs already open, and leave the system its file cache, so
//     nothing gets paged out while the model answers.
//   - Tight: need fits in the memory available now, or in what closing the
//     other programs can free: all memory but SystemReserve.
//   - TooLarge: neither.
//
// An unknown available memory (0) is taken as total − SystemReserve.
func VerdictFor(need uint64, ram hw.RAM) Verdict {
	freeable := ram.Total - min(ram.Total, SystemReserve)
	avail := ram.Available
	if avail == 0 {
		avail = freeable
	}
	switch {
	case float64(need) <= wellShare*float64(avail):
		return RunsWell
	case need <= max(avail, freeable):
		return Tight
	}
	return TooLarge
}

// Options are the advisor's inputs besides the model.
type Options struct {
	// Hardware is the computer (hw.Probe); its RAM must be known.
	Hardware hw.Report
	// Bandwidth is how many bytes per second the processor reads from
	// memory (go test -bench StreamRead ./engine/hw measures it); 0 means
	// DefaultBandwidth for Hardware. Speed, when set, replaces it.
	Bandwidth float64
	// Speed is what `nibble bench` measured on one level of this model;
	// nil when nothing was measured.
	Speed *Speed
	// KLD holds KL divergences measured on this model, by level name; they
	// replace llama.cpp's Llama-3-8B figures for those levels.
	KLD map[string]float64
}

// Speed is a measured generation speed.
type Speed struct {
	Type            string // the level measured: a quant.Mixes name, or "" for the file as it is
	TokensPerSecond float64
}

// DefaultBandwidth is the memory bandwidth assumed when none was measured:
// 60 GB/s on Apple Silicon (the base M1 to M3 chips have 68 to 100 GB/s, of
// which a program reads most), 25 GB/s elsewhere (a laptop's two channels
// of DDR4 or DDR5 give 40 to 80 GB/s, of which its cores read about half; two
// cores of a cloud server read 41 GB/s).
func DefaultBandwidth(r hw.Report) float64 {
	if r.OS == "darwin" && r.Arch == "arm64" {
		return 60e9
	}
	return 25e9
}

// Advice is the advisor's answer for one model on one computer.
type Advice struct {
	Context int     // positions of context the figures are for
	Levels  []Level // one per quant.Mixes entry, largest file first
	// Current is the file as it is; its Type is Model.Type.
	Current Prediction
	// Recommended is the Type of the level to use, "" when the model is
	// too large for this computer at any level; Reason says why in one
	// sentence, and Warning what the user should also know ("" if nothing).
	Recommended string
	Reason      string
	Warning     string
	// Bandwidth is the memory bandwidth the speeds assume, in bytes per
	// second; SpeedMeasured is true when it came from Options.Speed.
	Bandwidth     float64
	SpeedMeasured bool
}

// Prediction is what running one file takes and gives.
type Prediction struct {
	Type            string // its level's name
	FileBytes       uint64
	MemoryBytes     uint64 // Model.Memory
	Verdict         Verdict
	TokensPerSecond float64 // generation speed: Advice.Bandwidth / Size.TokenBytes
}

// Level is the prediction for one level of the model and its quality.
type Level struct {
	Prediction
	Mix          quant.Mix
	KLD          float64 // from Options.KLD when measured, else llama.cpp's figure
	KLDMeasured  bool
	SameTopToken float64 // SameTopToken(KLD)
	Quality      Quality // QualityOf(KLD)
	// Offered is true when the level can be made from this file without
	// promising quality the file no longer has: its own level, and levels
	// whose file is no larger. Larger levels need the original model.
	Offered bool
	// Unavailable says why the level cannot be made from this file at all
	// (Model.Unavailable); "" when it can. Such a level is not Offered and
	// its Prediction is empty but for its Type.
	Unavailable string
}

// ErrNoMemorySize is returned by Advise when the computer's memory size is
// unknown: no verdict can be given.
var ErrNoMemorySize = errors.New("the size of this computer's memory is unknown")

// Advise predicts every level of m on the computer in opts and recommends
// one:
//
//  1. the highest-quality offered level (lowest KLD, then smallest file) that
//     runs well — unless it is a large loss while a better level fits;
//  2. otherwise, the smallest offered level that fits (Tight) and is not a
//     large loss, with a warning to close other apps; failing that, the
//     best level that fits at all, so never Q2_K when Q3_K_S fits;
//  3. otherwise, none: the model is too large for this computer.
//
// m.Levels must have one entry per quant.Mixes entry.
func Advise(m Model, opts Options) (Advice, error) {
	ram := opts.Hardware.RAM
	if ram.Total == 0 {
		return Advice{}, ErrNoMemorySize
	}
	mixes := quant.Mixes()
	if len(m.Levels) != len(mixes) {
		return Advice{}, fmt.Errorf("model has %d level sizes for %d levels", len(m.Levels), len(mixes))
	}
	a := Advice{Context: m.Context, Bandwidth: opts.Bandwidth}
	if a.Bandwidth == 0 {
		a.Bandwidth = DefaultBandwidth(opts.Hardware)
	}
	if s := opts.Speed; s != nil {
		if !(s.TokensPerSecond > 0) {
			return Advice{}, fmt.Errorf("measured speed %v tokens/s is not positive", s.TokensPerSecond)
		}
		measured := m.File
		if s.Type != "" {
			i := slices.IndexFunc(mixes, func(mix quant.Mix) bool { return mix.Name == s.Type })
			if i < 0 {
				return Advice{}, fmt.Errorf("speed measured on unknown level %q", s.Type)
			}
			measured = m.Levels[i]
		}
		a.Bandwidth = s.TokensPerSecond * float64(measured.TokenBytes)
		a.SpeedMeasured = true
	}

	predict := func(typ string, size Size) Prediction {
		need := m.Memory(size)
		return Prediction{
			Type:            typ,
			FileBytes:       size.FileBytes,
			MemoryBytes:     need,
			Verdict:         VerdictFor(need, ram),
			TokensPerSecond: a.Bandwidth / float64(size.TokenBytes),
		}
	}
	a.Current = predict(m.Type, m.File)
	for i, mix := range mixes {
		l := Level{Mix: mix, KLD: priorKLD[mix.Name], Unavailable: m.Unavailable[mix.Name]}
		if k, ok := opts.KLD[mix.Name]; ok {
			l.KLD, l.KLDMeasured = k, true
		}
		l.SameTopToken = SameTopToken(l.KLD)
		l.Quality = QualityOf(l.KLD)
		if l.Unavailable != "" {
			l.Type = mix.Name
		} else {
			l.Prediction = predict(mix.Name, m.Levels[i])
			l.Offered = mix.Name == m.Type || l.FileBytes <= m.File.FileBytes
		}
		a.Levels = append(a.Levels, l)
	}
	a.recommend()
	return a, nil
}

// recommend applies Advise's rules to a.Levels.
func (a *Advice) recommend() {
	// best runs well; bestFitting and smallest (not a large loss) fit.
	var best, bestFitting, smallest *Level
	better := func(l, than *Level) bool {
		return than == nil || l.KLD < than.KLD || (l.KLD == than.KLD && l.FileBytes < than.FileBytes)
	}
	for i := range a.Levels {
		l := &a.Levels[i]
		if !l.Offered || l.Verdict == TooLarge {
			continue
		}
		if l.Verdict == RunsWell && better(l, best) {
			best = l
		}
		if better(l, bestFitting) {
			bestFitting = l
		}
		if l.Quality != LargeLoss && (smallest == nil || l.FileBytes < smallest.FileBytes) {
			smallest = l
		}
	}
	at := fmt.Sprintf("at a context of %s tokens", humanize.Comma(int64(a.Context)))
	const worse = "Its answers are clearly worse than the original model's."
	switch {
	case best != nil && (best.Quality != LargeLoss || best == bestFitting):
		a.Recommended = best.Type
		a.Reason = fmt.Sprintf("%s is the best quality that runs well on this computer %s (it needs about %s).",
			best.Type, at, humanize.IBytes(best.MemoryBytes))
		if best.Quality == LargeLoss {
			a.Warning = worse
		}
	case bestFitting != nil:
		pick := smallest
		if pick == nil {
			pick = bestFitting
		}
		a.Recommended = pick.Type
		a.Reason = fmt.Sprintf("%s fits on this computer %s, but only just (it needs about %s).",
			pick.Type, at, humanize.IBytes(pick.MemoryBytes))
		if best != nil {
			a.Reason = fmt.Sprintf("%s fits on this computer %s, but only just (it needs about %s); %s would run well but loses too much quality.",
				pick.Type, at, humanize.IBytes(pick.MemoryBytes), best.Type)
		}
		a.Warning = "Close other apps before you use it, or choose a shorter context."
		if pick.Quality == LargeLoss {
			a.Warning += " " + worse
		}
	default:
		a.Reason = fmt.Sprintf("This model is too large for this computer %s: a smaller model is needed.", at)
	}
}
