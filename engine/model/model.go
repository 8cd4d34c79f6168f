package model

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"unsafe"

	"nibble/engine/gguf"
	"nibble/engine/kernels"
	"nibble/quant"
)

// Options are the caller's choices when loading a model.
type Options struct {
	// ContextLength is how many positions the KV cache of each State holds:
	// the longest sequence it can evaluate. 0 means the model's training
	// context (Config.TrainContextLength), which for recent models is large
	// (Llama 3.1: 131072 positions, gigabytes of KV cache): callers should
	// pick a length with EstimateMemory. Longer than the training context is
	// allowed (as in llama.cpp) but the model was not trained for it.
	ContextLength int
	// KVCacheF32 stores keys and values as float32 instead of llama.cpp's
	// default float16: twice the cache memory, and queries and softmax
	// probabilities then stay float32 too.
	KVCacheF32 bool
	// Threads is how many threads share each step of the forward pass
	// (the rows of the matrix products, the heads of attention): the
	// caller's goroutine and workers of a pool started once per process
	// (pool.go). 0 means runtime.GOMAXPROCS(0).
	Threads int
}

// Config holds a model's hyperparameters, read from the GGUF metadata keys
// named below (prefixed with the architecture, e.g. "llama.block_count").
type Config struct {
	Arch               string  // general.architecture
	VocabSize          int     // rows of token_embd.weight
	EmbeddingLength    int     // embedding_length (n_embd)
	Layers             int     // block_count
	FeedForwardLength  int     // feed_forward_length (n_ff)
	Heads              int     // attention.head_count: query heads
	KVHeads            int     // attention.head_count_kv (default Heads); Heads is a multiple of it
	HeadDim            int     // attention.key_length = value_length (default EmbeddingLength/Heads)
	RMSNormEpsilon     float32 // attention.layer_norm_rms_epsilon
	RopeDims           int     // rope.dimension_count (default HeadDim): leading dims of a head that RoPE rotates
	RopeNeox           bool    // RoPE pairs dims i and i+RopeDims/2 (qwen2/3) instead of 2i and 2i+1 (llama)
	RopeFreqBase       float32 // rope.freq_base (default 10000)
	RopeFreqScale      float32 // 1/rope.scaling.factor for linear scaling, else 1
	TrainContextLength int     // context_length
	ContextLength      int     // positions a State holds (Options.ContextLength, or TrainContextLength)
}

// Model is a loaded model: hyperparameters and weights that point into the
// GGUF file's memory mapping. It is immutable and safe for concurrent use by
// any number of States; the File must stay open while the Model or any of its
// States is used.
type Model struct {
	cfg      Config
	net      network
	kvType   gguf.Type // F16, or F32 with Options.KVCacheF32
	threads  int
	actBytes int // bytes of the largest encoded activation row of any matrix multiplication
}

// network is one architecture's weights and its forward pass.
type network interface {
	// forward evaluates tokens (at most batchSize of them) at positions pos,
	// pos+1, …, writing their keys and values into s's cache, and fills out:
	// nothing if it is empty, the last token's logits if it holds VocabSize
	// values, otherwise every token's logits, row i for tokens[i].
	forward(s *State, tokens []int32, pos int, out []float32)
}

// architectures maps general.architecture to the function that binds that
// architecture's weights (and sets its RoPE layout in the Config).
var architectures = map[string]func(b *binder) network{
	"llama": loadLlama,
	"qwen2": loadQwen2,
	"qwen3": loadQwen3,
}

