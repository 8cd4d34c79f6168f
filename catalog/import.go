package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"nibble/engine/gguf"
	"nibble/quant"
)

// ImportMode says what Import does with the user's file.
type ImportMode int

const (
	// Link references the file where it is, the default: nothing is copied
	// and the file stays the user's (Remove never deletes it unless asked).
	Link ImportMode = iota
	// Copy makes Nibble's own copy in the models folder and leaves the
	// original alone.
	Copy
	// Move moves the file into the models folder, making it Nibble's: a
	// rename on the same volume, else a copy and then the original's removal.
	Move
)

func (m ImportMode) String() string {
	switch m {
	case Link:
		return "link"
	case Copy:
		return "copy"
	case Move:
		return "move"
	}
	return fmt.Sprintf("ImportMode(%d)", int(m))
}

// ImportOptions are Import's options; the zero value links the file.
type ImportOptions struct {
	Mode ImportMode
	// Name is the model's display name; default: general.name, else the
	// file name without its level ("tinyllama-1.1b-chat.Q4_K_M.gguf" →
	// "tinyllama-1.1b-chat").
	Name string
	// QuantizedFrom is the variant this file was made from by Nibble, or 0.
	QuantizedFrom uint64
	// Progress, if not nil, is told the bytes done and the total of the one
	// pass Import makes over the file: the copy (which hashes as it copies)
	// during Import, or the hashing that follows it. Calls come from one
	// goroutine at a time.
	Progress func(done, total int64)
}

// Import is an imported variant, whose hashing may still be going on.
type Import struct {
	Model   Model
	Variant Variant // usable now; SHA256 is "" while hashing
	// KeptOriginal is set when a Move had to copy across volumes and could
	// not remove the original afterwards: the import stands, the user's
	// file is still there.
	KeptOriginal error

	done   chan struct{}
	result Variant
	err    error
}

// Wait blocks until the hashing is done and returns the variant with its
// SHA256, or the error that stopped the hashing (the variant stays in the
// catalog without a hash; Hash can compute it later).
func (im *Import) Wait() (Variant, error) {
	<-im.done
	return im.result, im.err
}

// Import adds the GGUF file at path to the catalog as a variant of the model
// its metadata describes (found or created). A file that is not a GGUF gives
// an error wrapping gguf.ErrNotGGUF; one already in the catalog (Link,
// Move), ErrExists; one part of a split model, ErrSplitModel.
//
// Link and same-volume Move return as soon as the entry is committed and
// hash the file in a background goroutine (see Import.Wait). Copy, and Move
// across volumes, copy the file to a temporary file in the models folder,
// hashing it on the way, rename it into place and only then commit the
// entry, so they return with the hash; cancelling ctx stops the copy and
// removes the temporary file. ctx also stops the background hashing. Import
// is safe to call from several goroutines.
func (c *Catalog) Import(ctx context.Context, path string, opts ImportOptions) (*Import, error) {
	src, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	m, level, err := readModel(src)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if opts.Name != "" {
		m.DisplayName = opts.Name
	}
	now := time.Now().UTC()
	m.Source, m.Added = src, now
	v := Variant{Level: level, Size: st.Size(), QuantizedFrom: opts.QuantizedFrom, Added: now}
	im := &Import{done: make(chan struct{})}
	switch opts.Mode {
	case Link:
		v.Path = src
		im.Model, im.Variant, err = c.add(m, v, true)
	case Copy:
		im.Model, im.Variant, err = c.copyIn(ctx, src, m, v, opts.Progress)
	case Move:
		im.Model, im.Variant, im.KeptOriginal, err = c.moveIn(ctx, src, m, v, opts.Progress)
	default:
		err = fmt.Errorf("unknown import mode %v", opts.Mode)
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", src, err)
	}
	if im.Variant.SHA256 != "" {
		im.result = im.Variant
		close(im.done)
		return im, nil
	}
	go func() {
		defer close(im.done)
		im.result, im.err = c.Hash(ctx, im.Variant.ID, opts.Progress)
		if im.err != nil {
			im.result = im.Variant
		}
	}()
	return im, nil
}

