package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/refdata"
)

func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = dispatch(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _, err := run(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(out, "  "+c.name+" ") {
			t.Errorf("help does not list %q:\n%s", c.name, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"quantize", "only-one.gguf", "--type", "Q4_0"},
		{"quantize", "in.gguf", "out.gguf"},
		{"inspect"},
	} {
		_, stderr, err := run(t, args...)
		if !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage") {
			t.Errorf("%q: err %v, stderr %q; want a usage error", args, err, stderr)
		}
	}
}

func TestQuantizeErrorsArePlain(t *testing.T) {
	dir := t.TempDir()
	notModel := filepath.Join(dir, "notes.gguf")
	os.WriteFile(notModel, []byte("these are my notes, not a model"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"quantize", filepath.Join(dir, "missing.gguf"), filepath.Join(dir, "o.gguf"), "--type", "Q4_0"}, "no such file"},
		{[]string{"quantize", notModel, filepath.Join(dir, "o.gguf"), "--type", "Q4_0"}, "not a GGUF"},
		{[]string{"quantize", notModel, filepath.Join(dir, "o.gguf"), "--type", "Q9_X"}, "Q4_K_M"},
	} {
		_, _, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

// TestQuantizeThenInspect runs the two commands as a user would: quantize the
// shared F32 model, then inspect the result as JSON.
func TestQuantizeThenInspect(t *testing.T) {
	src := refdata.Path(t, "models/ts5m-F32.gguf")
	out := filepath.Join(t.TempDir(), "ts5m-Q4_K_M.gguf")
	stdout, _, err := run(t, "quantize", src, out, "--type", "q4_k_m", "--threads", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "Q4_K_M") {
		t.Errorf("quantize output does not name the level: %q", stdout)
	}
	stdout, _, err = run(t, "inspect", "--json", out)
	if err != nil {
		t.Fatal(err)
	}
	var in inspection
	if err := json.Unmarshal([]byte(stdout), &in); err != nil {
		t.Fatalf("inspect --json is not JSON: %v", err)
	}
	if in.Architecture != "llama" || in.FileType != "Q4_K_M" || in.Parameters != 5770496 ||
		in.ContextLength != 256 || len(in.Tensors) != 57 {
		t.Errorf("inspect says arch %q, type %q, %d params, ctx %d, %d tensors; want llama, Q4_K_M, 5770496, 256, 57",
			in.Architecture, in.FileType, in.Parameters, in.ContextLength, len(in.Tensors))
	}
	if in.TypeCounts["Q6_K"] != 5 || in.TypeCounts["Q4_K"] != 39 || in.TypeCounts["F32"] != 13 {
		t.Errorf("tensor types %v, want 5 Q6_K, 39 Q4_K, 13 F32", in.TypeCounts)
	}
	text, _, err := run(t, "inspect", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"architecture:  llama", "tokenizer.ggml.tokens", "(2048 elements)", "blk.0.attn_q.weight"} {
		if !strings.Contains(text, want) {
			t.Errorf("inspect text lacks %q", want)
		}
	}
}
