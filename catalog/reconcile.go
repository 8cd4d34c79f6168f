package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Report is what Reconcile found.
type Report struct {
	// Missing are the variants whose file is gone, now marked Missing.
	Missing []Variant
	// Back are the variants marked missing whose file is there again, now
	// unmarked.
	Back []Variant
	// Orphans are the GGUF files in the models folder that no entry points
	// at: left by a crash between putting a file in place and committing its
	// entry, or by a removal whose file could not be deleted. Reconcile
	// leaves them alone; Import with Move adopts one where it is.
	Orphans []string
	// Removed are the temporary files of interrupted copies (".NAME.tmp-*")
	// that Reconcile deleted.
	Removed []string
}

// Reconcile brings the catalog in line with the disk, as Nibble starts: it
// marks the variants whose file is missing (and unmarks those whose file is
// back), deletes the temporary files that interrupted copies left in the
// models folder and lists the orphaned files there. Temporary files of this
// Catalog's copies in progress are left alone, but not those of another
// writer into the models folder (a quantization), so call it before any
// starts. Cost: one stat per variant and one listing of the models folder,
// in one write transaction.
func (c *Catalog) Reconcile() (Report, error) {
	var r Report
	known := map[string]bool{}
	err := c.db.Update(func(tx *bolt.Tx) error {
		r = Report{}
		b := tx.Bucket(bucketVariants)
		variants, err := all[Variant](b)
		if err != nil {
			return err
		}
		for _, v := range variants {
			known[v.Path] = true
			_, err := os.Stat(v.Path)
			missing := err != nil // gone, or unreadable: unusable either way
			if missing == v.Missing {
				continue
			}
			v.Missing = missing
			if missing {
				r.Missing = append(r.Missing, v)
			} else {
				r.Back = append(r.Back, v)
			}
			if err := put(b, key(v.ID), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("reconcile catalog: %w", err)
	}
	dir, err := c.ModelsDir()
	if err != nil {
		return r, err
	}
	c.mu.Lock() // no copy starts a temporary file meanwhile
	defer c.mu.Unlock()
	files, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("reconcile catalog: %w", err)
	}
	var errs []error
	for _, f := range files {
		path := filepath.Join(dir, f.Name())
		switch {
		case f.IsDir() || known[path] || c.temps[path]:
		case isTemp(f.Name()):
			if err := os.Remove(path); err != nil {
				errs = append(errs, fmt.Errorf("remove a partial copy: %w", err))
				continue
			}
			r.Removed = append(r.Removed, path)
		case strings.EqualFold(filepath.Ext(path), ".gguf"):
			r.Orphans = append(r.Orphans, path)
		}
	}
	return r, errors.Join(errs...)
}
