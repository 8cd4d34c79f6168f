package hfconvert

import "testing"

// TestModelID checks the reading of model ids against gguf-py's
// Metadata.get_model_id_components (c392e50), whose output for these ids
// is the table.
func TestModelID(t *testing.T) {
	for _, tc := range []struct {
		id     string
		params uint64
		want   idParts
	}{
		{"ts5m", 5770496, idParts{name: "ts5m"}},
		{"Llama-3.2-1B-Instruct", 1235814400, idParts{name: "Llama-3.2-1B-Instruct", basename: "Llama-3.2", sizeLabel: "1B", finetune: "Instruct"}},
		{"meta-llama/Meta-Llama-3-8B-Instruct", 8030261248, idParts{name: "Meta-Llama-3-8B-Instruct", org: "meta-llama", basename: "Meta-Llama-3", sizeLabel: "8B", finetune: "Instruct"}},
		{"TinyLlama-1.1B-Chat-v1.0", 1100048384, idParts{name: "TinyLlama-1.1B-Chat-v1.0", basename: "TinyLlama", sizeLabel: "1.1B", finetune: "Chat", version: "v1.0"}},
		{"Qwen2.5-0.5B-Instruct", 494032768, idParts{name: "Qwen2.5-0.5B-Instruct", basename: "Qwen2.5", sizeLabel: "0.5B", finetune: "Instruct"}},
		{"Mistral-7B-Instruct-v0.3", 7248023552, idParts{name: "Mistral-7B-Instruct-v0.3", basename: "Mistral", sizeLabel: "7B", finetune: "Instruct", version: "v0.3"}},
		{"bloom-7b1", 7069016064, idParts{name: "bloom-7b1", basename: "bloom", sizeLabel: "7.1B"}},
		{"./models", 100, idParts{name: "models"}},
		{"My Model", 100, idParts{name: "My Model"}},
	} {
		if got := modelID(tc.id, tc.params); got != tc.want {
			t.Errorf("modelID(%q)\n got %+v\nwant %+v", tc.id, got, tc.want)
		}
	}
}

func TestTitleAndSize(t *testing.T) {
	for in, want := range map[string]string{
		"ts5m": "Ts5M", "Llama-3.2-1B-Instruct": "Llama 3.2 1B Instruct", "meta-llama": "Meta Llama",
		"qwen2.5-0.5b-instruct": "Qwen2.5 0.5b Instruct", "tinyllama-v1.0": "Tinyllama v1.0",
	} {
		if got := titleID(in); got != want {
			t.Errorf("titleID(%q) = %q, want %q", in, got, want)
		}
	}
	for n, want := range map[uint64]string{5770496: "5.8M", 1235814400: "1.2B", 494032768: "494M", 16986: "17K",
		7241732096: "7.2B", 999: "1.0K", 135000000: "135M"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
}
