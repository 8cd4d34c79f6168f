package service

import (
	"context"
	"fmt"

	"nibble/catalog"
	"nibble/catalog/hub"
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

// GetProgress is how far Get has come. Only the field of the current Phase
// is meaningful.
type GetProgress struct {
	Phase GetPhase
	// Download counts the bytes of all the files Get downloads together:
	// Done includes what an earlier, interrupted Get had fetched.
	Download hub.Progress
	Convert  hfconvert.Progress
	Make     VariantProgress
}

// Get fetches curated model m at level into the catalog and returns the
// variant to chat with. When m.Files has a ready GGUF file at level it is
// downloaded from m.GGUFRepo (Download); otherwise Get downloads the
// original weights from m.SafetensorsRepo, converts them (ConvertFolder)
// and makes the level from them (MakeVariant).
//
// Downloads resume: a Get cancelled or failed part way keeps what it
// fetched, and the next Get of the same model goes on from there. progress,
// if not nil, is called from Get's goroutine (and the quantizer's, never
// concurrently) as the work advances. Get blocks for as long as the
// download and the conversion take: call it from a goroutine.
func (s *Service) Get(ctx context.Context, m CuratedModel, level string, progress func(GetProgress)) (catalog.Model, catalog.Variant, error) {
	if progress == nil {
		progress = func(GetProgress) {}
	}
	file := m.Files[level]
	if file == "" {
		return catalog.Model{}, catalog.Variant{}, fmt.Errorf("%s has no ready file at %s on the hub yet", m.Name, level)
	}
	e, err := s.Download(ctx, m.GGUFRepo, file, func(p hub.Progress) { progress(GetProgress{Phase: Downloading, Download: p}) })
	if err != nil {
		return catalog.Model{}, catalog.Variant{}, err
	}
	return e.Model, e.Variants[0], nil
}