// Load reads f's hyperparameters and binds its weights. Nothing is copied:
// loading costs a metadata scan, and the file must outlive the Model. An
// unknown architecture, a missing or malformed metadata key, a missing or
// misshapen tensor, a weight type without a kernel and a tensor the
// architecture does not use are errors naming the culprit.
func Load(f *gguf.File, opts Options) (*Model, error) {
	arch, ok := f.String("general.architecture")
	if !ok {
		return nil, errors.New("model: missing metadata key general.architecture")
	}
	bind, ok := architectures[arch]
	if !ok {
		return nil, fmt.Errorf("model: unsupported architecture %q (supported: %s)", arch,
			strings.Join(slices.Sorted(maps.Keys(architectures)), ", "))
	}
	cfg, err := readConfig(f, arch)
	if err != nil {
		return nil, err
	}
	if opts.ContextLength < 0 || opts.Threads < 0 {
		return nil, fmt.Errorf("model: negative context length %d or threads %d", opts.ContextLength, opts.Threads)
	}
	cfg.ContextLength = cfg.TrainContextLength
	if opts.ContextLength > 0 {
		cfg.ContextLength = opts.ContextLength
	}
	b := &binder{f: f, cfg: &cfg, used: map[string]bool{}}
	net := bind(b)
	if err := b.finish(); err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, net: net, kvType: gguf.F16, threads: opts.Threads, actBytes: b.actBytes}
	if opts.KVCacheF32 {
		m.kvType = gguf.F32
	}
	if m.threads == 0 {
		m.threads = runtime.GOMAXPROCS(0)
	}
	return m, nil
}

// Config returns the model's hyperparameters.
func (m *Model) Config() Config { return m.cfg }

// EstimateMemory returns the heap bytes a State of f's model needs at
// context length ctx (0: the model's own), exactly what NewState allocates
// with the default threads (runtime.GOMAXPROCS).
// The weights are not included: they stay in the file's memory mapping.
//
//	KV cache:       2 · Layers · ctx · KVHeads · HeadDim · (2 bytes, or 4 with kvF32)
//	activations:    4 · B · (2·EmbeddingLength + 2·Heads·HeadDim + 2·KVHeads·HeadDim
//	                        + 2·FeedForwardLength + RopeDims)   with B = min(64, ctx)
//	matmul inputs:  B · (bytes of the widest matrix input encoded as its
//	                activation type: 4 per value for F32 weights, ~1.1 for quantized)
//	attention:      threads · (4·ctx + 260·HeadDim)
//
// For long contexts the KV cache dominates: a Llama-3-8B-shaped model (32
// layers, 8 KV heads of 128) needs 128 KiB per position, 512 MiB at 4096.
func EstimateMemory(f *gguf.File, ctx int, kvF32 bool) (uint64, error) {
	m, err := Load(f, Options{ContextLength: ctx, KVCacheF32: kvF32})
	if err != nil {
		return 0, err
	}
	return m.stateSizes().total(), nil
}

