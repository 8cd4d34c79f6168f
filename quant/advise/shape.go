package advise

import (
	"fmt"

	"nibble/engine/gguf"
	"nibble/engine/session"
	"nibble/engine/synth"
	"nibble/quant"
)

// alignment is general.alignment's default, which converters keep.
const alignment = 32

// Header bytes per vocabulary token of a file with no weights yet: the
// token's text, its length, score and type (SentencePiece, 20 bytes), plus a
// merge (byte-level BPE, 30 bytes). Fitted to TinyLlama's (32,000 tokens),
// Llama 3's (128,256) and Qwen2's (151,936) headers; the rest of the header
// is a few kilobytes.
const (
	headerPerToken    = 20
	headerPerBPEToken = 30
	headerRest        = 8 << 10
)

// FromShape returns the Model of a model in shape s that is not on this
// computer — a model to download — at ctx positions of context (0: as in
// Read). The levels' tensor data are exact (synth's tensor list with quant's
// plan, as for a file); the header is estimated from the vocabulary
// (headerPerToken), which is under 1 % of any file. StateBytes follows
// model.EstimateMemory's formula: the KV cache exactly, the run buffers for
// one batch of 64 positions. File is the model in F16, as models are
// published, so every level but F32 is offered.
func FromShape(s synth.Shape, ctx int) (Model, error) {
	if ctx == 0 {
		ctx = min(session.DefaultContextLength, s.Context)
	}
	perToken := uint64(headerPerToken)
	if s.Family != synth.TinyLlama {
		perToken = headerPerBPEToken
	}
	header := (headerRest + perToken*uint64(s.Vocab) + alignment - 1) / alignment * alignment
	m := Model{
		Name:        s.Name,
		Arch:        s.Arch(),
		Context:     ctx,
		HeaderBytes: header,
		StateBytes:  stateBytes(s, ctx),
	}
	for _, mix := range quant.Mixes() {
		plan, err := s.Plan(mix)
		var sz Size
		if err == nil {
			m.Params = 0
			types := make([]gguf.Type, len(plan))
			for i, t := range plan {
				types[i] = t.Type
				m.Params += t.Elements()
			}
			sz, err = size(plan, alignment, header, types)
		}
		if err != nil {
			if m.Unavailable == nil {
				m.Unavailable = map[string]string{}
			}
			m.Unavailable[mix.Name] = fmt.Sprint(err)
		}
		m.Levels = append(m.Levels, sz)
		if mix.Name == "F16" {
			m.File = sz
		}
	}
	return m, nil
}

// stateBytes is model.EstimateMemory for shape s at ctx positions with an
// F16 KV cache: the cache, and the float32 run buffers of one batch (the
// attention scratch per thread is a few hundred kilobytes, left out).
func stateBytes(s synth.Shape, ctx int) uint64 {
	hd := s.HeadDim()
	kv := uint64(2 * s.Layers * ctx * s.KVHeads * hd * 2)
	batch := min(64, ctx)
	qw, kvw := s.Heads*hd, s.KVHeads*hd
	floats := batch * (2*s.Embd + 2*qw + 2*kvw + 2*s.FFN + hd)
	return kv + 4*uint64(floats)
}
