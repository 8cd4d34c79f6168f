// Package refdata locates the reference data made with llama.cpp that tests
// compare against: the folder ../shared/testdata beside the repository (see
// its README.md). Tests only; nothing in the product imports it.
package refdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of the shared test data folder, or skips the
// test with a message saying where it was looked for when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := find()
	if err != nil {
		t.Skipf("shared test data not found (%v): expected ../shared/testdata beside the repository", err)
	}
	return dir
}

// Path returns the path of a file in the shared test data folder (rel uses
// forward slashes, e.g. "models/ts5m-F32.gguf"), skipping the test when the
// folder is absent and failing it when the folder is there but the file is not.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data file missing: %v", err)
	}
	return p
}

// find walks up from the working directory to the module root (the folder
// holding go.mod) and returns ../shared/testdata relative to it.
func find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "testdata")
	if _, err := os.Stat(filepath.Join(data, "README.md")); err != nil {
		return "", err
	}
	return filepath.Abs(data)
}
