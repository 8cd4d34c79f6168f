package catalog

import "errors"

// Sentinel errors: test for them with errors.Is. The errors returned wrap
// them with what was being done and to which file or entry.
var (
	// ErrAlreadyRunning: another Nibble process (a window or a command) has
	// the catalog open. bbolt's file lock tells, within Options.LockTimeout.
	ErrAlreadyRunning = errors.New("Nibble is already running")

	// ErrDamaged: the catalog file cannot be used: it is not a bbolt database,
	// is damaged or empty, or belongs to another program. Open leaves it alone
	// unless Options.ResetDamaged is set.
	ErrDamaged = errors.New("the catalog file is damaged or is not Nibble's")

	// ErrNewerSchema: the catalog was written by a newer Nibble whose schema
	// this one does not know. Open refuses it and never sets it aside.
	ErrNewerSchema = errors.New("the catalog was written by a newer version of Nibble; update Nibble to open it")

	// ErrNotFound: no model, variant or chat by that name or id.
	ErrNotFound = errors.New("not in the catalog")

	// ErrExists: the file is already in the catalog.
	ErrExists = errors.New("already in the catalog")

	// ErrSplitModel: the GGUF file is one part of a model split across
	// several files, which Nibble cannot import yet.
	ErrSplitModel = errors.New("the model is split into several files, which Nibble cannot use yet")
)
