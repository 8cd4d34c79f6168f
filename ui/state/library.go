package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/hw"
	"nibble/quant"
	"nibble/quant/advise"
	"nibble/quant/hfconvert"
)

// Library is the library screen: every model of the catalog with its
// variants, a fit badge per variant for this computer, and the actions on
// them (add, remove, details). It is safe for concurrent use; every change
// is announced through Changes.
//
// The list itself comes from the catalog alone (Load, one read transaction),
// so it shows at once however many models there are; the badges need each
// file's header and come later, from MeasureFits, which the view runs in a
// goroutine. Memory needs are cached per variant for the Library's life.
type Library struct {
	Changes
	svc *service.Service

	mu       sync.Mutex
	entries  []catalog.Entry
	loadErr  error
	needs    map[uint64]need // memory needed at the default context, by variant id
	ram      hw.RAM
	ramKnown bool
	adding   *AddProgress
	// cancelAdd stops the Add under way; nil when none.
	cancelAdd context.CancelFunc
	checking  *QualityCheck // the quality check under way, nil if none
	cancel    context.CancelFunc
	// checkErr is why the last quality check of variant checkErrOf failed.
	checkErr   error
	checkErrOf uint64
}

// need is what running a variant's file takes, or why it is unknown.
type need struct {
	bytes uint64
	err   error
}

// NewLibrary returns the library of svc's catalog, empty until Load.
func NewLibrary(svc *service.Service) *Library {
	return &Library{svc: svc, needs: map[uint64]need{}}
}

// ModelRow is one model as the library lists it.
type ModelRow struct {
	Model    catalog.Model
	Entry    catalog.Entry // the model and all its variants, for Make it fit
	About    string        // "5.8 million parameters · llama"
	Variants []VariantRow
}

// VariantRow is one variant as the library lists it, its figures in words.
type VariantRow struct {
	catalog.Variant
	Level string // the level and its precision: "Q4_K_M · 4-bit"
	Size  string // "3.4 MB"
	// Badge is the verdict for this computer at the default context, ""
	// while unknown; BadgeNote says why it is unknown ("checking…", the
	// file cannot be read) or, with a badge, how much memory it needs.
	Badge     advise.Verdict
	BadgeNote string
	// Quality is the quality measured, in words ("Quality: small loss —
	// picks the original's next word 91% of the time"), or that it was not
	// checked yet; the figures are in Details. Speed is the speed
	// measured, in words, or "".
	Quality string
	Speed   string
	// Check is the label of the button that checks the quality ("Check
	// quality", or "Check again" once measured); CanCheck is false while
	// the file is missing or a check is under way (one at a time).
	Check    string
	CanCheck bool
	// Checking is the progress of this variant's quality check, nil when
	// it is not being checked.
	Checking *QualityCheck
	// CheckProblem is why its last check failed, with what to do, in
	// Explain's words; "" if it did not fail or was cancelled.
	CheckProblem string
}

// Load reads the catalog's models again and announces the change. It is
// fast (one read transaction) and may be called from any goroutine.
func (l *Library) Load() error {
	entries, err := l.svc.Catalog.List()
	l.mu.Lock()
	l.entries, l.loadErr = entries, err
	l.mu.Unlock()
	l.changed()
	return err
}

// Err is the error of the last Load, nil if it succeeded.
func (l *Library) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loadErr
}

// Models returns the models loaded, sorted by name, with what is known of
// their fit so far.
func (l *Library) Models() []ModelRow {
	l.mu.Lock()
	defer l.mu.Unlock()
	rows := make([]ModelRow, 0, len(l.entries))
	for _, e := range l.entries {
		r := ModelRow{Model: e.Model, Entry: e, About: modelAbout(e.Model)}
		for _, v := range e.Variants {
			r.Variants = append(r.Variants, l.variantRow(v))
		}
		rows = append(rows, r)
	}
	return rows
}

