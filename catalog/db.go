package catalog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the catalog's file name inside its folder.
const FileName = "catalog.db"

// DefaultLockTimeout is how long Open waits for another process to release
// the catalog before it returns ErrAlreadyRunning.
const DefaultLockTimeout = 250 * time.Millisecond

// Options says where the catalog is and how to open it. The zero value opens
// the default catalog.
type Options struct {
	// Dir is the folder holding catalog.db (and, unless the models_dir
	// setting says otherwise, the models folder). Default: DefaultDir().
	Dir string

	// LockTimeout bounds the wait for another process holding the catalog.
	// Default: DefaultLockTimeout.
	LockTimeout time.Duration

	// ResetDamaged makes Open set a damaged or foreign catalog file aside
	// (renamed to catalog.db.bad-YYYYMMDD-HHMMSS in the same folder, never
	// deleted) and start an empty catalog; SetAside then tells the backup's
	// name and why. Without it, Open returns an error wrapping ErrDamaged and
	// leaves the file alone, so the caller can ask the user first. A catalog
	// of a newer schema (ErrNewerSchema) is never set aside.
	ResetDamaged bool
}

// Catalog is an open catalog: one bbolt database holding the models and
// their variants, the chats and the settings. Every change is one bbolt
// transaction. Model files are put in place before their entry is committed
// and deleted after their entry is, so a crash at any moment leaves at worst
// a file no entry points at (Reconcile reports it), never an entry pointing
// at a missing or partial file.
//
// A Catalog is safe for concurrent use by several goroutines. Only one
// process can have the catalog open at a time (see ErrAlreadyRunning).
type Catalog struct {
	db  *bolt.DB
	dir string

	backup string // set aside by Open, or ""
	damage error  // why it was set aside

	// closing is cancelled by Close to stop background hashing.
	closing context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup

	// place serializes choosing a file name in the models folder and
	// committing the entry that points at it.
	place sync.Mutex

	mu    sync.Mutex          // guards jobs and temps
	jobs  map[uint64]*hashJob // hashing in progress, by variant id
	temps map[string]bool     // temporary files of copies in progress
}

// DefaultDir returns the catalog's default folder: $NIBBLE_HOME if set,
// otherwise "nibble" in the user's configuration folder (~/.config on Linux,
// ~/Library/Application Support on macOS, %AppData% on Windows).
func DefaultDir() (string, error) {
	if d := os.Getenv("NIBBLE_HOME"); d != "" {
		return filepath.Abs(d)
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the catalog folder: %w", err)
	}
	return filepath.Join(cfg, "nibble"), nil
}

// Open opens the catalog in opts.Dir, creating the folder and an empty
// catalog if needed, and brings an older schema up to date in the same
// transaction that checks it. It fails with ErrAlreadyRunning if another
// process has it open, ErrNewerSchema if a newer Nibble wrote it, and
// ErrDamaged if the file is not a usable catalog (see Options.ResetDamaged).
// Cost: reading the file's first pages and one write transaction.
func Open(opts Options) (*Catalog, error) {
	dir := opts.Dir
	var err error
	if dir == "" {
		dir, err = DefaultDir()
	} else {
		dir, err = filepath.Abs(dir)
	}
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	path := filepath.Join(dir, FileName)
	db, err := openDB(path, timeout)
	var backup string
	var damage error
	if errors.Is(err, ErrDamaged) && opts.ResetDamaged {
		damage = err
		if backup, err = setAside(path); err != nil {
			return nil, err
		}
		db, err = openDB(path, timeout)
	}
	if err != nil {
		return nil, err
	}
	c := &Catalog{db: db, dir: dir, backup: backup, damage: damage, jobs: map[uint64]*hashJob{}, temps: map[string]bool{}}
	c.closing, c.stop = context.WithCancel(context.Background())
	return c, nil
}

// openDB opens and locks the catalog file at path, creating it if there is
// none, and checks its schema, migrating it if it is older.
func openDB(path string, timeout time.Duration) (db *bolt.DB, err error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := create(path, timeout); err != nil {
			return nil, fmt.Errorf("create catalog %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open catalog: %w", err)
	case st.Size() == 0:
		// bbolt would make it a new database; Nibble never leaves an empty
		// file (see create), so something else truncated it.
		return nil, damaged(path, errors.New("the file is empty"))
	}
	// bbolt trusts its pages once the meta page checks out, and panics on
	// some damage found later; report that as damage, not a crash.
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, damaged(path, fmt.Errorf("%v", p))
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("%w: another Nibble window or command is using %s", ErrAlreadyRunning, path)
	case errors.Is(err, bolt.ErrInvalid), errors.Is(err, bolt.ErrVersionMismatch), errors.Is(err, bolt.ErrChecksum):
		return nil, damaged(path, err)
	case err != nil:
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	if err := db.Update(prepare); err != nil {
		db.Close()
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	return db, nil
}

// create makes a new, empty catalog at path atomically: it is built under a
// temporary name and linked into place, so that no process ever sees a
// partial catalog.db, even when two start at once.
func create(path string, timeout time.Duration) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+FileName+".new-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error { return migrate(tx, 0) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	err = os.Link(tmp, path) // fails if another process made it meanwhile: fine
	if err == nil || errors.Is(err, fs.ErrExist) {
		syncDir(filepath.Dir(path))
		return nil
	}
	// A file system without hard links (FAT): rename, the race being
	// narrower.
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

func damaged(path string, why error) error {
	return fmt.Errorf("open catalog %s: %w (%w)", path, ErrDamaged, why)
}

// setAside renames the damaged catalog at path to a name that says so, in
// the same folder, and returns that name.
func setAside(path string) (string, error) {
	base := path + ".bad-" + time.Now().Format("20060102-150405")
	backup := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(backup); errors.Is(err, os.ErrNotExist) {
			break
		}
		backup = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, backup); err != nil {
		return "", fmt.Errorf("set the damaged catalog aside: %w", err)
	}
	return backup, nil
}

// SetAside reports whether Open set a damaged catalog aside
// (Options.ResetDamaged): the backup's path and the reason, an error wrapping
// ErrDamaged. It returns "", nil otherwise.
func (c *Catalog) SetAside() (backup string, reason error) { return c.backup, c.damage }

// Dir returns the catalog's folder.
func (c *Catalog) Dir() string { return c.dir }

// Path returns the catalog file's path.
func (c *Catalog) Path() string { return filepath.Join(c.dir, FileName) }

// Close stops background hashing (its variants keep an empty SHA256), waits
// for it to end and closes the database, releasing the lock. The Catalog
// must not be used afterwards.
func (c *Catalog) Close() error {
	c.stop()
	c.wg.Wait()
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close catalog: %w", err)
	}
	return nil
}
