package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"nibble/assets"
	"nibble/catalog"
	"nibble/quant"
)

// VariantProgress is how far MakeVariant has come. When the level uses an
// importance matrix it first studies the source model over the calibration
// text (Studying: Chunk of Chunks chunks evaluated); then it converts the
// model (Quant).
type VariantProgress struct {
	Studying      bool
	Chunk, Chunks int
	Quant         quant.Progress
}

// CalibrationName is how the catalog's files record the text MakeVariant
// measures importance matrices on (quantize.imatrix.dataset).
const CalibrationName = "nibble-calibration.txt"

// UsesImportance tells whether MakeVariant makes level mixName with an
// importance matrix: every level whose types llama.cpp quantizes with one,
// that is all but the float levels and Q8_0.
func UsesImportance(mixName string) bool {
	level := strings.ToUpper(mixName)
	return !Unquantized(level) && level != "Q8_0"
}

// MakeVariant quantizes variant from to the level mixName into the models
// folder and adds the result to the catalog as Nibble's own copy, a variant
// of the same model that records what it was made from. Levels that can use
// one (UsesImportance) are made with an importance matrix measured first on
// the source model over assets.CalibrationText, which keeps more quality at
// low bits, as llama.cpp's imatrix does. progress, if not nil, is called as
// the work advances, from the goroutine running MakeVariant or the
// quantizer's workers but never concurrently. Cancelling ctx stops it and
// leaves no file behind. A crash between the file's completion and its
// entry leaves an orphaned file in the models folder, which
// catalog.Reconcile reports.
func (s *Service) MakeVariant(ctx context.Context, from catalog.Variant, mixName string, progress func(VariantProgress)) (catalog.Variant, quant.Result, error) {
	if progress == nil {
		progress = func(VariantProgress) {}
	}
	mix, err := quant.LookupMix(mixName)
	if err != nil {
		return catalog.Variant{}, quant.Result{}, err
	}
	e, _, err := s.Catalog.LookupFile(from.Path)
	if err != nil {
		return catalog.Variant{}, quant.Result{}, err
	}
	out, err := s.Catalog.NewFilePath(e.Model, mix.Name)
	if err != nil {
		return catalog.Variant{}, quant.Result{}, err
	}
	opts := quant.Options{Mix: mix, Progress: func(p quant.Progress) { progress(VariantProgress{Quant: p}) }}
	if UsesImportance(mix.Name) {
		im, err := Importance(ctx, from.Path, assets.CalibrationText, ImportanceOptions{Dataset: CalibrationName},
			func(done, total int) { progress(VariantProgress{Studying: true, Chunk: done, Chunks: total}) })
		if err != nil {
			return catalog.Variant{}, quant.Result{}, fmt.Errorf("studying the model on the calibration text: %w", err)
		}
		opts.Importance = im.Importance(CalibrationName)
	}
	res, err := quant.QuantizeFile(ctx, from.Path, out, opts)
	if err != nil {
		return catalog.Variant{}, res, err
	}
	im, err := s.adopt(ctx, out, catalog.ImportOptions{Name: e.Model.DisplayName, QuantizedFrom: from.ID})
	if err != nil {
		return catalog.Variant{}, res, fmt.Errorf("adding the new file to the catalog: %w", err)
	}
	return im.Variant, res, nil
}

// adopt adds the file at path, which Nibble has just written into the
// models folder, to the catalog as its own copy (Move keeps it where it
// is). If that fails the file is deleted, unless the catalog already has
// it.
func (s *Service) adopt(ctx context.Context, path string, opts catalog.ImportOptions) (*catalog.Import, error) {
	opts.Mode = catalog.Move
	im, err := s.Catalog.Import(ctx, path, opts)
	if err != nil && !errors.Is(err, catalog.ErrExists) {
		os.Remove(path)
	}
	return im, err
}
