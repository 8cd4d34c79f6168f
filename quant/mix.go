package quant

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"nibble/engine/gguf"
)

// Mix is a quantization level a user picks ("Q4_K_M"): a base type plus
// llama-quantize's rules for which tensors get more or fewer bits.
type Mix struct {
	Name          string    // llama-quantize's name, e.g. "Q4_K_M"
	FileType      uint32    // llama_ftype, written as general.file_type (MOSTLY_Q4_K_M = 15)
	Base          gguf.Type // the type most tensors get
	BitsPerWeight float64   // nominal bits per weight: the float types' width, or llama.cpp's size for Llama-3-8B
	Description   string    // one plain-language line for a non-technical user
}

// The llama_ftype values (llama.h) of the mixes Nibble offers. They are
// written into files and must never change.
const (
	ftypeF32    = 0
	ftypeF16    = 1
	ftypeQ4_0   = 2
	ftypeQ4_1   = 3
	ftypeQ8_0   = 7
	ftypeQ5_0   = 8
	ftypeQ5_1   = 9
	ftypeQ2_K   = 10
	ftypeQ3_K_S = 11
	ftypeQ3_K_M = 12
	ftypeQ3_K_L = 13
	ftypeQ4_K_S = 14
	ftypeQ4_K_M = 15
	ftypeQ5_K_S = 16
	ftypeQ5_K_M = 17
	ftypeQ6_K   = 18
	ftypeBF16   = 32
)

// sizeAt8B turns the file size llama-quantize's help gives for a mix
// ("4.58G … @ Llama-3-8B", in GiB) into bits per weight, rounded to two
// decimals: the help states no bpw for these mixes, and a size only means
// something next to its model's 8,030,261,248 parameters.
func sizeAt8B(gib float64) float64 {
	bpw := gib * (1 << 30) * 8 / 8030261248
	return math.Round(bpw*100) / 100
}

// mixes is every mix Nibble offers, from largest to smallest file. The
// sizes passed to sizeAt8B are those of llama-quantize's help at c392e50.
var mixes = []Mix{
	{"F32", ftypeF32, gguf.F32, 32, "Full precision: no loss at all, but twice the size of a usual 16-bit model"},
	{"F16", ftypeF16, gguf.F16, 16, "16-bit: no noticeable loss, the size of a usual original model"},
	{"BF16", ftypeBF16, gguf.BF16, 16, "16-bit (bfloat): no noticeable loss, the size of a usual original model; best for models published in BF16"},
	{"Q8_0", ftypeQ8_0, gguf.Q8_0, sizeAt8B(7.96), "Near-perfect: quality practically the same as the original, about half its size"},
	{"Q6_K", ftypeQ6_K, gguf.Q6_K, sizeAt8B(6.14), "Excellent: a tiny loss of quality, about 40% of the original size"},
	{"Q5_1", ftypeQ5_1, gguf.Q5_1, sizeAt8B(5.65), "Very good (older format): a very small loss of quality, about 38% of the original size"},
	{"Q5_K_M", ftypeQ5_K_M, gguf.Q5_K, sizeAt8B(5.33), "Very good: a very small loss of quality, about a third of the original size"},
	{"Q5_K_S", ftypeQ5_K_S, gguf.Q5_K, sizeAt8B(5.21), "Very good, a little smaller: a small loss of quality, about a third of the original size"},
	{"Q5_0", ftypeQ5_0, gguf.Q5_0, sizeAt8B(5.21), "Good (older format): a small loss of quality, about a third of the original size"},
	{"Q4_1", ftypeQ4_1, gguf.Q4_1, sizeAt8B(4.78), "Good (older format): a noticeable loss of quality, about a third of the original size"},
	{"Q4_K_M", ftypeQ4_K_M, gguf.Q4_K, sizeAt8B(4.58), "Balanced: a small loss of quality, under a third of the original size; the usual choice"},
	{"Q4_K_S", ftypeQ4_K_S, gguf.Q4_K, sizeAt8B(4.37), "Balanced, a little smaller: a small loss of quality, under a third of the original size"},
	{"Q4_0", ftypeQ4_0, gguf.Q4_0, sizeAt8B(4.34), "Fast (older format): a noticeable loss of quality, under a third of the original size"},
	{"Q3_K_L", ftypeQ3_K_L, gguf.Q3_K, sizeAt8B(4.03), "Compact: a clear loss of quality, about a quarter of the original size"},
	{"Q3_K_M", ftypeQ3_K_M, gguf.Q3_K, sizeAt8B(3.74), "Compact, smaller: a clear loss of quality, a quarter of the original size"},
	{"Q3_K_S", ftypeQ3_K_S, gguf.Q3_K, sizeAt8B(3.41), "Very compact: a large loss of quality, under a quarter of the original size"},
	{"Q2_K", ftypeQ2_K, gguf.Q2_K, sizeAt8B(2.96), "Smallest: a heavy loss of quality, a fifth of the original size; only when nothing else fits"},
}

