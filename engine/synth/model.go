package synth

import (
	"fmt"
	"math"

	"nibble/engine/gguf"
	"nibble/quant"
)

// tensor is one tensor of a synthetic model.
type tensor struct {
	gguf.TensorInfo              // name, dims (ggml order) and type
	values          tensorValues // how its values are made
}

type tensorValues int

const (
	gaussian  tensorValues = iota // N(0, weightSigma²), a stream of its own per row
	ones                          // norm weights
	ropeFreqs                     // the Llama 3 frequency factors
)

// weightSigma is the spread of the weights and biases: the usual
// initialization of transformer weights, small enough that activations stay
// finite through any number of layers (each block adds to the residual
// stream only what its RMS-normalized input times such weights gives).
const weightSigma = 0.02

// tensors lists s's tensors with the names and ggml shapes llama.cpp's
// converter writes, in llama-quantize's write order, all of type F32 (the
// source types a plan starts from).
func (s Shape) tensors() []tensor {
	d, hd := uint64(s.Embd), uint64(s.HeadDim())
	nq, nkv := uint64(s.Heads)*hd, uint64(s.KVHeads)*hd
	ff, nv := uint64(s.FFN), uint64(s.Vocab)
	var ts []tensor
	add := func(name string, values tensorValues, dims ...uint64) {
		ts = append(ts, tensor{gguf.TensorInfo{Name: name, Dims: dims, Type: gguf.F32}, values})
	}
	add("token_embd.weight", gaussian, d, nv)
	if s.Llama3Rope != nil {
		add("rope_freqs.weight", ropeFreqs, hd/2)
	}
	for i := range s.Layers {
		blk := fmt.Sprintf("blk.%d.", i)
		add(blk+"attn_norm.weight", ones, d)
		add(blk+"attn_q.weight", gaussian, d, nq)
		add(blk+"attn_k.weight", gaussian, d, nkv)
		add(blk+"attn_v.weight", gaussian, d, nkv)
		if s.QKVBias {
			add(blk+"attn_q.bias", gaussian, nq)
			add(blk+"attn_k.bias", gaussian, nkv)
			add(blk+"attn_v.bias", gaussian, nkv)
		}
		add(blk+"attn_output.weight", gaussian, nq, d)
		add(blk+"ffn_norm.weight", ones, d)
		add(blk+"ffn_gate.weight", gaussian, d, ff)
		add(blk+"ffn_up.weight", gaussian, d, ff)
		add(blk+"ffn_down.weight", gaussian, ff, d)
	}
	add("output_norm.weight", ones, d)
	if !s.Tied {
		add("output.weight", gaussian, d, nv)
	}

	infos := make([]gguf.TensorInfo, len(ts))
	for i, t := range ts {
		infos[i] = t.TensorInfo
	}
	ordered := make([]tensor, len(ts))
	for k, i := range quant.WriteOrder(infos) {
		ordered[k] = ts[i]
	}
	return ordered
}

// plan returns s's tensors with the types mix gives them: quant's plan, as
// llama-quantize would choose them for the same model in F32.
func (s Shape) plan(mix quant.Mix) ([]tensor, error) {
	ts := s.tensors()
	infos := make([]gguf.TensorInfo, len(ts))
	for i, t := range ts {
		infos[i] = t.TensorInfo
	}
	types, err := mix.Plan(metadata(s.hparams()), infos)
	if err != nil {
		return nil, fmt.Errorf("plan tensor types for %s: %w", mix.Name, err)
	}
	for i := range ts {
		ts[i].Type = types[i]
	}
	return ts, nil
}

// metadata lets quant read the key/value pairs a file is about to get.
type metadata []gguf.KV

