package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestDefaultDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("NIBBLE_HOME", home)
	if dir, err := DefaultDir(); err != nil || dir != home {
		t.Errorf("with NIBBLE_HOME: %q, %v; want %q", dir, err, home)
	}
	t.Setenv("NIBBLE_HOME", "")
	cfg, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config folder here:", err)
	}
	if dir, err := DefaultDir(); err != nil || dir != filepath.Join(cfg, "nibble") {
		t.Errorf("default: %q, %v; want %q", dir, err, filepath.Join(cfg, "nibble"))
	}
}

func TestOpenCreatesCatalog(t *testing.T) {
	home := filepath.Join(t.TempDir(), "not", "yet")
	t.Setenv("NIBBLE_HOME", home)
	c, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeTest(t, c)
	if c.Path() != filepath.Join(home, FileName) {
		t.Errorf("path %q, want it in NIBBLE_HOME %q", c.Path(), home)
	}
	if dir, _ := c.ModelsDir(); dir != filepath.Join(home, "models") {
		t.Errorf("models folder %q, want %q", dir, filepath.Join(home, "models"))
	}
	if got := schemaOf(t, c.db); got != "1" {
		t.Errorf("schema %q, want 1", got)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(home, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	if backup, reason := c.SetAside(); backup != "" || reason != nil {
		t.Errorf("SetAside %q, %v for a new catalog", backup, reason)
	}
}

func schemaOf(t *testing.T, db *bolt.DB) string {
	var v string
	db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	return v
}

// TestAlreadyRunning opens the catalog in a child process while this one
// holds it, and once more in this process (bbolt's lock is per open file,
// not per process).
func TestAlreadyRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	c := openTest(t, dir)
	start := time.Now()
	_, err := Open(Options{Dir: dir, LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrAlreadyRunning) || !strings.Contains(err.Error(), "Nibble is already running") {
		t.Errorf("second Open: %v, want ErrAlreadyRunning", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %v", d)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=open "+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Nibble is already running") {
		t.Errorf("second process: %v, output %q; want it told Nibble is already running", err, out)
	}
	closeTest(t, c)
	c2, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	closeTest(t, c2)
}

// openChild is the other process of TestAlreadyRunning: it opens the
// catalog in dir and prints the error.
func openChild(dir string) int {
	c, err := Open(Options{Dir: dir, LockTimeout: 100 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return 0
	}
	c.Close()
	fmt.Println("opened")
	return 0
}

// TestBadFiles opens files that are not catalogs: Open refuses them with
// ErrDamaged and leaves them alone, or, with ResetDamaged, sets them aside
// and starts afresh.
func TestBadFiles(t *testing.T) {
	random := make([]byte, 3*4096)
	for i := range random {
		random[i] = byte(i*7 + i/13)
	}
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, path string)
		why   string
	}{
		{"random bytes", writeBytes(random), "invalid database"},
		{"text", writeBytes([]byte("my shopping list\n")), "invalid database"},
		{"empty", writeBytes(nil), "empty"},
		{"another app's bbolt", writeBolt("sessions", nil), "another program"},
		{"another app's meta bucket", writeBolt("meta", map[string]string{"schema": "1"}), "another program"},
		{"bad schema version", writeBolt("meta", map[string]string{"app": appMarker, "schema": "x"}), "schema version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			tc.write(t, path)
			before, _ := os.ReadFile(path)

			_, err := Open(Options{Dir: dir})
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open: %v; want ErrDamaged naming the file and %q", err, tc.why)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
				t.Fatal("Open changed the damaged file")
			}

			c := openTestOptions(t, Options{Dir: dir, ResetDamaged: true})
			backup, reason := c.SetAside()
			if !errors.Is(reason, ErrDamaged) {
				t.Errorf("SetAside reason %v, want ErrDamaged", reason)
			}
			if ok, _ := regexp.MatchString(`^catalog\.db\.bad-\d{8}-\d{6}$`, filepath.Base(backup)); !ok || filepath.Dir(backup) != dir {
				t.Errorf("backup %q, want catalog.db.bad-TIMESTAMP in %s", backup, dir)
			}
			if kept, err := os.ReadFile(backup); err != nil || !bytes.Equal(kept, before) {
				t.Errorf("backup does not hold the old file: %v", err)
			}
			if es, err := c.List(); err != nil || len(es) != 0 {
				t.Errorf("new catalog: %v, %v", es, err)
			}
		})
	}
}

