package service

import (
	"context"
	"errors"

	"nibble/catalog"
	"nibble/catalog/hub"
)

// Download fetches file from the Hugging Face repo into the models folder
// (hub.Client.Download: resumable, verified against the hub's sha256, with
// HubToken as the access token for gated repos) and adds it to the catalog
// as Nibble's own file, named name ("": the file's general.name); a file the catalog refuses (one part of a split
// model) is deleted. A file already in the catalog is not an error: its
// entry is returned. progress, if not nil, is told how the download goes.
// Cancelling ctx stops it, keeping the partial file for the next try.
func (s *Service) Download(ctx context.Context, repo, file, name string, progress func(hub.Progress)) (catalog.Entry, error) {
	dir, err := s.Catalog.ModelsDir()
	if err != nil {
		return catalog.Entry{}, err
	}
	path, err := s.hubClient().Download(ctx, repo, file, dir, progress)
	if err != nil {
		return catalog.Entry{}, err
	}
	im, err := s.adopt(ctx, path, catalog.ImportOptions{Name: name})
	if errors.Is(err, catalog.ErrExists) { // downloaded before
		e, _, lerr := s.Catalog.LookupFile(path)
		if lerr == nil {
			return e, nil
		}
	}
	if err != nil {
		return catalog.Entry{}, err
	}
	return catalog.Entry{Model: im.Model, Variants: []catalog.Variant{im.Variant}}, nil
}

// hubClient returns a client of the Hugging Face hub that sends the user's
// access token (HubToken), for gated repos.
func (s *Service) hubClient() *hub.Client {
	token, _ := s.HubToken()
	c := hub.New(token)
	if s.freeSpace != nil {
		c.FreeSpace = s.freeSpace
	}
	return c
}