// readModel reads what the GGUF file at path says about its model, and its
// quantization level ("" if it does not say).
func readModel(path string) (Model, string, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return Model{}, "", err
	}
	defer f.Close() // before any rename: Windows cannot rename a mapped file
	if n, ok := f.Uint("split.count"); ok && n > 1 {
		return Model{}, "", fmt.Errorf("%s: %w (%d parts)", path, ErrSplitModel, n)
	}
	m := Model{Architecture: f.Architecture(), Parameters: f.ParamCount()}
	if m.Architecture == "" {
		return Model{}, "", fmt.Errorf("%s: metadata general.architecture missing", path)
	}
	m.DisplayName, _ = f.String("general.name")
	if m.DisplayName == "" {
		m.DisplayName = nameFromFile(path)
	}
	m.License, _ = f.String("general.license")
	m.ContextLength, _ = f.Uint(m.Architecture + ".context_length")
	level := ""
	if ft, ok := f.Uint("general.file_type"); ok {
		if mix, ok := quant.MixForFileType(uint32(ft)); ok {
			level = mix.Name
		} else {
			level = fmt.Sprintf("FTYPE_%d", ft)
		}
	}
	return m, level, nil
}

// levelSuffix matches a quantization level at the end of a file name.
var levelSuffix = regexp.MustCompile(`(?i)[-._ ]+(i?q[0-9]+(_[a-z0-9]+)*|f16|f32|bf16)$`)

// nameFromFile is a display name for a file whose metadata has none: its
// base name without extension and level.
func nameFromFile(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if s := levelSuffix.ReplaceAllString(base, ""); s != "" {
		return s
	}
	return base
}

// add commits the entry of variant v of model m (matched or created), giving
// it its tag and id. With checkPath, a variant with the same file already in
// the catalog is an error wrapping ErrExists.
func (c *Catalog) add(m Model, v Variant, checkPath bool) (Model, Variant, error) {
	err := c.db.Update(func(tx *bolt.Tx) error {
		vb := tx.Bucket(bucketVariants)
		if checkPath {
			if err := notImported(tx, v.Path); err != nil {
				return err
			}
		}
		if v.QuantizedFrom != 0 && vb.Get(key(v.QuantizedFrom)) == nil {
			return fmt.Errorf("quantized from variant %d: %w", v.QuantizedFrom, ErrNotFound)
		}
		var err error
		if m, err = modelFor(tx, m); err != nil {
			return err
		}
		variants, err := all[Variant](vb)
		if err != nil {
			return err
		}
		tags := map[string]bool{}
		for _, have := range variants {
			if have.ModelID == m.ID {
				tags[have.Tag] = true
			}
		}
		tag := v.Level
		if tag == "" {
			tag = "unknown"
		}
		v.ModelID, v.Tag = m.ID, unique(tag, tags)
		if v.ID, err = vb.NextSequence(); err != nil {
			return err
		}
		return put(vb, key(v.ID), v)
	})
	return m, v, err
}

// notImported returns an error wrapping ErrExists if a variant in tx has the
// file at path.
func notImported(tx *bolt.Tx, path string) error {
	es, err := entries(tx)
	if err != nil {
		return err
	}
	st, statErr := os.Stat(path)
	for _, e := range es {
		for _, v := range e.Variants {
			if v.Path == path {
				return fmt.Errorf("%w as %s", ErrExists, e.Model.Ref(v))
			}
			if statErr != nil {
				continue
			}
			if have, err := os.Stat(v.Path); err == nil && os.SameFile(st, have) {
				return fmt.Errorf("%w as %s", ErrExists, e.Model.Ref(v))
			}
		}
	}
	return nil
}

// checkNew is notImported in its own transaction.
func (c *Catalog) checkNew(path string) error {
	return c.db.View(func(tx *bolt.Tx) error { return notImported(tx, path) })
}

// copyIn copies src into the models folder and commits its entry.
func (c *Catalog) copyIn(ctx context.Context, src string, m Model, v Variant, progress func(done, total int64)) (Model, Variant, error) {
	dir, err := c.modelsDirReady()
	if err != nil {
		return Model{}, Variant{}, err
	}
	name := fileNameFor(m, v.Level)
	tmp, sum, n, err := c.copyToTemp(ctx, src, dir, name, v.Size, progress)
	if err != nil {
		return Model{}, Variant{}, err
	}
	defer c.forgetTemp(tmp)
	v.SHA256, v.Size, v.Owned = sum, n, true

	c.place.Lock()
	defer c.place.Unlock()
	final := freeName(dir, name)
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return Model{}, Variant{}, err
	}
	syncDir(dir)
	v.Path = final
	m, v, err = c.add(m, v, false)
	if err != nil {
		os.Remove(final) // the entry is not there: the file must not stay
	}
	return m, v, err
}