// openTestOptions is openTest with options.
func openTestOptions(t *testing.T, opts Options) *Catalog {
	t.Helper()
	c, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeTest(t, c) })
	return c
}

func writeBytes(data []byte) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// writeBolt writes a bbolt file with one bucket holding kv.
func writeBolt(bucket string, kv map[string]string) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte(bucket))
			for k, v := range kv {
				if err == nil {
					err = b.Put([]byte(k), []byte(v))
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// setSchema writes schema version v into the catalog in dir, closed.
func setSchema(t *testing.T, dir string, v string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte(v)) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	closeTest(t, openTest(t, dir))
	setSchema(t, dir, "99")
	for _, reset := range []bool{false, true} {
		_, err := Open(Options{Dir: dir, ResetDamaged: reset})
		if !errors.Is(err, ErrNewerSchema) || errors.Is(err, ErrDamaged) ||
			!strings.Contains(err.Error(), "version 99") || !strings.Contains(err.Error(), "update Nibble") {
			t.Errorf("ResetDamaged %v: %v; want ErrNewerSchema naming version 99", reset, err)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, FileName+".bad-*")); len(files) > 0 {
		t.Errorf("a newer catalog was set aside: %v", files)
	}
}

// TestMigration gives the code a schema version 2 (its migration renames the
// setting "colour" to "color") and opens a version 1 catalog with it; then
// the version 1 code refuses the migrated catalog.
func TestMigration(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "tiny-q4.gguf")
	writeModel(t, src, tinyLlama)
	c := openTest(t, dir)
	if _, err := c.Import(context.Background(), src, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetSetting("colour", "green"); err != nil {
		t.Fatal(err)
	}
	closeTest(t, c)

	v1 := migrations
	t.Cleanup(func() { migrations = v1 })
	ran := 0
	migrations = append(slices.Clip(v1), func(tx *bolt.Tx) error {
		ran++
		b := tx.Bucket(bucketSettings)
		if err := b.Put([]byte("color"), b.Get([]byte("colour"))); err != nil {
			return err
		}
		return b.Delete([]byte("colour"))
	})
	c = openTest(t, dir)
	if ran != 1 || schemaOf(t, c.db) != "2" {
		t.Errorf("migration ran %d times, schema now %q; want once, 2", ran, schemaOf(t, c.db))
	}
	if v, ok, _ := c.Setting("color"); !ok || v != "green" {
		t.Errorf("migrated setting %q, %v", v, ok)
	}
	if es, _ := c.List(); len(es) != 1 {
		t.Errorf("migration lost the model: %v", es)
	}
	closeTest(t, c)
	c = openTest(t, dir)
	if ran != 1 {
		t.Errorf("migration ran again on a migrated catalog")
	}
	closeTest(t, c)

	migrations = v1
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("version 1 code on a version 2 catalog: %v, want ErrNewerSchema", err)
	}
}

// TestFailedMigrationChangesNothing checks that a migration's error leaves
// the catalog at its version, and says which migration failed.
func TestFailedMigrationChangesNothing(t *testing.T) {
	dir := t.TempDir()
	c := openTest(t, dir)
	c.SetSetting("a", "1")
	closeTest(t, c)
	v1 := migrations
	t.Cleanup(func() { migrations = v1 })
	migrations = append(slices.Clip(v1), func(tx *bolt.Tx) error {
		tx.Bucket(bucketSettings).Put([]byte("a"), []byte("2"))
		return errors.New("disk on fire")
	})
	if _, err := Open(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "schema 1 to 2: disk on fire") {
		t.Fatalf("Open: %v, want the migration's error", err)
	}
	migrations = v1
	c = openTest(t, dir)
	if v, _, _ := c.Setting("a"); v != "1" || schemaOf(t, c.db) != "1" {
		t.Errorf("after a failed migration: setting %q, schema %q; want 1, 1", v, schemaOf(t, c.db))
	}
}