func (l *Library) variantRow(v catalog.Variant) VariantRow {
	r := VariantRow{Variant: v, Level: LevelWords(v.Level), Size: Bytes(uint64(max(v.Size, 0)))}
	n, measured := l.needs[v.ID]
	switch {
	case v.Missing:
		r.BadgeNote = "The file is missing"
	case !measured || !l.ramKnown:
		r.BadgeNote = "checking…"
	case n.err != nil:
		// A file that runs may still defeat the advisor (one whose rows
		// no level can split into blocks): say so, not why.
		r.BadgeNote = "Cannot tell how much memory it needs"
	case l.ram.Total == 0:
		r.BadgeNote = "Cannot tell: this computer's memory size is unknown"
	default:
		r.Badge = advise.VerdictFor(n.bytes, l.ram)
		r.BadgeNote = "needs about " + Bytes(n.bytes) + " of memory"
	}
	r.Quality, r.Check = "Quality not checked yet", "Check quality"
	switch q := v.Quality; {
	case q == nil:
	case q.Reference == v.ID:
		r.Quality, r.Check = "Quality: this is the reference the others are compared with", "Check again"
	default:
		r.Quality, r.Check = fmt.Sprintf("Quality: %s — picks the original's next word %.0f%% of the time", advise.QualityOf(q.KLD), q.SameTop*100), "Check again"
	}
	r.CanCheck = !v.Missing && l.checking == nil
	if c := l.checking; c != nil && c.Variant == v.ID {
		p := *c
		r.Checking = &p
	}
	if l.checkErrOf == v.ID && l.checkErr != nil && !errors.Is(l.checkErr, context.Canceled) {
		what, next := Explain(l.checkErr)
		r.CheckProblem = "Could not check the quality: " + what + " " + next
	}
	if s := v.Speed; s != nil {
		r.Speed = "Speed: " + SpeedWords(s.TokensPerSecond)
	}
	return r
}

// QualityCheck is how far the quality check of a variant has come.
type QualityCheck struct {
	Variant     uint64 // the variant's id
	Done, Total int    // parts measured, and in all (0 until the first)
}

// Text puts the progress in words: "Checking quality… part 3 of 12".
func (c QualityCheck) Text() string {
	if c.Total == 0 {
		return "Checking quality…"
	}
	return fmt.Sprintf("Checking quality… part %d of %d", min(c.Done+1, c.Total), c.Total)
}

// Fraction is the share of the check done, 0..1.
func (c QualityCheck) Fraction() float64 { return fraction(float64(c.Done), float64(c.Total)) }

// errChecking is CheckQuality's refusal to run two checks at once.
var errChecking = errors.New("the quality of another version is being checked already")

// CheckQuality measures how close variant v's predictions are to its
// model's reference variant's (service.MeasureQuality: about a minute for
// a 1B model), stores it in the catalog and reloads the library, whose
// rows then show it; the figures are in Details. Meanwhile the row shows
// the progress (VariantRow.Checking, announced through Changes) and no
// other check can start: one runs at a time, as each takes the whole
// processor. CancelCheck, or cancelling ctx, stops it and stores nothing.
// It blocks until done: call it from a goroutine.
func (l *Library) CheckQuality(ctx context.Context, v catalog.Variant) (catalog.Quality, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.mu.Lock()
	if l.checking != nil {
		l.mu.Unlock()
		return catalog.Quality{}, errChecking
	}
	l.checking, l.cancel, l.checkErr = &QualityCheck{Variant: v.ID}, cancel, nil
	l.mu.Unlock()
	l.changed()

	q, err := l.svc.MeasureQuality(ctx, v, func(done, total int) {
		l.mu.Lock()
		l.checking = &QualityCheck{Variant: v.ID, Done: done, Total: total}
		l.mu.Unlock()
		l.changed()
	})
	l.mu.Lock()
	l.checking, l.cancel, l.checkErr, l.checkErrOf = nil, nil, err, v.ID
	l.mu.Unlock()
	l.Load() // announces the change
	return q, err
}

// CancelCheck stops the quality check under way, if any.
func (l *Library) CancelCheck() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
	}
}

// MeasureFits works out the fit badges: it asks for this computer's memory,
// then reads the header of every present variant's file not read yet
// (advise.Read at the default context), announcing a change after each.
// It takes up to a second per file, so the view runs it in a goroutine
// after Load; it stops early when ctx is cancelled.
func (l *Library) MeasureFits(ctx context.Context) {
	ram := l.svc.Hardware(ctx).RAM
	l.mu.Lock()
	l.ram, l.ramKnown = ram, true
	var todo []catalog.Variant
	for _, e := range l.entries {
		for _, v := range e.Variants {
			if _, ok := l.needs[v.ID]; !ok && !v.Missing {
				todo = append(todo, v)
			}
		}
	}
	l.mu.Unlock()
	l.changed()
	for _, v := range todo {
		if ctx.Err() != nil {
			return
		}
		var n need
		m, err := advise.Read(v.Path, 0)
		if err != nil {
			n.err = err
		} else {
			n.bytes = m.Memory(m.File)
		}
		l.mu.Lock()
		l.needs[v.ID] = n
		l.mu.Unlock()
		l.changed()
	}
}

