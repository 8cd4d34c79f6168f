package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"

	"nibble/catalog"
	"nibble/catalog/hub"
	"nibble/quant"
	"nibble/quant/hfconvert"
)

// GetPhase is the step Get is at.
type GetPhase int

const (
	// Downloading fetches files from the hub.
	Downloading GetPhase = iota
	// Converting turns downloaded original weights into a GGUF file.
	Converting
	// Making makes the level from that file (MakeVariant).
	Making
)

// GetProgress is how far Get has come. Only the fields of the current
// Phase are meaningful.
type GetProgress struct {
	Phase GetPhase
	// Download counts the bytes of all the files Get downloads together:
	// Done includes what an earlier, interrupted Get had fetched, and Speed
	// and Left are over what this Get fetched.
	Download hub.Progress
	// File is the name in its repo of the file being downloaded.
	File    string
	Convert hfconvert.Progress
	Make    VariantProgress
}

// Get fetches curated model m at level into the catalog and returns the
// variant to chat with. A level the catalog already has for m (found by
// its name, catalog.NameOf(m.Name)) is returned as it is. When m.Files has
// a ready GGUF file at level it is downloaded from m.GGUFRepo (Download,
// named m.Name); should the repo no longer have that name, its file at
// level (hub.PickGGUF) is taken, and when it has none the level is made.
// Otherwise Get makes the level (MakeVariant) from m's unquantized variant
// in the catalog, after getting that variant first if there is none: it
// downloads the original weights from m.SafetensorsRepo into a hidden
// folder of the models folder, converts them (as ConvertFolder does, named
// m.Name) and deletes the folder. The catalog then holds the unquantized
// model, which later levels, Make it fit and the quality check start from,
// and the level. A float level (F16, BF16, F32) is the conversion itself.
//
// Before downloading, Get checks that the disk has room for the whole
// work: the downloads still missing, the converted file and the level's
// (their sizes predicted from m's shape); if not, the error wraps
// hub.ErrNoSpace and says how much is needed and free.
//
// Downloads resume: a Get cancelled or failed part way keeps what it
// fetched (the download folder is kept until a conversion succeeds), and
// the next Get of the same model goes on from there; two Gets of one model
// at once are not supported. progress, if not nil, is called from Get's
// goroutine (and the quantizer's, never concurrently) as the work advances.
// Get blocks for as long as the download and the conversion take: call it
// from a goroutine.
func (s *Service) Get(ctx context.Context, m CuratedModel, level string, progress func(GetProgress)) (catalog.Model, catalog.Variant, error) {
	if progress == nil {
		progress = func(GetProgress) {}
	}
	mix, err := quant.LookupMix(level)
	if err != nil {
		return catalog.Model{}, catalog.Variant{}, err
	}
	level = mix.Name
	e, err := s.curatedEntry(m)
	if err != nil {
		return catalog.Model{}, catalog.Variant{}, err
	}
	if i := slices.IndexFunc(e.Variants, func(v catalog.Variant) bool { return v.Level == level && !v.Missing }); i >= 0 {
		return e.Model, e.Variants[i], nil
	}
	if file := m.Files[level]; file != "" {
		e, err := s.downloadReady(ctx, m, level, file, progress)
		if !errors.Is(err, hub.ErrNoLevel) {
			if err != nil {
				return catalog.Model{}, catalog.Variant{}, err
			}
			return e.Model, e.Variants[0], nil
		}
	}
	return s.makeLevel(ctx, m, level, e, progress)
}

// downloadReady downloads m's ready file at level, named file in the list,
// into the catalog under m's name. When the repo has no file of that name
// (renamed since the list was written), it takes the repo's file at level
// (hub.PickGGUF), and says hub.ErrNoLevel when there is none.
func (s *Service) downloadReady(ctx context.Context, m CuratedModel, level, file string, progress func(GetProgress)) (catalog.Entry, error) {
	get := func(file string) (catalog.Entry, error) {
		return s.Download(ctx, m.GGUFRepo, file, m.Name, func(p hub.Progress) {
			progress(GetProgress{Phase: Downloading, File: file, Download: p})
		})
	}
	e, err := get(file)
	var status *hub.StatusError
	if !errors.As(err, &status) || status.Code != http.StatusNotFound {
		return e, err
	}
	names, lerr := s.hubClient().Files(ctx, m.GGUFRepo)
	if lerr != nil {
		return e, err
	}
	picked, perr := hub.PickGGUF(names, level)
	if perr != nil {
		if errors.Is(perr, hub.ErrNoLevel) {
			return e, perr
		}
		return e, err
	}
	return get(picked)
}

