package catalog

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"nibble/engine/gguf"
)

// childEnv, when set, makes the test binary a child process of a test
// instead of running the tests: "writer DIR" (kill_test.go) or "open DIR"
// (db_test.go).
const childEnv = "NIBBLE_CATALOG_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// openTest opens a catalog in dir (a new temporary folder if ""), closed at
// the end of the test after bbolt's consistency check.
func openTest(t *testing.T, dir string) *Catalog {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.closing.Err() == nil { // not closed by the test
			closeTest(t, c)
		}
	})
	return c
}

// closeTest runs bbolt's consistency check on c, then closes it.
func closeTest(t testing.TB, c *Catalog) {
	t.Helper()
	checkDB(t, c.db)
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

// checkDB reports every inconsistency bbolt's Tx.Check finds in db. It
// checks in a write transaction, the only kind bbolt allows to check while
// other goroutines (background hashing) may write.
func checkDB(t testing.TB, db *bolt.DB) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check of %s: %v", db.Path(), err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// testModel describes a small GGUF model file for the tests.
type testModel struct {
	name     string // general.name; none if ""
	arch     string // general.architecture; none if ""
	fileType int    // general.file_type; none if < 0
	elems    int    // elements of its one F32 tensor
	ctx      uint64 // ARCH.context_length; none if 0
	license  string // general.license; none if ""
	split    int    // split.count; none if 0
	seed     uint64 // makes the tensor's bytes differ between files
}

// tinyLlama is a model at level Q4_K_M (file type 15) of 1000 parameters.
var tinyLlama = testModel{name: "Tiny Llama 1B", arch: "llama", fileType: 15, elems: 1000, ctx: 2048, license: "apache-2.0"}

// writeModel writes m as a GGUF file at path with engine/gguf's writer and
// returns the file's SHA-256 in hex.
func writeModel(t testing.TB, path string, m testModel) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := gguf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	set := func(k string, v gguf.Value) {
		if err := w.SetKV(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if m.arch != "" {
		set("general.architecture", gguf.String(m.arch))
	}
	if m.name != "" {
		set("general.name", gguf.String(m.name))
	}
	if m.fileType >= 0 {
		set("general.file_type", gguf.Uint32(uint32(m.fileType)))
	}
	if m.license != "" {
		set("general.license", gguf.String(m.license))
	}
	if m.ctx != 0 {
		set(m.arch+".context_length", gguf.Uint32(uint32(m.ctx)))
	}
	if m.split != 0 {
		set("split.count", gguf.Uint16(uint16(m.split)))
	}
	if err := w.AddTensor("token_embd.weight", gguf.F32, []uint64{uint64(m.elems)}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 4*m.elems)
	r := rand.New(rand.NewPCG(m.seed, uint64(m.elems)))
	for i := 0; i+8 <= len(data); i += 8 {
		binary.LittleEndian.PutUint64(data[i:], r.Uint64())
	}
	if err := w.WriteTensor("token_embd.weight", data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return fileHash(t, path)
}

func fileHash(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// runChild runs the child process a test asked for and returns its exit
// code.
func runChild(spec string) int {
	mode, dir, _ := strings.Cut(spec, " ")
	switch mode {
	case "writer":
		return writerChild(dir)
	case "open":
		return openChild(dir)
	}
	fmt.Fprintln(os.Stderr, "unknown child mode:", mode)
	return 2
}
