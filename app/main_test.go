package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
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

func TestRunMatchesLlamaCppGreedy(t *testing.T) {
	prompt, err := os.ReadFile(refdata.Path(t, "logits/ts5m.prompt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(refdata.Path(t, "logits/ts5m-Q4_K_M.greedy.txt"))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := run(t, "run", refdata.Path(t, "models/ts5m-Q4_K_M.gguf"), "--prompt", string(prompt), "-n", "32", "--temp", "0")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(prompt)+string(want)+"\n" {
		t.Errorf("run printed %q, want the prompt and llama.cpp's continuation %q", stdout, want)
	}
	if !strings.Contains(stderr, "tokens/s") {
		t.Errorf("no speed on stderr: %q", stderr)
	}
}

func TestTokenize(t *testing.T) {
	var out bytes.Buffer
	if err := runTokenize(refdata.Path(t, "models/ts5m-F32.gguf"), "Once upon a time", true, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1 392 412 261 372\n" {
		t.Errorf("tokenize printed %q", out.String())
	}
}

func TestLogitsFileMatchesLlamaCpp(t *testing.T) {
	ids, err := os.ReadFile(refdata.Path(t, "logits/ts5m.tokens"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "l.bin")
	if _, _, err := run(t, "logits", refdata.Path(t, "models/ts5m-F32.gguf"), "--tokens", string(ids), "--out", out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(refdata.Path(t, "logits/ts5m-F32.logits.bin"))
	if len(got) != len(want) {
		t.Fatalf("wrote %d bytes, llama.cpp's file has %d", len(got), len(want))
	}
	var worst float64
	for i := 0; i < len(got); i += 4 {
		g := math.Float32frombits(binary.LittleEndian.Uint32(got[i:]))
		w := math.Float32frombits(binary.LittleEndian.Uint32(want[i:]))
		worst = max(worst, math.Abs(float64(g-w)))
	}
	if worst > 1e-3 {
		t.Errorf("max |Δlogit| %g vs llama.cpp, want ≤ 1e-3", worst)
	}
}

func TestChatSession(t *testing.T) {
	var out, errOut bytes.Buffer
	o := chatOptions{path: refdata.Path(t, "models/ts5m-F32.gguf")}
	o.gen.MaxTokens = 8
	in := strings.NewReader("Tell me a story.\n/clear\nAnother.\n/bye\n")
	if err := runChat(context.Background(), o, in, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), ">>> "); n != 4 {
		t.Errorf("%d prompts shown, want 4 (two messages, /clear, /bye):\n%s", n, out.String())
	}
	if !strings.Contains(errOut.String(), "new conversation") {
		t.Errorf("/clear not acknowledged: %q", errOut.String())
	}
}
