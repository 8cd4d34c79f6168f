package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestSynthThenUse writes a small model of each family with the command and
// uses it as a user would: inspect, run, chat, bench.
func TestSynthThenUse(t *testing.T) {
	for _, tc := range []struct {
		spec, mix string
		arch      string
	}{
		{"arch=llama,tokenizer=spm,layers=2,embd=128,heads=4,kv_heads=2,ffn=256,vocab=600", "Q4_0", "llama"},
		{"arch=llama,tokenizer=bpe,layers=2,embd=256,heads=4,kv_heads=2,ffn=512,vocab=800", "q4_k_m", "llama"},
		{"arch=qwen2,layers=2,embd=128,heads=4,kv_heads=2,ffn=256,vocab=800", "Q8_0", "qwen2"},
	} {
		out := filepath.Join(t.TempDir(), "synth.gguf")
		stdout, _, err := run(t, "synth", "--shape", tc.spec, "--type", tc.mix, "--seed", "3", out)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, strings.ToUpper(tc.mix)) {
			t.Errorf("synth says %q", stdout)
		}

		stdout, _, err = run(t, "inspect", "--json", out)
		if err != nil {
			t.Fatal(err)
		}
		var in inspection
		if err := json.Unmarshal([]byte(stdout), &in); err != nil {
			t.Fatal(err)
		}
		if in.Architecture != tc.arch || in.FileType != strings.ToUpper(tc.mix) {
			t.Errorf("%s: inspect says arch %q, type %q", tc.spec, in.Architecture, in.FileType)
		}

		if _, _, err := run(t, "run", out, "--prompt", "Once upon a time", "-n", "4", "--temp", "0"); err != nil {
			t.Errorf("%s: run: %v", tc.spec, err)
		}

		var chatOut, chatErr bytes.Buffer
		o := chatOptions{path: out}
		o.gen.MaxTokens = 4
		if err := runChat(context.Background(), o, strings.NewReader("Hello!\n/bye\n"), &chatOut, &chatErr); err != nil {
			t.Errorf("%s: chat: %v (%s)", tc.spec, err, chatErr.String())
		}

		if _, _, err := run(t, "bench", out, "-p", "8", "-n", "2", "-r", "1"); err != nil {
			t.Errorf("%s: bench: %v", tc.spec, err)
		}
	}
}

func TestSynthErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"synth", "--shape", "gpt-5", filepath.Join(dir, "o.gguf")}, "tinyllama-1.1b"},
		{[]string{"synth", "--shape", "layers=2,wings=2", filepath.Join(dir, "o.gguf")}, "wings"},
		{[]string{"synth", "--shape", "layers=2", "--type", "Q9_X", filepath.Join(dir, "o.gguf")}, "Q4_K_M"},
		{[]string{"synth", "--shape", "layers=1,embd=64,heads=2,kv_heads=2,ffn=40,vocab=400", filepath.Join(dir, "o.gguf"), "--type", "Q4_0"}, "ffn_down"},
	} {
		_, _, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
	for _, args := range [][]string{{"synth", "out.gguf"}, {"synth", "--shape", "tinyllama-1.1b"}} {
		_, stderr, err := run(t, args...)
		if !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage") {
			t.Errorf("%q: err %v; want a usage error", args, err)
		}
	}
}