// AddProgress is how far an Add has come.
type AddProgress struct {
	Done, Total int    // files and folders handled so far, in all
	Current     string // the file or folder being added, by name
	// Converting is set while Current is a Hugging Face model folder being
	// converted for Nibble (service.ConvertFolder); Convert is then how far
	// that has come, Elapsed the time since it began.
	Converting bool
	Convert    hfconvert.Progress
	Elapsed    time.Duration
}

// Text puts the progress in words: "Adding model.gguf…", or for a folder
// being converted "Converting TinyLlama for Nibble… part 12 of 57 · 300 MB
// of 2.4 GB · about 1 minute left".
func (p AddProgress) Text() string {
	if !p.Converting {
		return "Adding " + p.Current + "…"
	}
	return convertText("Converting "+p.Current+" for Nibble…", p.Convert, p.Elapsed)
}

// convertText puts a conversion's progress in words after what: "what part
// 12 of 57 · 300 MB of 2.4 GB · about 1 minute left", what alone before it
// has begun.
func convertText(what string, c hfconvert.Progress, elapsed time.Duration) string {
	if c.Tensors == 0 {
		return what
	}
	return what + fmt.Sprintf(" part %d of %d · %s of %s · %s", min(c.Tensor+1, c.Tensors), c.Tensors,
		Bytes(uint64(c.BytesDone)), Bytes(uint64(c.BytesTotal)),
		timeLeft(elapsed, float64(c.BytesDone), float64(c.BytesTotal)))
}

// Fraction is the share of the Add done, 0..1: of the conversion while a
// folder is converted, else of the files.
func (p AddProgress) Fraction() float64 {
	if p.Converting {
		return fraction(float64(p.Convert.BytesDone), float64(p.Convert.BytesTotal))
	}
	return fraction(float64(p.Done), float64(p.Total))
}

// AddFailure is a file Add could not add, and why.
type AddFailure struct {
	Path string
	Err  error
}

// AddResult is what Add did.
type AddResult struct {
	Added  []*catalog.Import
	Failed []AddFailure
}

// Message puts the failures into words for a dialog: "" when every file was
// added. With one failure it is Explain's; with several, one line per file.
func (r AddResult) Message() (title, body string) {
	switch len(r.Failed) {
	case 0:
		return "", ""
	case 1:
		f := r.Failed[0]
		what, next := Explain(f.Err)
		if f.Path == "" {
			return what, next
		}
		return what, filepath.Base(f.Path) + ": " + next
	}
	title = fmt.Sprintf("%d of %d files could not be added.", len(r.Failed), len(r.Failed)+len(r.Added))
	var lines []string
	for _, f := range r.Failed {
		what, _ := Explain(f.Err)
		lines = append(lines, filepath.Base(f.Path)+": "+what)
	}
	return title, strings.Join(lines, "\n")
}

// Converted returns the model Add made of a Hugging Face model folder, when
// that is all it added: the one the user is then offered to chat with.
func (r AddResult) Converted() (*catalog.Import, bool) {
	if len(r.Added) != 1 || !r.Added[0].Variant.Owned {
		return nil, false
	}
	return r.Added[0], true
}

// ErrNoModelFiles is Add's failure for a folder holding no .gguf file.
var ErrNoModelFiles = errors.New("no model files (.gguf) in this folder")

// Add puts the model files at paths into the catalog and returns what it
// did; the screens that offer to add models (library, welcome) share it.
//
// Each path is a GGUF file or a folder. A Hugging Face model folder
// (service.IsModelFolder: config.json and safetensors weights) is converted
// into a model file Nibble owns, in its models folder
// (service.ConvertFolder), which takes about as long as copying the model;
// for any other folder every file ending in .gguf in it and its subfolders
// is added. Files are linked where they are (catalog.Link): nothing is
// copied, they stay the user's, and their checksum is computed in the
// background by the catalog. A file or folder that cannot be added (not a
// GGUF, already in the library, one part of a split model, a model Nibble
// cannot convert) is reported in AddResult.Failed, Explain putting its
// error in words, and the others are added all the same.
//
// Add blocks until every file is added: call it from a goroutine.
// Meanwhile Adding reports the progress, and Changes announces each step;
// at the end Add reloads the library (Load). CancelAdd, or cancelling ctx,
// stops the conversion under way, which leaves nothing behind, and the
// files not yet added.
func (l *Library) Add(ctx context.Context, paths []string) AddResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.mu.Lock()
	l.cancelAdd = cancel
	l.mu.Unlock()

	var res AddResult
	var todo []string // files, and HF folders to convert
	for _, p := range paths {
		if service.IsModelFolder(p) {
			todo = append(todo, p)
			continue
		}
		found, err := modelFiles(p)
		if err != nil {
			res.Failed = append(res.Failed, AddFailure{Path: p, Err: err})
		}
		todo = append(todo, found...)
	}
	l.setAdding(&AddProgress{Total: len(todo)})
	for i, p := range todo {
		if err := ctx.Err(); err != nil {
			res.Failed = append(res.Failed, AddFailure{Path: p, Err: err})
			continue
		}
		progress := AddProgress{Done: i, Total: len(todo), Current: filepath.Base(p)}
		l.setAdding(&progress)
		var im *catalog.Import
		var err error
		if service.IsModelFolder(p) {
			im, err = l.convert(ctx, p, progress)
		} else {
			im, err = l.svc.Catalog.Import(ctx, p, catalog.ImportOptions{Mode: catalog.Link})
		}
		if err != nil {
			res.Failed = append(res.Failed, AddFailure{Path: p, Err: err})
			continue
		}
		res.Added = append(res.Added, im)
	}
	l.mu.Lock()
	l.adding, l.cancelAdd = nil, nil
	l.mu.Unlock()
	l.Load() // announces the change
	return res
}

