package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"nibble/catalog"
	"nibble/quant/hfconvert"
)

// ConvertError is ConvertFolder's failure to read or convert the model
// folder (a missing or damaged file, an architecture it cannot convert), as
// opposed to its cancellation or the catalog's errors; Err says what is
// wrong.
type ConvertError struct{ Err error }

func (e *ConvertError) Error() string {
	return "cannot convert the Hugging Face model folder: " + e.Err.Error()
}

// Unwrap returns the conversion's error.
func (e *ConvertError) Unwrap() error { return e.Err }

// IsModelFolder tells whether dir is a Hugging Face model folder, which
// ConvertFolder takes: a config.json with the weights in model.safetensors,
// model-0000N-of-0000M.safetensors shards or an index of them.
func IsModelFolder(dir string) bool {
	if info, err := os.Stat(filepath.Join(dir, "config.json")); err != nil || info.IsDir() {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors.index.json")); err == nil {
		return true
	}
	weights, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	return len(weights) > 0
}

// ConvertFolder turns the Hugging Face model in folder dir into a GGUF
// file that loses nothing (hfconvert's default float type) written straight
// into the models folder, and adds it to the catalog as Nibble's own copy
// (catalog.Move), named as the conversion names the model (general.name).
// The user's folder is left as it is. progress, if not nil, is called as
// the conversion advances, never concurrently (see hfconvert.Options).
// Cancelling ctx stops it and leaves neither file nor entry. It takes about
// as long as reading and writing the model once: call it from a goroutine.
// Errors of the conversion are a *ConvertError (wrapping, for an
// architecture it cannot convert, hfconvert.ErrUnsupportedArchitecture).
// The Import is returned by pointer, as catalog.Import returns it: its
// hashing goes on in the background, writing to it.
func (s *Service) ConvertFolder(ctx context.Context, dir string, progress func(hfconvert.Progress)) (*catalog.Import, error) {
	return s.convert(ctx, dir, "", hfconvert.DefaultType, progress)
}

// convert is ConvertFolder to float type typ (F32, F16 or BF16), with name
// as the model's display name in the catalog ("": general.name).
func (s *Service) convert(ctx context.Context, dir, name, typ string, progress func(hfconvert.Progress)) (*catalog.Import, error) {
	fileName := name
	if fileName == "" {
		fileName = filepath.Base(filepath.Clean(dir))
	}
	out, err := s.Catalog.NewFilePath(catalog.Model{DisplayName: fileName}, typ)
	if err != nil {
		return nil, err
	}
	if _, err := hfconvert.Convert(ctx, dir, out, hfconvert.Options{Type: typ, Progress: progress}); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ConvertError{Err: err}
	}
	im, err := s.adopt(ctx, out, catalog.ImportOptions{Name: name})
	if err != nil {
		return nil, fmt.Errorf("adding the converted model to the catalog: %w", err)
	}
	return im, nil
}
