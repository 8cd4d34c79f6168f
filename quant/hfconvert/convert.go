package hfconvert

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"nibble/engine/gguf"
	"nibble/engine/safetensors"
	"nibble/engine/synth"
	"nibble/quant"
	"nibble/quant/hftokenizer"
)

// DefaultType is the output type when Options.Type is empty: F16, the
// default --outtype of convert_hf_to_gguf.py (c392e50).
const DefaultType = "F16"

// floatTypes are the --outtype choices the script has and Nibble keeps, with
// their general.file_type (llama_ftype).
var floatTypes = map[string]struct {
	typ      gguf.Type
	fileType uint32
}{
	"F32":  {gguf.F32, 0},
	"F16":  {gguf.F16, 1},
	"BF16": {gguf.BF16, 32},
}

// Options says how Convert writes the model.
type Options struct {
	// Type is F32, F16 or BF16 (a float model as the script writes it), or
	// the name of one of quant's mixes ("Q4_K_M"); "" means DefaultType.
	Type string
	// Importance, with a mix, is the importance matrix to quantize with
	// (see quant.Options).
	Importance *quant.Importance
	// Threads is how many goroutines quantize; 0 means one per CPU.
	Threads int
	// Progress, if set, is called as the conversion advances, never
	// concurrently. It must return quickly.
	Progress func(Progress)
}

// Progress reports how far a Convert call has come.
type Progress struct {
	// Step is "convert" while the weights are read and converted, then
	// "quantize" for a mix.
	Step       string
	Tensor     int    // index of the tensor in hand, 0-based
	Tensors    int    // tensors of the step
	Name       string // the tensor in hand
	BytesDone  int64  // input bytes done in this step
	BytesTotal int64  // input bytes of this step
}

// Result describes a finished conversion.
type Result struct {
	Arch        string // general.architecture
	Type        string // what was written: F32, F16, BF16 or the mix's name
	Tensors     int
	Params      uint64 // parameters (elements of all tensors)
	OutputBytes int64
	Elapsed     time.Duration
}

// tensor is one tensor of the output: where its data comes from and how.
type tensor struct {
	name    string
	typ     gguf.Type
	dims    []uint64 // ggml order
	src     safetensors.Ref
	heads   int    // > 0: apply LlamaModel.permute with this many heads
	content []byte // a generated F32 tensor (rope_freqs), instead of src
}

// ErrUnsupportedArchitecture is Convert's error for a model whose
// architecture (config.json's architectures[0]) it cannot convert; the
// error names it and those supported.
var ErrUnsupportedArchitecture = errors.New("unsupported architecture")