// mixAliases are the short names llama-quantize also accepts.
var mixAliases = map[string]string{"Q3_K": "Q3_K_M", "Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M"}

// Mixes returns every mix, from the largest file to the smallest. The slice
// is the caller's to keep.
func Mixes() []Mix { return slices.Clone(mixes) }

// LookupMix finds a mix by name, ignoring case ("q4_k_m"). Like
// llama-quantize it also accepts Q3_K, Q4_K and Q5_K for their _M mixes. The
// error for an unknown name lists the valid ones.
func LookupMix(name string) (Mix, error) {
	want := strings.ToUpper(strings.TrimSpace(name))
	if alias, ok := mixAliases[want]; ok {
		want = alias
	}
	for _, m := range mixes {
		if m.Name == want {
			return m, nil
		}
	}
	names := make([]string, len(mixes))
	for i, m := range mixes {
		names[i] = m.Name
	}
	return Mix{}, fmt.Errorf("unknown quantization type %q; valid types are %s", name, strings.Join(names, ", "))
}

// MixForFileType returns the mix whose llama_ftype is ft (a file's
// general.file_type), or false for a file type Nibble does not offer.
func MixForFileType(ft uint32) (Mix, bool) {
	for _, m := range mixes {
		if m.FileType == ft {
			return m, true
		}
	}
	return Mix{}, false
}

// quantized reports whether the mix's base type is a block quantization;
// only then does llama-quantize apply its per-tensor rules.
func (m Mix) quantized() bool {
	return m.Base != gguf.F32 && m.Base != gguf.F16 && m.Base != gguf.BF16
}

// Plan returns the type llama-quantize (c392e50, default options, no
// importance matrix) gives each of a model's tensors: one entry per tensor,
// same index; md is the model's metadata. Tensors it does not convert (norms and other 1-D tensors, position
// embeddings, MoE router weights, …) keep their type; every other weight gets
// the mix's base type, bumped or lowered by llama.cpp's rules for its name,
// its layer and the model's shape, and replaced by a fallback type when its
// row width is not a whole number of blocks.
//
// Plan fails when md lacks general.architecture or {arch}.block_count, when
// its attention tensors do not match its layers (llama-quantize aborts
// then), or when a row width fits neither the chosen type nor a fallback.
// A tensor may be planned as IQ4_NL: the fallback llama.cpp uses for Q2_K
// and Q3_K rows whose width is not a multiple of 256. Weights that are
// already quantized are planned like any other; whether to requantize them
// is the caller's decision (llama-quantize refuses by default).
func (m Mix) Plan(md Metadata, tensors []gguf.TensorInfo) ([]gguf.Type, error) {
	model, err := readModelFacts(md)
	if err != nil {
		return nil, err
	}
	return m.plan(tensors, model)
}

// Metadata is the part of a model's metadata a plan reads: *gguf.File has it,
// and a writer that has no file yet (a synthetic model) can provide it.
type Metadata interface {
	Get(key string) (gguf.Value, bool)
}

// modelFacts is what llama-quantize's type choice reads from the metadata.
type modelFacts struct {
	arch    string // general.architecture
	layers  int    // {arch}.block_count
	heads   []int  // per layer, {arch}.attention.head_count; 0 when absent
	headsKV []int  // per layer, {arch}.attention.head_count_kv; heads when absent
	experts int    // {arch}.expert_count; 0 when absent
}