// readConfig reads the hyperparameters every supported architecture shares,
// with llama.cpp's defaults for optional keys, and checks they fit together.
func readConfig(f *gguf.File, arch string) (Config, error) {
	r := metaReader{f: f, prefix: arch + "."}
	c := Config{Arch: arch}
	c.TrainContextLength = r.int("context_length")
	c.EmbeddingLength = r.int("embedding_length")
	c.Layers = r.int("block_count")
	c.FeedForwardLength = r.int("feed_forward_length")
	c.Heads = r.int("attention.head_count")
	c.KVHeads = r.intOr("attention.head_count_kv", c.Heads)
	c.RMSNormEpsilon = r.float("attention.layer_norm_rms_epsilon")
	c.RopeFreqBase = r.floatOr("rope.freq_base", 10000)
	experts := r.intOr("expert_count", 0)
	if r.err != nil {
		return c, r.err
	}
	if experts > 0 {
		return c, fmt.Errorf("model: mixture-of-experts models (%sexpert_count %d) are not supported", r.prefix, experts)
	}
	if c.Heads == 0 {
		return c, fmt.Errorf("model: metadata key %sattention.head_count is 0", r.prefix)
	}
	c.HeadDim = r.intOr("attention.key_length", c.EmbeddingLength/c.Heads)
	if v := r.intOr("attention.value_length", c.HeadDim); v != c.HeadDim && r.err == nil {
		// llama.cpp's llama/qwen2/qwen3 graphs assert the same.
		return c, fmt.Errorf("model: attention.key_length %d differs from attention.value_length %d", c.HeadDim, v)
	}
	c.RopeDims = r.intOr("rope.dimension_count", c.HeadDim)
	// llama.cpp's default scaling type is linear; a factor of 0 means none.
	scaling := r.stringOr("rope.scaling.type", "linear")
	factor := r.floatOr("rope.scaling.factor", r.floatOr("rope.scale_linear", 0))
	if r.err != nil {
		return c, r.err
	}
	switch {
	case scaling != "none" && scaling != "linear":
		return c, fmt.Errorf("model: rope scaling type %q (%srope.scaling.type) is not supported", scaling, r.prefix)
	case scaling == "none" || factor == 0:
		c.RopeFreqScale = 1
	default:
		c.RopeFreqScale = 1 / factor
	}
	tok, ok := f.Tensor("token_embd.weight")
	if !ok || len(tok.Dims) != 2 {
		return c, errors.New("model: missing tensor token_embd.weight (or it is not a matrix)")
	}
	c.VocabSize = int(tok.Dims[1])

	switch {
	case c.TrainContextLength < 1 || c.EmbeddingLength < 1 || c.Layers < 1 || c.FeedForwardLength < 1 ||
		c.KVHeads < 1 || c.HeadDim < 1:
		return c, fmt.Errorf("model: zero size in hyperparameters %+v", c)
	case c.Heads%c.KVHeads != 0:
		return c, fmt.Errorf("model: %d attention heads are not a multiple of %d key/value heads", c.Heads, c.KVHeads)
	case c.RopeDims < 2 || c.RopeDims%2 != 0 || c.RopeDims > c.HeadDim:
		return c, fmt.Errorf("model: rope.dimension_count %d must be even, at least 2 and at most the head size %d", c.RopeDims, c.HeadDim)
	case !(c.RopeFreqBase > 0) || !(c.RopeFreqScale > 0) || math.IsInf(float64(c.RopeFreqScale), 0) || !(c.RMSNormEpsilon >= 0):
		return c, fmt.Errorf("model: invalid rope.freq_base %v, rope scale %v or rms epsilon %v", c.RopeFreqBase, c.RopeFreqScale, c.RMSNormEpsilon)
	}
	return c, nil
}

// metaReader reads keys under one prefix, keeping the first error so that a
// run of reads needs one check.
type metaReader struct {
	f      *gguf.File
	prefix string
	err    error
}

func (r *metaReader) fail(key, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("model: metadata key %s%s %s", r.prefix, key, fmt.Sprintf(format, args...))
	}
}

// int reads a required integer that fits an int32 (sizes in llama.cpp are
// uint32 or int32).
func (r *metaReader) int(key string) int {
	if _, ok := r.f.Get(r.prefix + key); !ok {
		r.fail(key, "is missing")
		return 0
	}
	return r.intOr(key, 0)
}

func (r *metaReader) intOr(key string, def int) int {
	v, ok := r.f.Get(r.prefix + key)
	if !ok {
		return def
	}
	n, ok := v.Uint()
	if !ok || n > math.MaxInt32 {
		r.fail(key, "is not an integer from 0 to 2³¹-1 (a %v)", v.Type)
		return 0
	}
	return int(n)
}

func (r *metaReader) float(key string) float32 {
	if _, ok := r.f.Get(r.prefix + key); !ok {
		r.fail(key, "is missing")
		return 0
	}
	return r.floatOr(key, 0)
}

func (r *metaReader) floatOr(key string, def float32) float32 {
	v, ok := r.f.Get(r.prefix + key)
	if !ok {
		return def
	}
	x, ok := v.Float()
	if !ok {
		r.fail(key, "is not a float (a %v)", v.Type)
	}
	return float32(x)
}

func (r *metaReader) stringOr(key string, def string) string {
	v, ok := r.f.Get(r.prefix + key)
	if !ok {
		return def
	}
	s, ok := v.V.(string)
	if !ok || v.Type != gguf.ValueString {
		r.fail(key, "is not a string (a %v)", v.Type)
	}
	return s
}

// matrix is a weight matrix in the file's mapping: rows of cols elements,
// each row rowBytes bytes of type typ (ggml shape [cols, rows]), bound from
// the GGUF tensor name (what State.Observe reports).
type matrix struct {
	name       string
	typ        gguf.Type
	data       []byte
	rows, cols int
	rowBytes   int
}

