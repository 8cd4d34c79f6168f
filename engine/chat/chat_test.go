package chat

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// The conversation of every golden file (see testdata/README.md).
var (
	system = Message{Role: "system", Content: "You are a helpful assistant."}
	turns  = []Message{
		{Role: "user", Content: "Hello! Who are you?"},
		{Role: "assistant", Content: "I am Nibble, a model running on your computer.\n"},
		{Role: "user", Content: "What can you do? Réponds en français."},
	}
	withSystem = append([]Message{system}, turns...)
	// goldenNow is the time the golden files were rendered with.
	goldenNow = time.Date(2025, 2, 20, 9, 30, 0, 0, time.UTC)
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sharedTemplate returns the chat_template of a tokenizer_config.json in the
// shared test data.
func sharedTemplate(t *testing.T, rel string) string {
	t.Helper()
	var cfg struct {
		ChatTemplate string `json:"chat_template"`
	}
	if err := json.Unmarshal([]byte(readFile(t, refdata.Path(t, rel))), &cfg); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if cfg.ChatTemplate == "" {
		t.Fatalf("%s has no chat_template", rel)
	}
	return cfg.ChatTemplate
}

func TestRenderRealTemplates(t *testing.T) {
	tests := []struct {
		name     string
		bos, eos string
		msgs     []Message
	}{
		{"chatml", "<s>", "<|im_end|>", withSystem},
		{"gemma-2", "<bos>", "<eos>", turns}, // refuses a system turn, see TestRefused
		{"llama-2", "<s>", "</s>", withSystem},
		{"llama-3", "<|begin_of_text|>", "<|eot_id|>", withSystem},
		{"llama-3.1", "<|begin_of_text|>", "<|eot_id|>", withSystem},
		{"llama-3.2", "<|begin_of_text|>", "<|eot_id|>", withSystem},
		{"mistral-v0.1", "<s>", "</s>", withSystem},
		{"mistral-v0.3", "<s>", "</s>", withSystem},
		{"phi-3", "<s>", "<|endoftext|>", withSystem},
		{"phi-3.5", "<s>", "<|endoftext|>", withSystem},
		{"qwen2.5", "", "<|im_end|>", withSystem},
		{"zephyr", "<s>", "</s>", withSystem},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(readFile(t, filepath.Join("testdata", tc.name+".jinja")))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Render(tc.msgs, Options{AddGenerationPrompt: true, BOS: tc.bos, EOS: tc.eos, Now: goldenNow})
			if err != nil {
				t.Fatal(err)
			}
			if want := readFile(t, filepath.Join("testdata", tc.name+".txt")); got != want {
				t.Errorf("rendered\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestRenderSharedTemplates(t *testing.T) {
	tests := []struct {
		name, config string
		bos, eos     string
	}{
		{"shared-ts5m", "hf/ts5m/tokenizer_config.json", "<s>", "</s>"},
		{"shared-llama3", "hf-tokenizers/llama3/tokenizer_config.json", "<|begin_of_text|>", "<|end_of_text|>"},
		{"shared-qwen3", "hf-tokenizers/qwen3/tokenizer_config.json", "", "<|im_end|>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(sharedTemplate(t, tc.config))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Render(withSystem, Options{AddGenerationPrompt: true, BOS: tc.bos, EOS: tc.eos})
			if err != nil {
				t.Fatal(err)
			}
			if want := readFile(t, filepath.Join("testdata", tc.name+".txt")); got != want {
				t.Errorf("rendered\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	tests := []struct {
		template   string
		msgs       []Message
		wantReason string
	}{
		{"gemma-2", withSystem, "System role not supported"},
		{"mistral-v0.1", []Message{turns[0], turns[2]}, "After the optional system message, conversation roles must alternate user/assistant/user/assistant/..."},
		{"mistral-v0.3", []Message{system, turns[1]}, "After the optional system message, conversation roles must alternate user/assistant/user/assistant/..."},
		{"llama-2", []Message{turns[1]}, "Conversation roles must alternate user/assistant/user/assistant/..."},
	}
	for _, tc := range tests {
		t.Run(tc.template, func(t *testing.T) {
			tmpl, err := Parse(readFile(t, filepath.Join("testdata", tc.template+".jinja")))
			if err != nil {
				t.Fatal(err)
			}
			out, err := tmpl.Render(tc.msgs, Options{AddGenerationPrompt: true, BOS: "<s>", EOS: "</s>"})
			var refused *RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("got %q, %v; want a *RefusedError", out, err)
			}
			if refused.Reason != tc.wantReason {
				t.Errorf("reason %q, want %q", refused.Reason, tc.wantReason)
			}
			if want := "the chat template refused this conversation: " + tc.wantReason; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
		})
	}
}

func TestRenderOptions(t *testing.T) {
	tests := []struct {
		name   string
		source string
		msgs   []Message
		opts   Options
		want   string
	}{
		{
			name:   "no generation prompt",
			source: readFile(t, "testdata/chatml.jinja"),
			msgs:   []Message{{Role: "user", Content: "Hi"}},
			want:   "<|im_start|>user\nHi<|im_end|>\n",
		},
		{
			name:   "bos and eos",
			source: "{{ bos_token }}|{{ eos_token }}",
			opts:   Options{BOS: "<s>", EOS: "</s>"},
			want:   "<s>|</s>",
		},
		{
			// transformers passes tools=None: defined, and none.
			name:   "tools is none",
			source: "{{ tools is defined }} {{ tools is none }}",
			want:   "True True",
		},
		{
			name:   "strftime_now",
			source: `{{ strftime_now("%d %b %Y") }}|{{ strftime_now("%Y-%m-%d %H:%M:%S %A %B %y %I%p 100%% %Q") }}`,
			opts:   Options{Now: time.Date(2024, 7, 6, 15, 4, 5, 0, time.UTC)},
			want:   "06 Jul 2024|2024-07-06 15:04:05 Saturday July 24 03PM 100% %Q",
		},
		{
			// Python's dicts keep insertion order and templates print or
			// iterate messages: role comes first, as in OpenAI messages.
			name:   "message key order",
			source: "{% for k, v in messages[0].items() %}{{ k }}={{ v }};{% endfor %}{{ messages[0] | tojson }}",
			msgs:   []Message{{Role: "user", Content: "Hé \"you\""}},
			want:   `role=user;content=Hé "you";{"role": "user", "content": "Hé \"you\""}`,
		},
		{
			// Jinja2 drops one newline at the end of a template.
			name:   "trailing newline",
			source: "x\n\n",
			want:   "x\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(tc.source)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Render(tc.msgs, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStrftimeNowDefaultsToNow(t *testing.T) {
	tmpl, err := Parse(`{{ strftime_now("%Y-%m-%d") }}`)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Format("2006-01-02")
	got, err := tmpl.Render(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().Format("2006-01-02")
	if got != before && got != after {
		t.Errorf("got %q, want today (%s)", got, before)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Parse("{% if messages %}unclosed"); err == nil || !strings.HasPrefix(err.Error(), "parse chat template: ") {
		t.Errorf("Parse of an unclosed if: got %v, want a parse chat template error", err)
	}
	tmpl, err := Parse("{{ nosuchfunction() }}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.Render(nil, Options{})
	var refused *RefusedError
	if err == nil || errors.As(err, &refused) || !strings.HasPrefix(err.Error(), "render chat template: ") {
		t.Errorf("calling an undefined function: got %v, want a render chat template error", err)
	}
}

func TestLoad(t *testing.T) {
	// hf/ts5m-convert-BF16.gguf carries the TinyLlama/Zephyr template;
	// stories260K has none.
	withTemplate := refdata.Path(t, "hf/ts5m-convert-BF16.gguf")
	without := refdata.Path(t, "models/stories260K-f32.gguf")
	tests := []struct {
		name, model, override string
		bos, eos              string
		golden                string
	}{
		{"model template", withTemplate, "", "<s>", "</s>", "shared-ts5m"},
		{"no template falls back to ChatML", without, "", "<s>", "</s>", "chatml-default"},
		{"override wins", withTemplate, readFile(t, "testdata/chatml.jinja"), "<s>", "<|im_end|>", "chatml"},
		{"blank override ignored", withTemplate, " \n", "<s>", "</s>", "shared-ts5m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := gguf.Open(tc.model)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tmpl, err := Load(f, tc.override, tc.bos, tc.eos)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tmpl.Render(withSystem, Options{AddGenerationPrompt: true})
			if err != nil {
				t.Fatal(err)
			}
			if want := readFile(t, filepath.Join("testdata", tc.golden+".txt")); got != want {
				t.Errorf("rendered\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestFromGGUF(t *testing.T) {
	f, err := gguf.Open(refdata.Path(t, "hf/ts5m-convert-BF16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tmpl, err := FromGGUF(f, "<s>", "</s>")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render(withSystem, Options{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := readFile(t, "testdata/shared-ts5m.txt"); got != want {
		t.Errorf("rendered\n%q\nwant\n%q", got, want)
	}
	// Options' token texts win over the ones given to FromGGUF.
	got, err = tmpl.Render(turns[:1], Options{EOS: "<|eot|>"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|user|>\nHello! Who are you?<|eot|>\n"; got != want {
		t.Errorf("with EOS override got %q, want %q", got, want)
	}
}