func (md metadata) Get(key string) (gguf.Value, bool) {
	for _, kv := range md {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return gguf.Value{}, false
}

// hparams is general.architecture and the architecture's hyperparameters,
// with the keys and in the order llama.cpp's converter writes them
// (general.file_type, which it writes among them, comes last in metadata
// as llama-quantize moves it there).
func (s Shape) hparams() []gguf.KV {
	a := s.Arch() + "."
	u := func(n int) gguf.Value { return gguf.Uint32(uint32(n)) }
	kv := []gguf.KV{
		{Key: "general.architecture", Value: gguf.String(s.Arch())},
		{Key: a + "block_count", Value: u(s.Layers)},
		{Key: a + "context_length", Value: u(s.Context)},
		{Key: a + "embedding_length", Value: u(s.Embd)},
		{Key: a + "feed_forward_length", Value: u(s.FFN)},
		{Key: a + "attention.head_count", Value: u(s.Heads)},
		{Key: a + "attention.head_count_kv", Value: u(s.KVHeads)},
		{Key: a + "rope.freq_base", Value: gguf.Float32(s.RopeBase)},
		{Key: a + "attention.layer_norm_rms_epsilon", Value: gguf.Float32(s.RMSEps)},
	}
	if s.Arch() == "llama" { // LlamaModel adds these two
		kv = append(kv,
			gguf.KV{Key: a + "vocab_size", Value: u(s.Vocab)},
			gguf.KV{Key: a + "rope.dimension_count", Value: u(s.HeadDim())})
	}
	return kv
}

// metadata is the whole metadata of the file: the name, the
// hyperparameters, the tokenizer, and what llama-quantize sets last.
func (s Shape) metadata(v *vocab, mix quant.Mix, seed uint64) []gguf.KV {
	hp := s.hparams()
	kv := []gguf.KV{hp[0],
		{Key: "general.type", Value: gguf.String("model")},
		{Key: "general.name", Value: gguf.String("synthetic " + s.Name)},
		{Key: "general.description", Value: gguf.String(fmt.Sprintf(
			"random weights (nibble synth --seed %d) in the shape of %s: not a trained model", seed, s.Name))},
	}
	kv = append(kv, hp[1:]...)

	kv = append(kv,
		gguf.KV{Key: "tokenizer.ggml.model", Value: gguf.String(v.model)},
		gguf.KV{Key: "tokenizer.ggml.pre", Value: gguf.String(v.pre)},
		gguf.KV{Key: "tokenizer.ggml.tokens", Value: gguf.Array(v.tokens)})
	if v.scores != nil {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.scores", Value: gguf.Array(v.scores)})
	}
	kv = append(kv, gguf.KV{Key: "tokenizer.ggml.token_type", Value: gguf.Array(v.types)})
	if v.merges != nil {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.merges", Value: gguf.Array(v.merges)})
	}
	kv = append(kv,
		gguf.KV{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Uint32(uint32(v.bos))},
		gguf.KV{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Uint32(uint32(v.eos))})
	if v.unk >= 0 {
		kv = append(kv, gguf.KV{Key: "tokenizer.ggml.unknown_token_id", Value: gguf.Uint32(uint32(v.unk))})
	}
	kv = append(kv,
		gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Bool(v.addBOS)},
		gguf.KV{Key: "tokenizer.ggml.add_eos_token", Value: gguf.Bool(false)},
		gguf.KV{Key: "tokenizer.chat_template", Value: gguf.String(v.template)},
		gguf.KV{Key: "general.quantization_version", Value: gguf.Uint32(quant.QuantizationVersion)},
		gguf.KV{Key: "general.file_type", Value: gguf.Uint32(mix.FileType)})
	return kv
}

// Factors returns rope_freqs.weight for heads of headDim dims and RoPE
// base, as llama.cpp's convert_hf_to_gguf.py computes it for rope_type
// "llama3" (LlamaModel.generate_extra_tensors), in float32 like its torch
// tensors: 1 for wavelengths under OriginalContext/HighFreqFactor, Factor
// above OriginalContext/LowFreqFactor, a smooth blend between.
func (r Llama3Rope) Factors(base float32, headDim int) []float32 {
	lowWavelen := float32(r.OriginalContext) / r.LowFreqFactor
	highWavelen := float32(r.OriginalContext) / r.HighFreqFactor
	out := make([]float32, headDim/2)
	for i := range out {
		exp := float32(2*i) / float32(headDim)
		freq := 1 / float32(math.Pow(float64(base), float64(exp)))
		wavelen := float32(2*math.Pi) / freq
		switch {
		case wavelen < highWavelen:
			out[i] = 1
		case wavelen > lowWavelen:
			out[i] = r.Factor
		default:
			smooth := (float32(r.OriginalContext)/wavelen - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
			out[i] = 1 / ((1-smooth)/r.Factor + smooth)
		}
	}
	return out
}

// Plan returns the tensors of a file of shape s at mix — names, ggml shapes
// and the types quant's plan gives them, in write order — without making
// any weights, so a file's size can be computed before it exists (see
// advise.FromShape). It fails when mix cannot be made for s.
func (s Shape) Plan(mix quant.Mix) ([]gguf.TensorInfo, error) {
	ts, err := s.plan(mix)
	if err != nil {
		return nil, err
	}
	infos := make([]gguf.TensorInfo, len(ts))
	for i, t := range ts {
		infos[i] = t.TensorInfo
	}
	return infos, nil
}