// Convert writes the Hugging Face model in folder dir to the GGUF file out,
// as convert_hf_to_gguf.py --outtype would for a float type, or as
// quant.QuantizeFile would make a mix of that conversion. Weights stream from
// the safetensors mappings one tensor at a time, and the pages read are
// given back as each tensor is done, so memory stays near the largest
// tensor's size. The output appears only when complete; an error or a
// cancelled ctx leaves nothing behind.
func Convert(ctx context.Context, dir, out string, opts Options) (Result, error) {
	start := time.Now()
	typeName := opts.Type
	if typeName == "" {
		typeName = DefaultType
	}
	var mix *quant.Mix
	if _, ok := floatTypes[typeName]; !ok {
		m, err := quant.LookupMix(typeName)
		if err != nil {
			return Result{}, err
		}
		mix = &m
	}

	cfg, err := readConfig(dir)
	if err != nil {
		return Result{}, err
	}
	archName, err := cfg.architecture()
	if err != nil {
		return Result{}, err
	}
	a, ok := archs[archName]
	if !ok {
		return Result{}, fmt.Errorf("%w %s (supported: %s)", ErrUnsupportedArchitecture, archName, strings.Join(Architectures(), ", "))
	}
	model, err := safetensors.OpenModel(dir)
	if err != nil {
		return Result{}, err
	}
	defer model.Close()

	// A mix is made from the float conversion that loses nothing: the
	// checkpoint's own type when all its matrices share one.
	floatName := typeName
	if mix != nil {
		floatName = losslessType(model)
	}
	ft := floatTypes[floatName]
	tensors, err := plan(cfg, a, model, ft.typ)
	if err != nil {
		return Result{}, err
	}
	var params uint64
	for _, t := range tensors {
		params += elements(t.dims)
	}

	md := kvs{{Key: "general.architecture", Value: gguf.String(a.name)}}
	md = append(md, general(cfg, filepath.Base(filepath.Clean(dir)), params)...)
	hp, err := hyperparameters(cfg, a, ft.fileType)
	if err != nil {
		return Result{}, err
	}
	md = append(md, hp...)
	vocab, _, _ := cfg.uint("vocab_size")
	tok, err := hftokenizer.Metadata(dir, hftokenizer.Config{Arch: archName, VocabSize: int(vocab)})
	if err != nil {
		return Result{}, err
	}
	md = append(md, tok...)
	md.add("general.quantization_version", gguf.Uint32(quant.QuantizationVersion))

	floatOut := out
	if mix != nil {
		// Beside the output, so it is on the same disk and never in /tmp.
		floatOut = filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".convert-"+floatName+".gguf")
		defer os.Remove(floatOut)
	}
	if err := write(ctx, floatOut, md, tensors, opts.Progress); err != nil {
		return Result{}, err
	}
	res := Result{Arch: a.name, Type: floatName, Tensors: len(tensors), Params: params}
	if mix != nil {
		model.Close() // the float file holds everything now
		qopts := quant.Options{Mix: *mix, Threads: opts.Threads, Importance: opts.Importance}
		if opts.Progress != nil {
			qopts.Progress = func(p quant.Progress) {
				opts.Progress(Progress{Step: "quantize", Tensor: p.Tensor, Tensors: p.Tensors, Name: p.Name,
					BytesDone: p.BytesDone, BytesTotal: p.BytesTotal})
			}
		}
		if _, err := quant.QuantizeFile(ctx, floatOut, out, qopts); err != nil {
			return Result{}, err
		}
		res.Type = mix.Name
	}
	if st, err := os.Stat(out); err == nil {
		res.OutputBytes = st.Size()
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// losslessType returns the float type that holds every matrix of the
// checkpoint exactly: BF16 or F16 when all are of that type, else F32.
func losslessType(m *safetensors.Model) string {
	seen := map[gguf.Type]bool{}
	for _, r := range m.Tensors {
		if len(r.Shape) > 1 {
			seen[r.Type] = true
		}
	}
	switch {
	case len(seen) == 1 && seen[gguf.BF16]:
		return "BF16"
	case len(seen) == 1 && seen[gguf.F16]:
		return "F16"
	}
	return "F32"
}

// plan lists the output tensors in the script's order: Llama 3's generated
// rope_freqs first, then the checkpoint's, named, typed and permuted as the
// script does (Model.prepare_tensors, LlamaModel.modify_tensors).
func plan(cfg config, a arch, m *safetensors.Model, outType gguf.Type) ([]tensor, error) {
	layers, err := cfg.need("n_layers", "num_hidden_layers", "n_layer", "num_layers")
	if err != nil {
		return nil, err
	}
	var out []tensor
	if a.llama {
		rf, err := ropeFreqs(cfg)
		if err != nil {
			return nil, err
		}
		if rf != nil {
			b := make([]byte, 4*len(rf))
			quant.QuantizeF32(b, rf)
			out = append(out, tensor{name: "rope_freqs.weight", typ: gguf.F32, dims: []uint64{uint64(len(rf))}, content: b})
		}
	}
	var heads, kvHeads uint32
	if a.llama {
		if heads, err = cfg.need("num_attention_heads"); err != nil {
			return nil, err
		}
		kvHeads = heads
		if v, ok, err := cfg.uint("num_key_value_heads"); err != nil {
			return nil, err
		} else if ok {
			kvHeads = v
		}
	}
	seen := map[string]string{}
	for _, r := range m.Tensors {
		if skipped(r.Name) {
			continue
		}
		name, err := ggufName(a, r.Name, int(layers))
		if err != nil {
			return nil, err
		}
		if other, dup := seen[name]; dup {
			return nil, fmt.Errorf("tensors %s and %s both map to %s", other, r.Name, name)
		}
		seen[name] = r.Name
		if len(r.Shape) > gguf.MaxDims {
			return nil, fmt.Errorf("tensor %s has %d dimensions; GGUF allows %d", r.Name, len(r.Shape), gguf.MaxDims)
		}
		t := tensor{name: name, typ: outType, src: r, dims: make([]uint64, len(r.Shape))}
		for i, d := range r.Shape {
			t.dims[len(r.Shape)-1-i] = d
		}
		if len(t.dims) <= 1 || strings.HasSuffix(name, "_norm.weight") || !strings.HasSuffix(name, ".weight") {
			t.typ = gguf.F32
		}
		if a.llama {
			switch {
			case strings.HasSuffix(r.Name, "q_proj.weight"), strings.HasSuffix(r.Name, "q_proj.bias"):
				t.heads = int(heads)
			case strings.HasSuffix(r.Name, "k_proj.weight"), strings.HasSuffix(r.Name, "k_proj.bias"):
				t.heads = int(kvHeads)
			}
			if t.heads > 0 && (len(r.Shape) == 0 || r.Shape[0]%uint64(2*t.heads) != 0) {
				return nil, fmt.Errorf("tensor %s of shape %v does not split into %d heads", r.Name, r.Shape, t.heads)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// ropeFreqs returns Llama 3's rope_freqs.weight when rope_scaling has
// rope_type "llama3", else nil; defaults as LlamaModel.generate_extra_tensors
// (original_max_position_embeddings is read from the top level of
// config.json there, so it is 8192 for Llama 3.1/3.2's configs).
func ropeFreqs(cfg config) ([]float32, error) {
	rs := cfg.ropeScaling()
	if kind, _ := rs["rope_type"].(string); !strings.EqualFold(kind, "llama3") {
		return nil, nil
	}
	num := func(c config, key string, def float64) (float64, error) {
		v, ok, err := c.float(key)
		if !ok {
			v = def
		}
		return v, err
	}
	var vals [5]float64
	for i, f := range []struct {
		c   config
		key string
		def float64
	}{
		{cfg, "rope_theta", 10000}, {config(rs), "factor", 8}, {config(rs), "low_freq_factor", 1},
		{config(rs), "high_freq_factor", 4}, {cfg, "original_max_position_embeddings", 8192},
	} {
		v, err := num(f.c, f.key, f.def)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if vals[2] == vals[3] {
		return nil, fmt.Errorf("config.json: rope_scaling low_freq_factor equals high_freq_factor")
	}
	dim, err := headDim(cfg)
	if err != nil {
		return nil, err
	}
	r := synth.Llama3Rope{Factor: float32(vals[1]), LowFreqFactor: float32(vals[2]),
		HighFreqFactor: float32(vals[3]), OriginalContext: int(vals[4])}
	return r.Factors(float32(vals[0]), int(dim)), nil
}

func elements(dims []uint64) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}
