package synth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Shape is the architecture and sizes of a model to synthesize.
type Shape struct {
	Name   string // a named shape ("tinyllama-1.1b"), or the SPEC it came from
	Family Family // vocabulary, special tokens, chat template; also the architecture

	Layers  int // block_count
	Embd    int // embedding_length
	Heads   int // attention.head_count
	KVHeads int // attention.head_count_kv
	FFN     int // feed_forward_length
	Vocab   int // tokens, rows of token_embd.weight

	Context  int     // context_length the model claims
	RopeBase float32 // rope.freq_base
	RMSEps   float32 // attention.layer_norm_rms_epsilon
	Tied     bool    // no output.weight: the output reuses token_embd.weight
	QKVBias  bool    // attn_q/k/v biases (Qwen2)
	// Llama3Rope, when set, adds rope_freqs.weight: Llama 3.1+'s frequency
	// factors for long contexts.
	Llama3Rope *Llama3Rope
}

// Llama3Rope is a Hugging Face rope_scaling of rope_type "llama3".
type Llama3Rope struct {
	Factor          float32 // factor
	LowFreqFactor   float32 // low_freq_factor
	HighFreqFactor  float32 // high_freq_factor
	OriginalContext int     // original_max_position_embeddings
}

// shapes are the named shapes, with the hyperparameters of the models'
// config.json on Hugging Face (TinyLlama/TinyLlama-1.1B-Chat-v1.0,
// meta-llama/Llama-3.2-1B-Instruct, Qwen/Qwen2.5-0.5B-Instruct).
var shapes = []Shape{
	{
		Name: "tinyllama-1.1b", Family: TinyLlama,
		Layers: 22, Embd: 2048, Heads: 32, KVHeads: 4, FFN: 5632, Vocab: 32000,
		Context: 2048, RopeBase: 10000, RMSEps: 1e-5,
	},
	{
		Name: "llama-3.2-1b", Family: Llama3,
		Layers: 16, Embd: 2048, Heads: 32, KVHeads: 8, FFN: 8192, Vocab: 128256,
		Context: 131072, RopeBase: 500000, RMSEps: 1e-5, Tied: true,
		Llama3Rope: &Llama3Rope{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192},
	},
	{
		Name: "qwen2.5-0.5b", Family: Qwen2,
		Layers: 24, Embd: 896, Heads: 14, KVHeads: 2, FFN: 4864, Vocab: 151936,
		Context: 32768, RopeBase: 1000000, RMSEps: 1e-6, Tied: true, QKVBias: true,
	},
}

// ShapeNames lists the named shapes.
func ShapeNames() []string {
	names := make([]string, len(shapes))
	for i, s := range shapes {
		names[i] = s.Name
	}
	return names
}

// SpecHelp documents the SPEC syntax, for command-line help.
const SpecHelp = `A SPEC is key=value pairs separated by commas, e.g.
  arch=llama,tokenizer=bpe,layers=2,embd=256,heads=4,kv_heads=2,ffn=512,vocab=4096
arch (llama or qwen2) and tokenizer (spm or bpe; qwen2 has only bpe) pick the
family the rest starts from: llama+spm tinyllama-1.1b, llama+bpe llama-3.2-1b,
qwen2 qwen2.5-0.5b (its tokenizer, special tokens, chat template, RoPE, ties
and biases). layers, embd, heads, kv_heads, ffn and vocab replace its sizes.`

// ParseShape returns the named shape called name (ignoring case), or the
// shape a SPEC describes (see SpecHelp). The shape is checked: the sizes fit
// together and the vocabulary holds the family's fixed tokens.
func ParseShape(name string) (Shape, error) {
	name = strings.TrimSpace(name)
	if !strings.Contains(name, "=") {
		for _, s := range shapes {
			if strings.EqualFold(s.Name, name) {
				return s, nil
			}
		}
		return Shape{}, fmt.Errorf("unknown shape %q; named shapes are %s, or give a SPEC such as arch=llama,layers=2,embd=256",
			name, strings.Join(ShapeNames(), ", "))
	}
	s, err := parseSpec(name)
	if err != nil {
		return Shape{}, fmt.Errorf("shape %q: %w", name, err)
	}
	return s, nil
}

// parseSpec reads a SPEC: first arch and tokenizer, which choose the shape
// to start from, then the sizes over it.
func parseSpec(spec string) (Shape, error) {
	fields := map[string]string{}
	var keys []string
	for _, f := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return Shape{}, fmt.Errorf("%q is not key=value", f)
		}
		if _, dup := fields[k]; dup {
			return Shape{}, fmt.Errorf("%s given twice", k)
		}
		fields[k] = v
		keys = append(keys, k)
	}

	arch, tok := fields["arch"], fields["tokenizer"]
	if arch == "" {
		arch = "llama"
	}
	if tok == "" {
		tok = map[string]string{"llama": "spm", "qwen2": "bpe"}[arch]
	}
	var family Family
	switch arch + "/" + tok {
	case "llama/spm":
		family = TinyLlama
	case "llama/bpe":
		family = Llama3
	case "qwen2/bpe":
		family = Qwen2
	default:
		return Shape{}, fmt.Errorf("arch %q with tokenizer %q is not supported (arch: llama or qwen2; tokenizer: spm or bpe, qwen2 only bpe)", arch, tok)
	}
	i := slices.IndexFunc(shapes, func(s Shape) bool { return s.Family == family })
	s := shapes[i]
	s.Name = spec

	sizes := map[string]*int{
		"layers": &s.Layers, "embd": &s.Embd, "heads": &s.Heads,
		"kv_heads": &s.KVHeads, "ffn": &s.FFN, "vocab": &s.Vocab,
	}
	for _, k := range keys {
		if k == "arch" || k == "tokenizer" {
			continue
		}
		p, ok := sizes[k]
		if !ok {
			return Shape{}, fmt.Errorf("unknown key %q (keys: arch, tokenizer, layers, embd, heads, kv_heads, ffn, vocab)", k)
		}
		n, err := strconv.Atoi(fields[k])
		if err != nil || n < 1 || n > 1<<24 {
			return Shape{}, fmt.Errorf("%s=%s is not a size from 1 to %d", k, fields[k], 1<<24)
		}
		*p = n
	}
	return s, s.check()
}

// check makes sure the sizes fit together as the engine and llama.cpp need.
func (s Shape) check() error {
	switch {
	case s.Embd%s.Heads != 0:
		return fmt.Errorf("embd %d is not a multiple of heads %d", s.Embd, s.Heads)
	case s.Heads%s.KVHeads != 0:
		return fmt.Errorf("heads %d is not a multiple of kv_heads %d", s.Heads, s.KVHeads)
	case s.HeadDim()%2 != 0:
		return fmt.Errorf("the head size embd/heads = %d must be even for RoPE", s.HeadDim())
	}
	if min := s.Family.minVocab(); s.Vocab < min {
		return fmt.Errorf("vocab %d is too small: the %s vocabulary needs at least %d tokens", s.Vocab, s.Family, min)
	}
	return nil
}

// Arch returns general.architecture: "llama" or "qwen2".
func (s Shape) Arch() string { return s.Family.arch() }

// HeadDim returns the size of one attention head.
func (s Shape) HeadDim() int { return s.Embd / s.Heads }