// moveIn moves src into the models folder and commits its entry; across
// volumes it copies and then removes src, the error of that removal being
// returned as kept.
func (c *Catalog) moveIn(ctx context.Context, src string, m Model, v Variant, progress func(done, total int64)) (_ Model, _ Variant, kept, err error) {
	dir, err := c.modelsDirReady()
	if err != nil {
		return Model{}, Variant{}, nil, err
	}
	if err := c.checkNew(src); err != nil {
		return Model{}, Variant{}, nil, err
	}
	v.Owned = true
	c.place.Lock()
	final := src // a file already in the models folder (an orphan) stays as it is
	if filepath.Dir(src) != dir {
		final = freeName(dir, fileNameFor(m, v.Level))
	}
	if os.Rename(src, final) == nil {
		defer c.place.Unlock()
		syncDir(dir)
		syncDir(filepath.Dir(src))
		v.Path = final
		if m, v, err = c.add(m, v, false); err != nil {
			os.Rename(final, src) // give the user's file back
		}
		return m, v, nil, err
	}
	c.place.Unlock() // another volume, most likely
	if m, v, err = c.copyIn(ctx, src, m, v, progress); err != nil {
		return Model{}, Variant{}, nil, err
	}
	if err := os.Remove(src); err != nil {
		kept = fmt.Errorf("copied into the models folder but could not remove the original: %w", err)
	}
	return m, v, kept, nil
}

// copyToTemp copies src to a new temporary file in dir, named after name,
// synced to disk, and returns its path, its hash and size. The temporary
// file is in c.temps from its creation, so Reconcile leaves it alone, until
// forgetTemp; on error it is removed.
func (c *Catalog) copyToTemp(ctx context.Context, src, dir, name string, size int64, progress func(done, total int64)) (_, _ string, _ int64, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", "", 0, err
	}
	defer in.Close()
	c.mu.Lock()
	out, err := os.CreateTemp(dir, tempPrefix(name)+"*")
	if err == nil {
		c.temps[out.Name()] = true
	}
	c.mu.Unlock()
	if err != nil {
		return "", "", 0, err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
			c.forgetTemp(out.Name())
		}
	}()
	// CreateTemp makes the file private (0600); a model is an ordinary
	// document, so give it the permissions os.Create has under umask 022.
	if err := out.Chmod(0o644); err != nil {
		return "", "", 0, err
	}
	sum, n, err := hashCopy(ctx, out, in, size, progress)
	if err != nil {
		return "", "", 0, err
	}
	if err := out.Sync(); err != nil {
		return "", "", 0, err
	}
	if err := out.Close(); err != nil {
		return "", "", 0, err
	}
	return out.Name(), sum, n, nil
}

func (c *Catalog) forgetTemp(path string) {
	c.mu.Lock()
	delete(c.temps, path)
	c.mu.Unlock()
}

// tempPrefix starts the name of a temporary file for name, the pattern
// gguf.Writer uses too: ".NAME.tmp-RANDOM".
func tempPrefix(name string) string { return "." + name + ".tmp-" }

// isTemp tells whether a file name in the models folder is a temporary file
// of a copy or a write in progress, or left by one that was interrupted.
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// fileNameFor is the file name Nibble gives its copy of a variant of m.
func fileNameFor(m Model, level string) string {
	name := NameOf(m.DisplayName)
	if level != "" {
		name += "-" + level
	}
	return name + ".gguf"
}

// freeName returns the path of name in dir, with "-2", "-3"... before its
// extension if that is taken. The caller holds c.place.
func freeName(dir, name string) string {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	path := filepath.Join(dir, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return path
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", stem, i, ext))
	}
}

// syncDir fsyncs directory dir so a rename in it survives a crash. It is best
// effort: Windows cannot open a directory for syncing and some unix file
// systems refuse, and the file itself is already synced either way.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// NewFilePath returns a path in the models folder (created if needed) that
// no file has yet, named as Nibble names its copy of a variant of m at level,
// for a program about to write one there (a quantization), which then
// imports it with Move: the file stays where it is and becomes Nibble's.
func (c *Catalog) NewFilePath(m Model, level string) (string, error) {
	dir, err := c.modelsDirReady()
	if err != nil {
		return "", err
	}
	c.place.Lock()
	defer c.place.Unlock()
	return freeName(dir, fileNameFor(m, level)), nil
}