// convert converts the Hugging Face model folder dir for Add, reporting its
// progress from p on.
func (l *Library) convert(ctx context.Context, dir string, p AddProgress) (*catalog.Import, error) {
	start := time.Now()
	p.Converting = true
	l.setAdding(&p)
	return l.svc.ConvertFolder(ctx, dir, func(c hfconvert.Progress) {
		now := p // p itself is not to change once shared
		now.Convert, now.Elapsed = c, time.Since(start)
		l.setAdding(&now)
	})
}

// CancelAdd stops the Add under way, if any.
func (l *Library) CancelAdd() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancelAdd != nil {
		l.cancelAdd()
	}
}

// Adding returns the progress of the Add under way, if any.
func (l *Library) Adding() (AddProgress, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.adding == nil {
		return AddProgress{}, false
	}
	return *l.adding, true
}

func (l *Library) setAdding(p *AddProgress) {
	l.mu.Lock()
	l.adding = p
	l.mu.Unlock()
	l.changed()
}

// modelFiles returns path if it is a file, or the .gguf files in the folder
// path and its subfolders (ErrNoModelFiles if none).
func modelFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable subfolder: add what can be read
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".gguf") {
			files = append(files, p)
		}
		return nil
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("%s: %w", path, ErrNoModelFiles)
	}
	return files, err
}

// Removal is the removal of one variant the user asked for. The view asks
// Question and, when AsksTwice, SecondQuestion before calling Remove.
type Removal struct {
	Model   catalog.Model
	Variant catalog.Variant
	// DeleteFile also deletes the user's file from the disk; it counts only
	// when OffersDeleteFile (Nibble's own copies are always deleted).
	DeleteFile bool
}

// OffersDeleteFile tells whether the user may choose to delete the file
// too: it is the user's own (Nibble only references it) and still there.
func (r Removal) OffersDeleteFile() bool { return !r.Variant.Owned && !r.Variant.Missing }

// AsksTwice tells whether the removal deletes the user's own file, which is
// its only copy: then the user must confirm a second time.
func (r Removal) AsksTwice() bool { return r.DeleteFile && r.OffersDeleteFile() }

// Question is the first confirmation: what will be removed and what
// happens to the file.
func (r Removal) Question() (title, body string) {
	title = fmt.Sprintf("Remove %s (%s)?", r.Model.DisplayName, r.Variant.Tag)
	switch {
	case r.Variant.Owned:
		body = fmt.Sprintf("Nibble's copy of this model will be deleted from the disk, freeing %s.", Bytes(uint64(max(r.Variant.Size, 0))))
	case r.Variant.Missing:
		body = "Its file is already gone; the library will forget it."
	default:
		body = "It leaves the library. Your file stays where it is, unless you choose to delete it too:\n" + r.Variant.Path
	}
	return title, body + "\nYour chats with it are kept."
}

// SecondQuestion is the second confirmation, for deleting the user's file.
func (r Removal) SecondQuestion() (title, body string) {
	return "Delete your file for good?",
		fmt.Sprintf("%s is the only copy: once deleted, it cannot be brought back (it does not go to the trash).\n%s",
			filepath.Base(r.Variant.Path), r.Variant.Path)
}

// ErrNotConfirmed is Remove's refusal to delete a user's file the user has
// not confirmed twice.
var ErrNotConfirmed = errors.New("deleting your own file needs a second confirmation")

