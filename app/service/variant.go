package service

import (
	"context"
	"fmt"
	"os"

	"nibble/catalog"
	"nibble/quant"
)

// MakeVariant quantizes variant from to the level mixName into the models
// folder and adds the result to the catalog as Nibble's own copy, a variant
// of the same model that records what it was made from. progress, if not
// nil, is called as quant.Options.Progress is. Cancelling ctx stops the
// conversion and leaves no file behind. A crash between the file's
// completion and its entry leaves an orphaned file in the models folder,
// which catalog.Reconcile reports.
func (s *Service) MakeVariant(ctx context.Context, from catalog.Variant, mixName string, progress func(quant.Progress)) (catalog.Variant, quant.Result, error) {
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
	res, err := quant.QuantizeFile(ctx, from.Path, out, quant.Options{Mix: mix, Progress: progress})
	if err != nil {
		return catalog.Variant{}, res, err
	}
	im, err := s.Catalog.Import(ctx, out, catalog.ImportOptions{
		Mode: catalog.Move, Name: e.Model.DisplayName, QuantizedFrom: from.ID})
	if err != nil {
		os.Remove(out)
		return catalog.Variant{}, res, fmt.Errorf("adding the new file to the catalog: %w", err)
	}
	return im.Variant, res, nil
}