// readModelFacts reads the facts from the metadata the way llama.cpp's model
// loader does: head counts may be one number or one per layer.
func readModelFacts(md Metadata) (modelFacts, error) {
	var m modelFacts
	var ok bool
	arch, _ := md.Get("general.architecture")
	if m.arch, ok = arch.V.(string); !ok {
		return m, fmt.Errorf("model has no general.architecture")
	}
	key := m.arch + ".block_count"
	v, _ := md.Get(key)
	n, ok := v.Uint()
	if !ok || n > math.MaxInt32 {
		return m, fmt.Errorf("model has no usable %s", key)
	}
	m.layers = int(n)
	var err error
	if m.heads, ok, err = perLayer(md, m.arch+".attention.head_count", m.layers); err != nil {
		return m, err
	} else if !ok {
		m.heads = make([]int, m.layers)
	}
	if m.headsKV, ok, err = perLayer(md, m.arch+".attention.head_count_kv", m.layers); err != nil {
		return m, err
	} else if !ok {
		m.headsKV = m.heads
	}
	if v, ok := md.Get(m.arch + ".expert_count"); ok {
		if e, ok := v.Uint(); ok {
			m.experts = int(min(e, math.MaxInt32))
		}
	}
	return m, nil
}

// perLayer reads key as either one integer for every layer or an array with
// one integer per layer. ok is false when the key is absent.
func perLayer(md Metadata, key string, layers int) (vals []int, ok bool, err error) {
	v, found := md.Get(key)
	if !found {
		return nil, false, nil
	}
	if v.Type != gguf.ValueArray {
		x, ok := v.Uint()
		if !ok || x > math.MaxInt32 {
			return nil, false, fmt.Errorf("model metadata %s is not a layer count", key)
		}
		vals = make([]int, layers)
		for i := range vals {
			vals[i] = int(x)
		}
		return vals, true, nil
	}
	vals, ok = intArray(v.V)
	if !ok {
		return nil, false, fmt.Errorf("model metadata %s is not an array of integers", key)
	}
	if len(vals) != layers {
		return nil, false, fmt.Errorf("model metadata %s has %d entries for %d layers", key, len(vals), layers)
	}
	return vals, true, nil
}

// intArray converts a metadata array of non-negative integers of any width.
func intArray(v any) ([]int, bool) {
	switch a := v.(type) {
	case []uint8:
		return convertInts(a)
	case []int8:
		return convertInts(a)
	case []uint16:
		return convertInts(a)
	case []int16:
		return convertInts(a)
	case []uint32:
		return convertInts(a)
	case []int32:
		return convertInts(a)
	case []uint64:
		return convertInts(a)
	case []int64:
		return convertInts(a)
	}
	return nil, false
}

func convertInts[T uint8 | int8 | uint16 | int16 | uint32 | int32 | uint64 | int64](a []T) ([]int, bool) {
	out := make([]int, len(a))
	for i, x := range a {
		if x < 0 || uint64(x) > math.MaxInt32 {
			return nil, false
		}
		out[i] = int(x)
	}
	return out, true
}

// gqa is llama.cpp's n_gqa() for layer 0: query heads per KV head, 0 for a
// model without attention heads.
func (m modelFacts) gqa() int {
	if m.layers == 0 || m.headsKV[0] == 0 {
		return 0
	}
	return m.heads[0] / m.headsKV[0]
}

// is70B reports whether llama.cpp's loader classifies the model as a 70B
// (LLM_TYPE_70B), whose attn_v tensors get more bits. These are the only
// architectures whose loader assigns that size at c392e50.
func (m modelFacts) is70B() bool {
	switch m.arch {
	case "llama":
		return m.experts != 8 && m.layers == 80 && m.heads[0] != m.headsKV[0]
	case "deci", "qwen2", "qwen2vl", "olmo":
		return m.layers == 80
	}
	return false
}

