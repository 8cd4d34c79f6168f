package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"nibble/engine/refdata"
)

// refPrinted returns the line llama-perplexity printed for a ts5m type at
// context 128 on heldout-a (text/reference.json).
func refPrinted(t *testing.T, typ string) string {
	t.Helper()
	b, err := os.ReadFile(refdata.Path(t, "text/reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Perplexity map[string]map[string]struct{ Printed string } `json:"perplexity"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Perplexity["c128"][typ].Printed
}

// TestPerplexityCommand prints llama-perplexity's final line, digit for
// digit, after the running perplexity of each chunk.
func TestPerplexityCommand(t *testing.T) {
	stdout, _, err := run(t, "perplexity", refdata.Path(t, "models/ts5m-Q4_K_M.gguf"),
		"--text-file", refdata.Path(t, "text/heldout-a.txt"), "--ctx", "128")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[1]", "[86]30.4852,", "86 chunks of 128 tokens, 5418 tokens scored", refPrinted(t, "Q4_K_M")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestPerplexityJSON: the default context is the model's training context
// (256 for ts5m, shorter than 512), --chunks limits the chunks.
func TestPerplexityJSON(t *testing.T) {
	stdout, _, err := run(t, "perplexity", refdata.Path(t, "models/ts5m-F32.gguf"),
		"--text-file", refdata.Path(t, "text/heldout-a.txt"), "--chunks", "5", "--json", "--threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if r["ctx"] != 256.0 || r["chunks"] != 5.0 || r["tokens_scored"] != 5.0*127 {
		t.Errorf("ctx %v, chunks %v, tokens_scored %v; want 256, 5, 635", r["ctx"], r["chunks"], r["tokens_scored"])
	}
	ppl, _ := r["ppl"].(float64)
	e, _ := r["ppl_error"].(float64)
	if !(ppl > 10 && ppl < 100) || !(e > 0 && e < ppl) {
		t.Errorf("ppl %v ± %v", r["ppl"], r["ppl_error"])
	}
	if r["model"] == "" || r["text_file"] == "" {
		t.Errorf("JSON does not say what was measured: %s", stdout)
	}
}

func TestPerplexityErrors(t *testing.T) {
	model := refdata.Path(t, "models/ts5m-F32.gguf")
	text := refdata.Path(t, "text/heldout-a.txt")
	for _, args := range [][]string{
		{"perplexity", model},
		{"perplexity", "--text-file", text},
		{"kld", model, "--text-file", text},
		{"kld", model, model},
		{"kld", model, model, "--text-file", text, "--prompts", "-1"},
		{"kld", model, model, "--text-file", text, "--generate", "0"},
	} {
		_, stderr, err := run(t, args...)
		if !errors.Is(err, errUsage) || !strings.Contains(stderr, "Usage") {
			t.Errorf("%q: err %v, stderr %q; want a usage error", args, err, stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"perplexity", model, "--text-file", "/nonexistent.txt"}, "nonexistent.txt"},
		{[]string{"perplexity", model, "--text-file", text, "--ctx", "4"}, "too short"},
		{[]string{"kld", model, refdata.Path(t, "models/stories260K-f32.gguf"), "--text-file", text, "--chunks", "1"}, "different vocabularies"},
	} {
		if _, _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}
