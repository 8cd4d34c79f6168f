package hfconvert

import (
	"fmt"

	"nibble/engine/gguf"
)

// arch is what the script's model class does for one Hugging Face
// architecture.
type arch struct {
	name    string // general.architecture
	llama   bool   // LlamaModel: Q/K permutation, vocab_size, rope dimensions, linear scaling, Llama 3 rope_freqs
	yarn    bool   // Qwen2Model: YaRN rope scaling keys
	qkNorms bool   // attn_q_norm / attn_k_norm tensors (Qwen3)
}

// archs are the supported config.json architectures and their classes.
var archs = map[string]arch{
	"LlamaForCausalLM":   {name: "llama", llama: true},
	"LLaMAForCausalLM":   {name: "llama", llama: true},
	"MistralForCausalLM": {name: "llama", llama: true},
	"Qwen2ForCausalLM":   {name: "qwen2", yarn: true},
	"Qwen3ForCausalLM":   {name: "qwen3", yarn: true, qkNorms: true},
}

// kvs collects metadata in the order the script adds it.
type kvs []gguf.KV

func (k *kvs) add(key string, v gguf.Value) { *k = append(*k, gguf.KV{Key: key, Value: v}) }

// hyperparameters returns the {arch}.* keys and general.file_type, as
// Model.set_gguf_parameters and the class's override write them.
func hyperparameters(c config, a arch, fileType uint32) (kvs, error) {
	var out kvs
	p := a.name + "."
	blocks, err := c.need("n_layers", "num_hidden_layers", "n_layer", "num_layers")
	if err != nil {
		return nil, err
	}
	out.add(p+"block_count", gguf.Uint32(blocks))

	// Optional counts: written when present, in the script's order.
	for _, o := range []struct {
		key  string
		from []string
	}{
		{"context_length", []string{"max_position_embeddings", "n_ctx"}},
		{"embedding_length", []string{"hidden_size", "n_embd"}},
		{"feed_forward_length", []string{"intermediate_size", "n_inner"}},
		{"attention.head_count", []string{"num_attention_heads", "n_head"}},
		{"attention.head_count_kv", []string{"num_key_value_heads"}},
	} {
		if err := addUint(&out, c, p+o.key, c.first(o.from...)); err != nil {
			return nil, err
		}
	}
	for _, o := range []struct{ key, from string }{
		{"rope.freq_base", "rope_theta"},
		{"attention.layer_norm_rms_epsilon", "rms_norm_eps"},
		{"attention.layer_norm_epsilon", c.first("layer_norm_eps", "layer_norm_epsilon", "norm_epsilon")},
	} {
		if err := addFloat(&out, c, p+o.key, o.from); err != nil {
			return nil, err
		}
	}
	for _, o := range []struct{ key, from string }{
		{"expert_count", "num_local_experts"},
		{"expert_used_count", "num_experts_per_tok"},
		{"attention.key_length", "head_dim"},
		{"attention.value_length", "head_dim"},
	} {
		if err := addUint(&out, c, p+o.key, o.from); err != nil {
			return nil, err
		}
	}
	out.add("general.file_type", gguf.Uint32(fileType))

	scaling := c.ropeScaling()
	_, hasFactor := scaling["factor"]
	if a.llama {
		vocab, err := c.need("vocab_size")
		if err != nil {
			return nil, err
		}
		out.add(p+"vocab_size", gguf.Uint32(vocab))
		ropeDims, err := headDim(c)
		if err != nil {
			return nil, err
		}
		out.add(p+"rope.dimension_count", gguf.Uint32(ropeDims))
		if hasFactor && scaling["type"] == "linear" {
			out.add(p+"rope.scaling.type", gguf.String("linear"))
			if err := addFloat(&out, config(scaling), p+"rope.scaling.factor", "factor"); err != nil {
				return nil, err
			}
		}
	}
	if a.yarn && hasFactor && scaling["type"] == "yarn" {
		out.add(p+"rope.scaling.type", gguf.String("yarn"))
		if err := addFloat(&out, config(scaling), p+"rope.scaling.factor", "factor"); err != nil {
			return nil, err
		}
		orig, err := config(scaling).need("original_max_position_embeddings")
		if err != nil {
			return nil, fmt.Errorf("rope_scaling: %w", err)
		}
		out.add(p+"rope.scaling.original_context_length", gguf.Uint32(orig))
	}
	return out, nil
}

// headDim returns head_dim, or hidden_size / num_attention_heads without it.
func headDim(c config) (uint32, error) {
	if hd, ok, err := c.uint("head_dim"); ok || err != nil {
		return hd, err
	}
	embd, err := c.need("hidden_size")
	if err != nil {
		return 0, err
	}
	heads, err := c.need("num_attention_heads")
	if err != nil {
		return 0, err
	}
	if heads == 0 {
		return 0, fmt.Errorf("config.json: num_attention_heads is 0")
	}
	return embd / heads, nil
}

// addUint adds key as a uint32 when config key from is present and not null.
func addUint(out *kvs, c config, key, from string) error {
	if from == "" {
		return nil
	}
	v, ok, err := c.uint(from)
	if ok {
		out.add(key, gguf.Uint32(v))
	}
	return err
}

// addFloat adds key as a float32 when config key from is present and not null.
func addFloat(out *kvs, c config, key, from string) error {
	if from == "" {
		return nil
	}
	v, ok, err := c.float(from)
	if ok {
		out.add(key, gguf.Float32(float32(v)))
	}
	return err
}