// curatedEntry returns the catalog's entry of curated model m, with no
// variants when there is none.
func (s *Service) curatedEntry(m CuratedModel) (catalog.Entry, error) {
	e, err := s.Catalog.Lookup(catalog.NameOf(m.Name))
	if errors.Is(err, catalog.ErrNotFound) || err == nil && e.Model.Architecture != m.Arch {
		return catalog.Entry{}, nil // none, or another model that has the name
	}
	return e, err
}

// makeLevel is Get for a level with no ready file: MakeVariant from the
// unquantized variant of e, m's entry, which is converted from the
// original weights first if e has none or level is a float type.
func (s *Service) makeLevel(ctx context.Context, m CuratedModel, level string, e catalog.Entry, progress func(GetProgress)) (catalog.Model, catalog.Variant, error) {
	models, dir, err := s.downloadPlaces(m)
	if err != nil {
		return catalog.Model{}, catalog.Variant{}, err
	}
	g := &getting{s: s, hub: s.hubClient(), m: m, level: level, models: models, dir: dir, progress: progress}
	var levelBytes uint64 // the level's file, unless it is the conversion
	if !Unquantized(level) {
		if levelBytes, err = fileBytes(m, level); err != nil {
			return catalog.Model{}, catalog.Variant{}, err
		}
	}

	model, source := e.Model, catalog.Variant{}
	if len(e.Variants) > 0 {
		source = BestSource(e.Variants)
	}
	if haveOriginal := !source.Missing && Unquantized(source.Level); haveOriginal && !Unquantized(level) {
		removeDownload(dir) // what an earlier Get left, needed no more
		if err := g.checkSpace(ctx, levelBytes); err != nil {
			return catalog.Model{}, catalog.Variant{}, err
		}
	} else {
		typ := hfconvert.DefaultType
		if Unquantized(level) {
			typ = level
		}
		im, err := g.convertOriginal(ctx, typ, levelBytes)
		if err != nil {
			return catalog.Model{}, catalog.Variant{}, err
		}
		if Unquantized(level) {
			return im.Model, im.Variant, nil
		}
		model, source = im.Model, im.Variant
	}
	v, _, err := s.MakeVariant(ctx, source, level, func(p VariantProgress) {
		progress(GetProgress{Phase: Making, Make: p})
	})
	if err != nil {
		return catalog.Model{}, catalog.Variant{}, err
	}
	return model, v, nil
}

// fileBytes predicts the size of m's GGUF file at level from its shape
// (advisorModel); a level that cannot be made of m's tensors is an
// error.
func fileBytes(m CuratedModel, level string) (uint64, error) {
	am, err := m.advisorModel()
	if err != nil {
		return 0, err
	}
	if why := am.Unavailable[level]; why != "" {
		return 0, fmt.Errorf("%s cannot be made at %s: %s", m.Name, level, why)
	}
	i := slices.IndexFunc(quant.Mixes(), func(mix quant.Mix) bool { return mix.Name == level })
	if i < 0 {
		return 0, fmt.Errorf("%s is not a level Nibble makes", level)
	}
	return am.Levels[i].FileBytes, nil
}

// Downloaded tells how many bytes interrupted Gets of m at level have kept
// for the next one to resume from: the partial ready file at level and the
// original weights downloaded so far; 0 when there is nothing.
func (s *Service) Downloaded(m CuratedModel, level string) (int64, error) {
	models, dir, err := s.downloadPlaces(m)
	if err != nil {
		return 0, err
	}
	var n int64
	if file := m.Files[level]; file != "" {
		if n, err = hub.Partial(models, file); err != nil {
			return 0, err
		}
	}
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return n, err
}

// DiscardDownload deletes what Downloaded counts, so that the disk gets the
// room back; the next Get starts from nothing. It must not run during a Get
// of m.
func (s *Service) DiscardDownload(m CuratedModel, level string) error {
	models, dir, err := s.downloadPlaces(m)
	if err != nil {
		return err
	}
	if file := m.Files[level]; file != "" {
		if err := hub.Discard(models, file); err != nil {
			return err
		}
	}
	removeDownload(dir)
	return nil
}

// downloadPlaces returns the models folder, where ready files are
// downloaded, and the folder m's original weights are downloaded to.
func (s *Service) downloadPlaces(m CuratedModel) (models, dir string, err error) {
	if models, err = s.Catalog.ModelsDir(); err != nil {
		return "", "", err
	}
	dir, err = downloadDir(models, m.SafetensorsRepo)
	return models, dir, err
}