// attentionLayers is the number of attention value tensors llama-quantize
// expects: one per layer with KV heads, three per layer for T5's encoder
// and decoder attentions.
func (m modelFacts) attentionLayers() int {
	n := 0
	for _, kv := range m.headsKV {
		if kv != 0 {
			n++
		}
	}
	if m.arch == "t5" || m.arch == "t5encoder" {
		n *= 3
	}
	return n
}

// plan is Plan on tensor infos and facts already read.
func (m Mix) plan(tensors []gguf.TensorInfo, model modelFacts) ([]gguf.Type, error) {
	p := planner{mix: m, model: model}
	for _, t := range tensors {
		if isAttentionValue(t.Name) {
			p.attnV++
		} else if t.Name == "output.weight" {
			p.hasOutput = true
		}
	}
	if want := model.attentionLayers(); p.attnV != want {
		return nil, fmt.Errorf("model has %d attention value tensors for %d attention layers; llama.cpp cannot quantize it", p.attnV, want)
	}

	types := make([]gguf.Type, len(tensors))
	// The layer counters of the rules advance in the order llama-quantize
	// visits the tensors, which is the order it writes them in.
	for _, i := range WriteOrder(tensors) {
		t := tensors[i]
		types[i] = t.Type
		if !quantizable(t) {
			continue
		}
		if !m.quantized() {
			types[i] = m.Base
			continue
		}
		typ, err := p.tensorType(t)
		if err != nil {
			return nil, err
		}
		types[i] = typ
	}
	return types, nil
}

// isAttentionValue reports whether name is a tensor llama-quantize counts as
// one layer's attention values (n_attention_wv).
func isAttentionValue(name string) bool {
	return strings.Contains(name, "attn_v.weight") ||
		strings.Contains(name, "attn_qkv.weight") ||
		strings.Contains(name, "attn_kv_b.weight")
}

// keptWhole lists name fragments of weights llama-quantize never converts:
// norms, MoE routers, Mamba's and RWKV's small matrices, T5's relative
// position bias.
var keptWhole = []string{
	"_norm.weight",
	"ffn_gate_inp.weight",
	"ssm_conv1d.weight",
	"time_mix_first.weight",
	"time_mix_w1.weight",
	"time_mix_w2.weight",
	"time_mix_decay_w1.weight",
	"time_mix_decay_w2.weight",
	"time_mix_lerp_fused.weight",
	"attn_rel_b.weight",
}

// quantizable reports whether llama-quantize converts t at all: weights
// ("…weight") of at least 2 dimensions, except those in keptWhole and the
// position and token-type embeddings (BERT). llama.cpp only knows those two
// names in architectures that have such tensors; no other architecture's
// file contains them, so they are excluded everywhere.
func quantizable(t gguf.TensorInfo) bool {
	name := t.Name
	if !strings.HasSuffix(name, "weight") || nDims(t.Dims) < 2 {
		return false
	}
	if name == "position_embd.weight" || name == "token_types.weight" {
		return false
	}
	for _, s := range keptWhole {
		if strings.Contains(name, s) {
			return false
		}
	}
	return true
}

// nDims is ggml_n_dims: trailing dimensions of size 1 do not count, so a
// [4096, 1] tensor is 1-D.
func nDims(dims []uint64) int {
	n := len(dims)
	for n > 1 && dims[n-1] == 1 {
		n--
	}
	return n
}

// planner carries llama-quantize's state across tensors: whether the model
// has its own output matrix, how many attention value tensors it has, and
// the counters of attn_v and ffn_* tensors seen so far.
type planner struct {
	mix       Mix
	model     modelFacts
	hasOutput bool
	attnV     int // n_attention_wv
	iAttnV    int
	iFFNDown  int
	iFFNGate  int
	iFFNUp    int
}

