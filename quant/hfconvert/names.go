package hfconvert

import (
	"fmt"
	"strconv"
	"strings"
)

// layerNames maps the Hugging Face names of a layer's tensors (after
// "model.layers.N.") to llama.cpp's (after "blk.N."), as tensor_mapping.py
// does for these architectures.
var layerNames = map[string]string{
	"input_layernorm":          "attn_norm",
	"self_attn.q_proj":         "attn_q",
	"self_attn.k_proj":         "attn_k",
	"self_attn.v_proj":         "attn_v",
	"self_attn.o_proj":         "attn_output",
	"post_attention_layernorm": "ffn_norm",
	"mlp.gate_proj":            "ffn_gate",
	"mlp.up_proj":              "ffn_up",
	"mlp.down_proj":            "ffn_down",
}

// qkNormNames are Qwen3's per-head norms of the queries and keys.
var qkNormNames = map[string]string{
	"self_attn.q_norm": "attn_q_norm",
	"self_attn.k_norm": "attn_k_norm",
}

// globalNames are the tensors outside the layers.
var globalNames = map[string]string{
	"model.embed_tokens": "token_embd",
	"model.norm":         "output_norm",
	"lm_head":            "output",
}

// skipped reports whether the script drops a checkpoint tensor
// (Model.prepare_tensors: cached rotary tables and attention masks).
func skipped(name string) bool {
	for _, s := range []string{".attention.masked_bias", ".attention.bias", ".rotary_emb.inv_freq"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// ggufName maps a checkpoint tensor name to llama.cpp's, trying the suffixes
// .weight and .bias as TensorNameMap.get_name does. An unknown name is an
// error, as in the script.
func ggufName(a arch, name string, layers int) (string, error) {
	base, suffix := name, ""
	for _, s := range []string{".weight", ".bias"} {
		if strings.HasSuffix(name, s) {
			base, suffix = strings.TrimSuffix(name, s), s
			break
		}
	}
	if g, ok := globalNames[base]; ok {
		return g + suffix, nil
	}
	if rest, ok := strings.CutPrefix(base, "model.layers."); ok {
		num, part, _ := strings.Cut(rest, ".")
		bid, err := strconv.Atoi(num)
		if err == nil && bid >= 0 && bid < layers && num == strconv.Itoa(bid) {
			g, ok := layerNames[part]
			if !ok && a.qkNorms {
				g, ok = qkNormNames[part]
			}
			if ok {
				return fmt.Sprintf("blk.%d.%s%s", bid, g, suffix), nil
			}
		}
	}
	return "", fmt.Errorf("cannot map tensor %s to a llama.cpp name", name)
}