// binder binds tensors by name, checking shape and type, and keeps the first
// error so that an architecture's binding reads as a plain list.
type binder struct {
	f        *gguf.File
	cfg      *Config
	used     map[string]bool
	actBytes int
	err      error
}

func (b *binder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// has reports whether the file holds tensor name.
func (b *binder) has(name string) bool {
	_, ok := b.f.Tensor(name)
	return ok
}

// tensor returns the required tensor name after checking its shape.
func (b *binder) tensor(name string, dims ...int) (gguf.TensorInfo, bool) {
	t, ok := b.f.Tensor(name)
	if !ok {
		b.fail(fmt.Errorf("model: missing tensor %s", name))
		return t, false
	}
	b.used[name] = true
	match := len(t.Dims) == len(dims)
	for i := 0; match && i < len(dims); i++ {
		match = t.Dims[i] == uint64(dims[i])
	}
	if !match {
		b.fail(fmt.Errorf("model: tensor %s has shape %v, want %v", name, t.Dims, dims))
		return t, false
	}
	return t, true
}

// matrix binds a weight matrix of ggml shape [cols, rows] for multiplication.
func (b *binder) matrix(name string, cols, rows int) matrix {
	t, ok := b.tensor(name, cols, rows)
	if !ok {
		return matrix{}
	}
	if !kernels.Supported(t.Type) {
		b.fail(fmt.Errorf("model: tensor %s has type %v, which the engine cannot multiply", name, t.Type))
		return matrix{}
	}
	rb, _ := t.Type.RowBytes(cols) // the reader checked the row is whole blocks
	ab, _ := kernels.VecType(t.Type).RowBytes(cols)
	b.actBytes = max(b.actBytes, ab)
	return matrix{name: name, typ: t.Type, data: b.f.TensorData(t), rows: rows, cols: cols, rowBytes: rb}
}

// embeddings binds the token embedding table, whose rows are dequantized
// one token at a time (ggml's get_rows), so its type needs a dequantizer.
func (b *binder) embeddings(name string) matrix {
	m := b.matrix(name, b.cfg.EmbeddingLength, b.cfg.VocabSize)
	if m.data != nil && !quant.Supported(m.typ) {
		b.fail(fmt.Errorf("model: tensor %s has type %v, which the engine cannot dequantize", name, m.typ))
	}
	return m
}

// output binds the output projection output.weight, or the token
// embeddings when the file has none (tied embeddings), as llama.cpp does.
func (b *binder) output() matrix {
	name := "output.weight"
	if !b.has(name) {
		name = "token_embd.weight"
	}
	return b.matrix(name, b.cfg.EmbeddingLength, b.cfg.VocabSize)
}

// vector binds a float32 vector of n elements (norm weights, biases).
func (b *binder) vector(name string, n int) []float32 {
	t, ok := b.tensor(name, n)
	if !ok {
		return nil
	}
	if t.Type != gguf.F32 {
		b.fail(fmt.Errorf("model: tensor %s has type %v, want F32", name, t.Type))
		return nil
	}
	// GGUF aligns tensor data to at least 8 bytes, so the view is aligned.
	data := b.f.TensorData(t)
	return unsafe.Slice((*float32)(unsafe.Pointer(&data[0])), n)
}

// optVector binds vector name if the file has it, and returns nil otherwise.
func (b *binder) optVector(name string, n int) []float32 {
	if !b.has(name) {
		return nil
	}
	return b.vector(name, n)
}

// finish returns the first binding error, or an error naming a tensor the
// architecture does not use: such a file needs computation this engine does
// not do (llama.cpp likewise refuses files with unexpected tensors).
func (b *binder) finish() error {
	if b.err != nil {
		return b.err
	}
	for _, t := range b.f.Tensors {
		if !b.used[t.Name] {
			return fmt.Errorf("model: tensor %s is not used by the %s architecture", t.Name, b.cfg.Arch)
		}
	}
	return nil
}