// tensorType is llama_tensor_get_type for the mixes Nibble offers: the type
// of one quantizable tensor, after the row-width fallback.
func (p *planner) tensorType(t gguf.TensorInfo) (gguf.Type, error) {
	name, ft := t.Name, p.mix.FileType
	typ := p.mix.Base
	falcon := p.model.arch == "falcon"
	switch {
	case name == "output.weight" || (!p.hasOutput && name == "token_embd.weight"):
		// The output matrix (or the token embeddings standing in for it)
		// matters most: Q6_K unless the mix is Q8_0 anyway.
		if falcon || t.Dims[0]%gguf.QK_K != 0 {
			typ = gguf.Q8_0
		} else if typ != gguf.Q8_0 {
			typ = gguf.Q6_K
		}
	case name == "token_embd.weight":
		// Only the IQ mixes change the token embeddings.
	case strings.Contains(name, "attn_v.weight"):
		typ = p.attnVType(typ)
		p.iAttnV++
	case strings.Contains(name, "attn_k.weight"):
		if p.model.experts == 8 {
			typ = gguf.Q8_0
		}
	case strings.Contains(name, "attn_q.weight"):
		// Only the IQ mixes change attn_q.
	case strings.Contains(name, "ffn_down"):
		layer, layers, err := p.layer(&p.iFFNDown, name)
		if err != nil {
			return 0, err
		}
		typ = p.ffnDownType(typ, layer, layers)
	case strings.Contains(name, "attn_output.weight"):
		typ = p.attnOutputType(typ)
	case strings.Contains(name, "attn_qkv.weight"):
		switch ft {
		case ftypeQ3_K_M, ftypeQ3_K_L:
			typ = gguf.Q4_K
		case ftypeQ4_K_M:
			typ = gguf.Q5_K
		case ftypeQ5_K_M:
			typ = gguf.Q6_K
		}
	case strings.Contains(name, "ffn_gate"):
		// Only IQ3_XS changes ffn_gate, but the layer is still checked.
		if _, _, err := p.layer(&p.iFFNGate, name); err != nil {
			return 0, err
		}
	case strings.Contains(name, "ffn_up"):
		if _, _, err := p.layer(&p.iFFNUp, name); err != nil {
			return 0, err
		}
	}
	return fallback(t, typ)
}

// attnVType applies the attn_v rules. attn_v is small next to attn_q in
// GQA models and sensitive, so most mixes give it more bits, some only in
// the layers useMoreBits picks.
func (p *planner) attnVType(typ gguf.Type) gguf.Type {
	i, n := p.iAttnV, p.attnV
	switch p.mix.FileType {
	case ftypeQ2_K:
		typ = gguf.Q3_K
		if p.model.gqa() >= 4 {
			typ = gguf.Q4_K
		}
	case ftypeQ3_K_M:
		typ = gguf.Q4_K
		if i < 2 {
			typ = gguf.Q5_K
		}
	case ftypeQ3_K_L:
		typ = gguf.Q5_K
	case ftypeQ4_K_M, ftypeQ5_K_M:
		if useMoreBits(i, n) {
			typ = gguf.Q6_K
		}
	case ftypeQ4_K_S:
		if i < 4 {
			typ = gguf.Q5_K
		}
	}
	if p.model.is70B() && (typ == gguf.Q3_K || typ == gguf.Q4_K) {
		typ = gguf.Q5_K
	}
	if p.model.experts == 8 {
		typ = gguf.Q8_0
	}
	return typ
}

// ffnDownType applies the ffn_down rules for layer i of n.
func (p *planner) ffnDownType(typ gguf.Type, i, n int) gguf.Type {
	falcon := p.model.arch == "falcon"
	switch p.mix.FileType {
	case ftypeQ2_K:
		typ = gguf.Q3_K
	case ftypeQ3_K_M:
		switch {
		case i < n/16:
			typ = gguf.Q5_K
		case !falcon || useMoreBits(i, n):
			typ = gguf.Q4_K
		default:
			typ = gguf.Q3_K
		}
	case ftypeQ3_K_L:
		typ = gguf.Q5_K
		if falcon {
			typ = gguf.Q4_K
		}
	case ftypeQ4_K_M:
		switch {
		case !falcon:
			if useMoreBits(i, n) {
				typ = gguf.Q6_K
			}
		case i < n/16:
			typ = gguf.Q6_K
		case useMoreBits(i, n):
			typ = gguf.Q5_K
		default:
			typ = gguf.Q4_K
		}
	case ftypeQ5_K_M:
		if useMoreBits(i, n) {
			typ = gguf.Q6_K
		}
	case ftypeQ4_K_S:
		if !falcon && i < n/8 {
			typ = gguf.Q5_K
		}
	}
	return typ
}

