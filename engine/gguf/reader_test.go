package gguf

import (
	"testing"

	"nibble/engine/refdata"
)

func TestOpenReal(t *testing.T) {
	tests := []struct {
		rel      string
		tensors  int
		params   uint64
		fileType uint64
		types    map[Type]int // tensors per type
	}{
		{"models/ts5m-F32.gguf", 57, 5770496, 0, map[Type]int{F32: 57}},
		{"models/ts5m-Q4_K_M.gguf", 57, 5770496, 15, map[Type]int{F32: 13, Q4_K: 39, Q6_K: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			f, err := Open(refdata.Path(t, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Version != 3 || f.Alignment != 32 {
				t.Errorf("version %d alignment %d, want 3 and 32", f.Version, f.Alignment)
			}
			if len(f.Tensors) != tc.tensors {
				t.Errorf("%d tensors, want %d", len(f.Tensors), tc.tensors)
			}
			if got := f.ParamCount(); got != tc.params {
				t.Errorf("ParamCount %d, want %d", got, tc.params)
			}
			if got := f.Architecture(); got != "llama" {
				t.Errorf("Architecture %q, want llama", got)
			}
			if got, ok := f.Uint("general.file_type"); !ok || got != tc.fileType {
				t.Errorf("general.file_type %d %v, want %d", got, ok, tc.fileType)
			}
			if got, ok := f.Uint("llama.embedding_length"); !ok || got != 256 {
				t.Errorf("llama.embedding_length %d %v, want 256", got, ok)
			}
			if got, ok := f.Float("llama.attention.layer_norm_rms_epsilon"); !ok || got != float64(float32(1e-5)) {
				t.Errorf("rms epsilon %v %v, want 1e-5", got, ok)
			}
			if toks, ok := f.Strings("tokenizer.ggml.tokens"); !ok || len(toks) != 2048 || toks[1] != "<s>" {
				t.Errorf("tokenizer.ggml.tokens: %d tokens, ok %v", len(toks), ok)
			}
			types := map[Type]int{}
			var end uint64
			for _, ti := range f.Tensors {
				types[ti.Type]++
				if got := uint64(len(f.TensorData(ti))); got != ti.Bytes() {
					t.Errorf("%s: %d data bytes, want %d", ti.Name, got, ti.Bytes())
				}
				end = max(end, ti.Offset+ti.Bytes())
				if got, ok := f.Tensor(ti.Name); !ok || got.Offset != ti.Offset {
					t.Errorf("Tensor(%q) = %v, %v", ti.Name, got, ok)
				}
			}
			for typ, n := range tc.types {
				if types[typ] != n {
					t.Errorf("%d tensors of type %v, want %d", types[typ], typ, n)
				}
			}
			emb, _ := f.Tensor("token_embd.weight")
			if len(emb.Dims) != 2 || emb.Dims[0] != 256 || emb.Dims[1] != 2048 || emb.Rows() != 2048 {
				t.Errorf("token_embd.weight dims %v rows %d, want [256 2048] and 2048", emb.Dims, emb.Rows())
			}
			if padded := (f.DataOffset + end + 31) / 32 * 32; padded != uint64(len(f.data)) {
				t.Errorf("data ends at %d (padded %d), file is %d bytes", f.DataOffset+end, padded, len(f.data))
			}
		})
	}
}

func TestOpenVocab(t *testing.T) {
	f, err := Open(refdata.Path(t, "vocab/ggml-vocab-gpt-2.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Tensors) != 0 {
		t.Errorf("%d tensors, want 0", len(f.Tensors))
	}
	toks, ok := f.Strings("tokenizer.ggml.tokens")
	if !ok || len(toks) != 50257 || toks[0] != "!" {
		t.Errorf("tokenizer.ggml.tokens: %d tokens, ok %v", len(toks), ok)
	}
	if model, _ := f.String("tokenizer.ggml.model"); model != "gpt2" {
		t.Errorf("tokenizer.ggml.model %q, want gpt2", model)
	}
	merges, ok := f.Strings("tokenizer.ggml.merges")
	if !ok || len(merges) == 0 {
		t.Errorf("tokenizer.ggml.merges: %d, ok %v", len(merges), ok)
	}
}
