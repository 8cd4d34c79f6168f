// Package catalog keeps every model and variant Nibble knows, its chats and
// settings, in one bbolt database in the user's data folder, and discovers
// models already on this computer.
//
// The database is catalog.db in DefaultDir (os.UserConfigDir()/nibble, or
// $NIBBLE_HOME, or Options.Dir); Nibble's own copies of models go to the
// models folder, "models" beside it unless the models_dir setting says
// otherwise. Files:
//
//   - db.go: Open, Close, the lock, damaged files;
//   - schema.go: the buckets, the JSON encoding, the schema version and its
//     migrations;
//   - models.go, variants.go: the entries, Remove, Hash;
//   - import.go: Import (link, copy or move a GGUF file);
//   - reconcile.go: Reconcile, run at start-up;
//   - chats.go, settings.go;
//   - discover.go: Discover, the models of Ollama, LM Studio, the Hugging
//     Face cache and the Downloads folder.
//
// Guarantees, which the tests check by killing a process mid-write:
//
//   - Every change is one bbolt transaction.
//   - A model file is complete and in place before the entry pointing at it
//     is committed, and deleted only after its entry is; copies are written
//     to a temporary file in the models folder and renamed. A crash leaves
//     at worst an orphaned file or a temporary one, which Reconcile reports
//     or deletes; a user's file that disappears is marked Missing, not an
//     error.
//   - Only one process opens the catalog: a second gets ErrAlreadyRunning
//     after Options.LockTimeout (bbolt's file lock, released by the OS when
//     a process dies).
//   - A file that is not a usable catalog (not bbolt, damaged, empty, or
//     another program's bbolt file) gives ErrDamaged and is left alone;
//     with Options.ResetDamaged, Open renames it aside
//     (catalog.db.bad-TIMESTAMP) and starts afresh, which the caller tells
//     the user about (Catalog.SetAside). The choice is the caller's because
//     only it can ask the user. A catalog written by a newer Nibble gives
//     ErrNewerSchema and is never touched.
package catalog
