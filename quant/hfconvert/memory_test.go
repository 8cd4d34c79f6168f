package hfconvert

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"nibble/engine/hw"
	"nibble/engine/refdata"
	"nibble/engine/synth"
)

// TestConvertMemory converts a random-weight HF folder of a real 1B shape
// (llama-3.2-1b: 2.5 GB of BF16 in two shards) and checks that the peak
// resident memory stays well under the model's size. It writes ~5 GB to the
// temporary folder, so it runs only when asked:
//
//	NIBBLE_HF_MEMORY=F16 go test -run ConvertMemory -v ./quant/hfconvert
//
// (any --type; run one type per process, the peak is the process's).
func TestConvertMemory(t *testing.T) {
	typ := os.Getenv("NIBBLE_HF_MEMORY")
	if testing.Short() || typ == "" {
		t.Skip("set NIBBLE_HF_MEMORY=F16 (or another type) to measure a 1B conversion's memory")
	}
	shape, err := synth.ParseShape("llama-3.2-1b")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "Synthetic-Llama-3.2-1B")
	size := writeRandomModel(t, dir, shape)
	out := filepath.Join(t.TempDir(), "out.gguf")
	before, _ := hw.PeakRSS()
	res, err := Convert(context.Background(), dir, out, Options{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	peak, err := hw.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d parameters, %d MB of safetensors → %s %d MB in %v; peak RSS %d MB (%d MB before converting)",
		shape.Name, res.Params, size>>20, res.Type, res.OutputBytes>>20, res.Elapsed, peak>>20, before>>20)
	if peak > uint64(size)/2 {
		t.Errorf("peak RSS %d MB is over half the model's %d MB", peak>>20, size>>20)
	}
}

// writeRandomModel writes an HF folder of shape s with Gaussian BF16
// weights in two shards, streaming (nothing large is held in memory), plus
// config.json and the ts5m tokenizer files. It returns the weights' bytes.
func writeRandomModel(t *testing.T, dir string, s synth.Shape) int64 {
	src := refdata.Path(t, "hf/ts5m")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tokenizer.model", "tokenizer_config.json", "generation_config.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	hd := s.HeadDim()
	cfg := map[string]any{"architectures": []string{"LlamaForCausalLM"}, "hidden_size": s.Embd,
		"intermediate_size": s.FFN, "num_hidden_layers": s.Layers, "num_attention_heads": s.Heads,
		"num_key_value_heads": s.KVHeads, "rms_norm_eps": s.RMSEps, "rope_theta": s.RopeBase,
		"max_position_embeddings": s.Context, "vocab_size": s.Vocab, "tie_word_embeddings": s.Tied}
	b, _ := json.Marshal(cfg)
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)

	type spec struct {
		name  string
		shape []uint64
	}
	layer := func(i int) []spec {
		p := fmt.Sprintf("model.layers.%d.", i)
		e, f, q, kv := uint64(s.Embd), uint64(s.FFN), uint64(s.Heads*hd), uint64(s.KVHeads*hd)
		return []spec{{p + "input_layernorm.weight", []uint64{e}}, {p + "self_attn.q_proj.weight", []uint64{q, e}},
			{p + "self_attn.k_proj.weight", []uint64{kv, e}}, {p + "self_attn.v_proj.weight", []uint64{kv, e}},
			{p + "self_attn.o_proj.weight", []uint64{e, q}}, {p + "post_attention_layernorm.weight", []uint64{e}},
			{p + "mlp.gate_proj.weight", []uint64{f, e}}, {p + "mlp.up_proj.weight", []uint64{f, e}},
			{p + "mlp.down_proj.weight", []uint64{e, f}}}
	}
	shards := [2][]spec{{{"model.embed_tokens.weight", []uint64{uint64(s.Vocab), uint64(s.Embd)}}}, nil}
	for i := range s.Layers {
		shards[i*2/s.Layers] = append(shards[i*2/s.Layers], layer(i)...)
	}
	shards[1] = append(shards[1], spec{"model.norm.weight", []uint64{uint64(s.Embd)}})

	rng := rand.New(rand.NewPCG(1, 2))
	weightMap := map[string]string{}
	var total int64
	for k, list := range shards {
		name := fmt.Sprintf("model-%05d-of-00002.safetensors", k+1)
		header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
		var off uint64
		for _, sp := range list {
			n := uint64(2)
			for _, d := range sp.shape {
				n *= d
			}
			header[sp.name] = map[string]any{"dtype": "BF16", "shape": sp.shape, "data_offsets": []uint64{off, off + n}}
			weightMap[sp.name] = name
			off += n
		}
		h, _ := json.Marshal(header)
		fd, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(fd, 1<<20)
		binary.Write(w, binary.LittleEndian, uint64(len(h)))
		w.Write(h)
		// Go's JSON encoder sorts keys, and offsets were given in list
		// order; the reader does not care about the order of the data.
		for _, sp := range list {
			n := uint64(1)
			for _, d := range sp.shape {
				n *= d
			}
			var buf [2]byte
			for range n {
				binary.LittleEndian.PutUint16(buf[:], bf16(float32(rng.NormFloat64()*0.02)))
				w.Write(buf[:])
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		fd.Close()
		total += int64(off)
	}
	b, _ = json.Marshal(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap})
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), b, 0o644)
	return total
}

// bf16 truncates to BF16: the weights are random, rounding does not matter.
func bf16(f float32) uint16 {
	return uint16(math.Float32bits(f) >> 16)
}
