package quant

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// BenchmarkQuantizeFile measures whole-file conversions with all cores:
// the shared F16 model, and a random-weight F16 model of TinyLlama-1.1B's
// shape (written once to the temp folder, 2.2 GB; skipped under -short) to
// compare with llama-quantize's timings on the same machine. MB/s is input.
func BenchmarkQuantizeFile(b *testing.B) {
	inputs := []struct{ name, path string }{{"ts5m-F16", refdata.Path(b, "models/ts5m-F16.gguf")}}
	if !testing.Short() {
		inputs = append(inputs, struct{ name, path string }{"tinyllama-1.1b-F16", tinyLlamaF16(b)})
	}
	for _, in := range inputs {
		for _, name := range []string{"Q8_0", "Q4_0", "Q4_K_M", "Q2_K"} {
			m, err := LookupMix(name)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(in.name+"/"+name, func(b *testing.B) {
				st, _ := os.Stat(in.path)
				b.SetBytes(st.Size())
				out := filepath.Join(b.TempDir(), "out.gguf")
				for b.Loop() {
					if _, err := QuantizeFile(context.Background(), in.path, out, Options{Mix: m}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// tinyLlamaF16 returns the path of a random-weight F16 GGUF with
// TinyLlama-1.1B's tensor shapes (22 layers, 2048 wide, 32 heads, 4 KV heads,
// FFN 5632, vocab 32000), writing it on first use. Weights are N(0, 0.02²).
func tinyLlamaF16(b *testing.B) string {
	path := filepath.Join(os.TempDir(), "nibble-bench-tinyllama-1.1b-F16.gguf")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	const (
		embd, ff, vocab, layers, heads, kvHeads = 2048, 5632, 32000, 22, 32, 4
		kvDim                                   = embd / heads * kvHeads
	)
	w, err := gguf.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	for _, kv := range []struct {
		key string
		v   gguf.Value
	}{
		{"general.architecture", gguf.String("llama")},
		{"general.name", gguf.String("random TinyLlama-1.1B shape")},
		{"llama.block_count", gguf.Uint32(layers)},
		{"llama.context_length", gguf.Uint32(2048)},
		{"llama.embedding_length", gguf.Uint32(embd)},
		{"llama.feed_forward_length", gguf.Uint32(ff)},
		{"llama.attention.head_count", gguf.Uint32(heads)},
		{"llama.attention.head_count_kv", gguf.Uint32(kvHeads)},
		{"general.file_type", gguf.Uint32(1)},
	} {
		if err := w.SetKV(kv.key, kv.v); err != nil {
			b.Fatal(err)
		}
	}
	type tensor struct {
		name string
		dims []uint64
	}
	tensors := []tensor{{"token_embd.weight", []uint64{embd, vocab}}}
	for l := range layers {
		p := fmt.Sprintf("blk.%d.", l)
		tensors = append(tensors,
			tensor{p + "attn_norm.weight", []uint64{embd}},
			tensor{p + "attn_q.weight", []uint64{embd, embd}},
			tensor{p + "attn_k.weight", []uint64{embd, kvDim}},
			tensor{p + "attn_v.weight", []uint64{embd, kvDim}},
			tensor{p + "attn_output.weight", []uint64{embd, embd}},
			tensor{p + "ffn_norm.weight", []uint64{embd}},
			tensor{p + "ffn_gate.weight", []uint64{embd, ff}},
			tensor{p + "ffn_up.weight", []uint64{embd, ff}},
			tensor{p + "ffn_down.weight", []uint64{ff, embd}},
		)
	}
	tensors = append(tensors, tensor{"output_norm.weight", []uint64{embd}}, tensor{"output.weight", []uint64{embd, vocab}})
	typeOf := func(t tensor) gguf.Type {
		if len(t.dims) == 1 {
			return gguf.F32
		}
		return gguf.F16
	}
	for _, t := range tensors {
		if err := w.AddTensor(t.name, typeOf(t), t.dims); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, t := range tensors {
		n := 1
		for _, d := range t.dims {
			n *= int(d)
		}
		var data []byte
		if typeOf(t) == gguf.F32 {
			data = make([]byte, 4*n)
			x := f32View(data)
			for i := range x {
				x[i] = 1
			}
		} else {
			data = make([]byte, 2*n)
			for i := 0; i < n; i++ {
				h := FP32ToFP16(float32(rng.NormFloat64() * 0.02))
				data[2*i], data[2*i+1] = byte(h), byte(h>>8)
			}
		}
		if err := w.WriteTensor(t.name, data); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
	return path
}
