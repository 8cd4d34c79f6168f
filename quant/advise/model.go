package advise

import (
	"fmt"
	"os"
	"slices"

	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/session"
	"nibble/quant"
)

// Model is what the advisor knows about one model file: its own size and
// level, and the size every level of quant.Mixes would have if made from it.
// Read fills it in from the file; tests and callers that already know the
// figures may build one themselves.
type Model struct {
	Name    string // general.name, or "" when the file has none
	Arch    string // general.architecture
	Params  uint64 // parameters (elements of all tensors)
	Context int    // positions of context the memory figures are for
	// Type is the file's own level: the name of the quant.Mixes entry its
	// general.file_type stands for, or "" when it is none of them.
	Type string
	// File is the file as it is; Levels holds one entry per quant.Mixes
	// entry, in the same order.
	File   Size
	Levels []Size
	// Unavailable says, by level name, why a level cannot be made from
	// this file (llama-quantize refuses it too: rows that are no whole
	// number of its blocks); those levels' Sizes are zero.
	Unavailable map[string]string
	// HeaderBytes is the size of the file's metadata and tensor list (the
	// offset of its tensor data), which the tokenizer's tables grow from.
	HeaderBytes uint64
	// StateBytes is model.EstimateMemory at Context: the KV cache and run
	// buffers one conversation allocates. Only its buffer of encoded matrix
	// inputs depends on the level, by well under 1 % of the memory needed,
	// so the file's own figure serves for every level.
	StateBytes uint64
}

// Size is what a model file at one level weighs.
type Size struct {
	FileBytes uint64 // the whole file
	// TokenBytes are the weights read to generate one token: every tensor,
	// except that only one row of the token embeddings is read when the
	// model has its own output matrix.
	TokenBytes uint64
}

// Read opens the GGUF model at path and computes its Model at ctx positions
// of context; ctx 0 means session.DefaultContextLength, or the model's own
// context when that is shorter. Each level's size is that of the file
// quant.QuantizeFile would write from this one: exact for the tensor data
// (quant's plan gives each tensor the type llama-quantize would), and within
// one alignment unit (32 bytes) for the header; levels llama-quantize
// would refuse are in Unavailable. It reads the metadata only and costs
// well under a second; it fails when the file is no model the engine can
// load.
func Read(path string, ctx int) (Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return Model{}, err
	}
	defer f.Close()
	st, err := os.Stat(path)
	if err != nil {
		return Model{}, err
	}
	arch := f.Architecture()
	if ctx == 0 {
		ctx = session.DefaultContextLength
		if train, ok := f.Uint(arch + ".context_length"); ok && train > 0 && train < uint64(ctx) {
			ctx = int(train)
		}
	}
	state, err := model.EstimateMemory(f, ctx, false)
	if err != nil {
		return Model{}, err
	}
	name, _ := f.String("general.name")
	m := Model{
		Name:        name,
		Arch:        arch,
		Params:      f.ParamCount(),
		Context:     ctx,
		HeaderBytes: f.DataOffset,
		StateBytes:  state,
	}
	if ft, ok := f.Uint("general.file_type"); ok {
		if mix, ok := quant.MixForFileType(uint32(ft)); ok {
			m.Type = mix.Name
		}
	}
	own := make([]gguf.Type, len(f.Tensors))
	for i, t := range f.Tensors {
		own[i] = t.Type
	}
	if m.File, err = size(f.Tensors, f.Alignment, f.DataOffset, own); err != nil {
		return Model{}, err
	}
	m.File.FileBytes = uint64(st.Size()) // the file itself, trailing bytes included
	header := quantizedHeader(f)
	for _, mix := range quant.Mixes() {
		plan, err := mix.Plan(f, f.Tensors)
		var s Size
		if err == nil {
			s, err = size(f.Tensors, f.Alignment, header, plan)
		}
		if err != nil {
			if m.Unavailable == nil {
				m.Unavailable = map[string]string{}
			}
			m.Unavailable[mix.Name] = err.Error()
		}
		m.Levels = append(m.Levels, s)
	}
	return m, nil
}

// quantizedHeader returns the size of the header quant.QuantizeFile writes
// for f: f's own, plus the two keys it sets when f lacks them (a file fresh
// from a converter has no general.quantization_version), rounded up to the
// alignment. That is exact or one alignment unit too much: f does not record
// where its header's padding begins.
func quantizedHeader(f *gguf.File) uint64 {
	var extra uint64
	for _, key := range []string{"general.quantization_version", "general.file_type"} {
		if _, ok := f.Get(key); !ok {
			extra += 8 + uint64(len(key)) + 4 + 4 // key length, key, value type, uint32 value
		}
	}
	return f.DataOffset + (extra+f.Alignment-1)/f.Alignment*f.Alignment
}

// size adds up tensors with types[i] for tensor i: the file (header bytes,
// then each tensor padded to align) and the bytes read per token.
func size(tensors []gguf.TensorInfo, align, header uint64, types []gguf.Type) (Size, error) {
	untied := slices.ContainsFunc(tensors, func(t gguf.TensorInfo) bool { return t.Name == "output.weight" })
	s := Size{FileBytes: header}
	for i, t := range tensors {
		row, ok := types[i].RowBytes(int(t.Dims[0]))
		if !ok {
			return Size{}, fmt.Errorf("tensor %s: rows of %d values do not fit type %v", t.Name, t.Dims[0], types[i])
		}
		n := uint64(row) * t.Rows()
		s.FileBytes += (n + align - 1) / align * align
		if untied && t.Name == "token_embd.weight" {
			s.TokenBytes += uint64(row)
		} else {
			s.TokenBytes += n
		}
	}
	return s, nil
}
