package hub

import (
	"errors"
	"strings"
	"testing"
)

func TestHasLevel(t *testing.T) {
	for _, tt := range []struct {
		name, level string
		want        bool
	}{
		{"model-q4_k_m.gguf", "Q4_K_M", true},
		{"model.Q4_K_M.gguf", "q4_k_m", true},
		{"model-Q4_K_M.gguf", "Q4_K", false},
		{"model-Q4_0_4_4.gguf", "Q4_0", false},
		{"model-IQ4_XS.gguf", "Q4_XS", false},
		{"model_Q8_0.gguf", "Q8_0", true},
		{"model-bf16.gguf", "F16", false},
	} {
		if got := hasLevel(tt.name, tt.level); got != tt.want {
			t.Errorf("hasLevel(%q, %q) = %v, want %v", tt.name, tt.level, got, tt.want)
		}
	}
}

func TestPickGGUF(t *testing.T) {
	qwen := []string{"README.md", "qwen2.5-0.5b-instruct-fp16.gguf", "qwen2.5-0.5b-instruct-q4_k_m.gguf", "qwen2.5-0.5b-instruct-q8_0.gguf"}
	for _, tc := range []struct {
		names        []string
		level        string
		want, errHas string
	}{
		{qwen, "Q8_0", "qwen2.5-0.5b-instruct-q8_0.gguf", ""},
		{qwen, "", "qwen2.5-0.5b-instruct-q4_k_m.gguf", ""},
		{qwen, "F16", "qwen2.5-0.5b-instruct-fp16.gguf", ""},
		{qwen, "Q5_K_M", "", "no .gguf file at level Q5_K_M; the repo's files:\n  qwen2.5-0.5b-instruct-fp16.gguf"},
		{[]string{"a-f16.gguf", "a-bf16.gguf"}, "F16", "a-f16.gguf", ""},
		{[]string{"only.gguf", "config.json"}, "", "only.gguf", ""},
		{[]string{"a-Q4_0.gguf", "b-Q4_0.gguf"}, "Q4_0", "", "several .gguf files at level Q4_0"},
		{[]string{"model.safetensors"}, "", "", "no .gguf file"},
	} {
		got, err := PickGGUF(tc.names, tc.level)
		if got != tc.want || (err == nil) != (tc.errHas == "") || err != nil && !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("PickGGUF(%q, %q) = %q, %v; want %q, error with %q", tc.names, tc.level, got, err, tc.want, tc.errHas)
		}
		if strings.Contains(tc.errHas, "at level Q5_K_M") && !errors.Is(err, ErrNoLevel) {
			t.Errorf("PickGGUF(%q, %q): %v is not ErrNoLevel", tc.names, tc.level, err)
		}
	}
}
