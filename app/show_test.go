package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestShow(t *testing.T) {
	catalogHome(t)
	src := filepath.Join(t.TempDir(), "tiny.gguf")
	writeTestModel(t, src, "Tiny Model", 15)
	if _, _, err := run(t, "import", src); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "show", "tiny-model")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"name:          tiny-model", "display name:  Tiny Model", "architecture:  llama",
		"parameters:    256 (256)", "context:       512 tokens", "source:        " + src,
		"tiny-model:Q4_K_M", "file:        " + src + " (your file)", "sha256:      ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := run(t, "show", "tiny-model:Q8_0"); err == nil || !strings.Contains(err.Error(), "not in the catalog") {
		t.Errorf("show of a missing variant: %v", err)
	}
}