// Remove removes r's variant from the catalog (and the model with its last
// variant), deleting Nibble's copy, or the user's file if r.DeleteFile and
// confirmedTwice (ErrNotConfirmed without the second confirmation), then
// reloads the library.
func (l *Library) Remove(r Removal, confirmedTwice bool) error {
	if r.AsksTwice() && !confirmedTwice {
		return ErrNotConfirmed
	}
	_, err := l.svc.Catalog.Remove([]uint64{r.Variant.ID}, r.AsksTwice())
	l.mu.Lock()
	delete(l.needs, r.Variant.ID)
	l.mu.Unlock()
	if lerr := l.Load(); err == nil {
		err = lerr
	}
	return err
}

// Detail is one line of a variant's details: a label and its value.
type Detail struct{ Label, Value string }

// Details describes variant v of model m for the details dialog, reading
// the catalog again for the checksum, which may have been computed since.
func (l *Library) Details(m catalog.Model, v catalog.Variant) []Detail {
	if e, err := l.svc.Catalog.Lookup(m.Ref(v)); err == nil && len(e.Variants) == 1 {
		v = e.Variants[0]
	}
	file := v.Path
	if v.Missing {
		file += " (missing)"
	}
	level := LevelWords(v.Level)
	if mix, err := quant.LookupMix(v.Level); err == nil {
		level += ": " + mix.Description
	}
	ctxLen := "not stated in the file"
	if m.ContextLength > 0 {
		ctxLen = humanize.Comma(int64(m.ContextLength)) + " tokens"
	}
	sum := v.SHA256
	if sum == "" {
		sum = "computing…"
	}
	details := []Detail{
		{"File", file},
		{"Size", Bytes(uint64(max(v.Size, 0)))},
		{"Level", level},
		{"Parameters", ParameterWords(m.Parameters)},
		{"Architecture", m.Architecture},
		{"Context length", ctxLen},
		{"SHA-256", sum},
		{"Added", v.Added.Local().Format(time.DateOnly)},
		{"Made from", l.origin(v)},
	}
	return append(details, l.qualityFigures(v)...)
}

// qualityFigures are the figures of v's quality check, none if it was not
// checked, each explained for someone who does not know the measure.
func (l *Library) qualityFigures(v catalog.Variant) []Detail {
	q := v.Quality
	if q == nil {
		return nil
	}
	measured := Detail{"Quality checked", q.Measured.Local().Format(time.DateOnly) + ", on a sample text shipped with Nibble"}
	ppl := fmt.Sprintf("%.2f (how surprised the model is by the sample text; lower is better)", q.PPL)
	if q.Reference == v.ID {
		return []Detail{{"Quality", "This is the reference the others are compared with"}, {"Perplexity", ppl}, measured}
	}
	ref := "a version since removed"
	if tag, ok := l.variantTag(q.Reference); ok {
		ref = "your " + tag + " version"
	}
	if q.PPLReference > 0 {
		ppl = fmt.Sprintf("%.2f, against %.2f for %s (how surprised the model is by the sample text; lower is better)", q.PPL, q.PPLReference, ref)
	}
	figures := []Detail{
		{"Quality", Capitalize(string(advise.QualityOf(q.KLD))) + ", compared with " + ref},
		{"Same next word", fmt.Sprintf("Picks the original's next word %.1f%% of the time", q.SameTop*100)},
		{"KL divergence", fmt.Sprintf("%.4f (how far its word choices are from the original's; 0 is identical)", q.KLD)},
		{"Perplexity", ppl},
	}
	if q.AgreementOf > 0 {
		figures = append(figures, Detail{"Writes the same", fmt.Sprintf(
			"Agrees with the original for %.1f of %d word pieces on average, writing from the same start", q.AgreementTokens, q.AgreementOf)})
	}
	return append(figures, measured)
}

// origin says where variant v came from.
func (l *Library) origin(v catalog.Variant) string {
	if v.QuantizedFrom == 0 {
		if v.Owned {
			return "Nibble's copy of a file you added"
		}
		return "Your file, used where it is"
	}
	if tag, ok := l.variantTag(v.QuantizedFrom); ok {
		return fmt.Sprintf("Made by Nibble from the %s version", tag)
	}
	return "Made by Nibble from a version since removed"
}

// variantTag returns the tag of the library's variant id; false if it has
// none.
func (l *Library) variantTag(id uint64) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.entries {
		for _, v := range e.Variants {
			if v.ID == id {
				return v.Tag, true
			}
		}
	}
	return "", false
}

func modelAbout(m catalog.Model) string {
	s := ParameterWords(m.Parameters) + " parameters"
	if m.Architecture != "" {
		s += " · " + m.Architecture
	}
	return s
}