// attnOutputType applies the attn_output rules.
func (p *planner) attnOutputType(typ gguf.Type) gguf.Type {
	ft := p.mix.FileType
	switch {
	case p.model.arch == "falcon":
		if ft == ftypeQ3_K_L {
			typ = gguf.Q4_K
		}
	case p.model.experts == 8:
		switch ft {
		case ftypeQ2_K, ftypeQ3_K_S, ftypeQ3_K_M, ftypeQ4_K_S, ftypeQ4_K_M:
			typ = gguf.Q5_K
		}
	default:
		switch ft {
		case ftypeQ2_K:
			typ = gguf.Q3_K
		case ftypeQ3_K_M:
			typ = gguf.Q4_K
		case ftypeQ3_K_L:
			typ = gguf.Q5_K
		}
	}
	return typ
}

// layer returns the layer index and layer count the ffn rules use, and
// advances counter. Dense models count ffn tensors in visiting order; in MoE
// models the experts of a layer are not necessarily adjacent, so the layer
// comes from the name ("blk.N.") and must be within the model's layers.
func (p *planner) layer(counter *int, name string) (i, n int, err error) {
	i, n = *counter, p.model.layers
	*counter++
	if p.model.experts > 1 {
		var ok bool
		if i, ok = blockIndex(name); !ok {
			return 0, 0, fmt.Errorf("cannot tell the layer of tensor %s", name)
		}
		if i < 0 || i >= n {
			return 0, 0, fmt.Errorf("tensor %s is in layer %d of a model with %d layers", name, i, n)
		}
	}
	return i, n, nil
}

// useMoreBits picks the layers of n that get a bigger type in the _M mixes:
// the first and last eighth, and every third layer in between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// fallback returns typ if t's rows are whole blocks of it. Otherwise it
// returns llama.cpp's replacement: a 32-element type of similar size, or F16
// when even 32 does not divide the row width. Types without a replacement
// (the 32-element ones themselves) are an error, as in llama-quantize.
func fallback(t gguf.TensorInfo, typ gguf.Type) (gguf.Type, error) {
	width := t.Dims[0]
	if width%uint64(typ.BlockElems()) == 0 {
		return typ, nil
	}
	switch typ {
	case gguf.Q2_K, gguf.Q3_K:
		typ = gguf.IQ4_NL
	case gguf.Q4_K:
		typ = gguf.Q5_0
	case gguf.Q5_K:
		typ = gguf.Q5_1
	case gguf.Q6_K:
		typ = gguf.Q8_0
	default:
		return 0, fmt.Errorf("tensor %s has rows of %d values, not a multiple of the %v block size %d",
			t.Name, width, typ, typ.BlockElems())
	}
	if width%uint64(typ.BlockElems()) != 0 {
		typ = gguf.F16
	}
	return typ, nil
}

// WriteOrder returns the order llama-quantize writes tensors in, as indices
// into tensors: its model loader keeps them in a map sorted by layer number
// (tensors outside "blk.N." first, as layer -1), then by name byte by byte.
// So output.weight, output_norm.weight, token_embd.weight, then blk.0.* by
// name, blk.1.*, …, blk.10.* after blk.9.*.
func WriteOrder(tensors []gguf.TensorInfo) []int {
	layers := make([]int, len(tensors))
	order := make([]int, len(tensors))
	for i, t := range tensors {
		order[i] = i
		layers[i] = -1
		if l, ok := blockIndex(t.Name); ok {
			layers[i] = l
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(layers[a], layers[b]); c != 0 {
			return c
		}
		return strings.Compare(tensors[a].Name, tensors[b].Name)
	})
	return order
}

// blockIndex reads the layer number of a "blk.N.…" name the way llama.cpp's
// sscanf(name, "blk.%d.") does: an optionally signed integer right after
// "blk.", whatever follows it.
func blockIndex(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return 0, false
	}
	end := 0
	if end < len(rest) && (rest[end] == '-' || rest[end] == '+') {
		end++
	}
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return n, true
}
