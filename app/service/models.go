package service

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/dustin/go-humanize"

	"nibble/assets"
	"nibble/engine/hw"
	"nibble/engine/synth"
	"nibble/quant/advise"
)

// CuratedModel is one model of the curated list shipped with Nibble
// (assets/models.json): what to tell the user, where to download it, and its
// shape, from which its sizes are computed before any file is on disk.
type CuratedModel struct {
	ID          string `json:"id"`
	Family      string `json:"family"`
	Name        string `json:"name"`        // display name
	Description string `json:"description"` // one line for a non-technical user
	License     string `json:"license"`
	// GGUFRepo holds ready GGUF files (Files); SafetensorsRepo the original
	// weights, to convert and quantize locally for levels with no file.
	GGUFRepo        string `json:"gguf_repo"`
	SafetensorsRepo string `json:"safetensors_repo"`
	Params          uint64 `json:"params"`

	Arch      string  `json:"arch"`      // general.architecture: llama or qwen2
	Tokenizer string  `json:"tokenizer"` // spm or bpe
	Layers    int     `json:"layers"`
	Heads     int     `json:"heads"`
	KVHeads   int     `json:"kv_heads"`
	HeadDim   int     `json:"head_dim"`
	Embd      int     `json:"embedding_length"`
	FFN       int     `json:"feed_forward_length"`
	Vocab     int     `json:"vocab_size"`
	Context   int     `json:"context_length"`
	RopeBase  float32 `json:"rope_base"`
	Tied      bool    `json:"tied_embeddings"`
	QKVBias   bool    `json:"qkv_bias"`
	// Files names the GGUF file in GGUFRepo for each level it has. (The
	// file's "checked": false marks entries not verified against the hub;
	// Get finds a renamed file by its level.)
	Files map[string]string `json:"files"`
}

// Shape returns the model's shape for the advisor (advise.FromShape).
func (m CuratedModel) Shape() (synth.Shape, error) {
	var family synth.Family
	switch m.Arch + "/" + m.Tokenizer {
	case "llama/spm":
		family = synth.TinyLlama
	case "llama/bpe":
		family = synth.Llama3
	case "qwen2/bpe":
		family = synth.Qwen2
	default:
		return synth.Shape{}, fmt.Errorf("model %s: architecture %q with tokenizer %q is not one Nibble runs", m.ID, m.Arch, m.Tokenizer)
	}
	s := synth.Shape{
		Name: m.ID, Family: family,
		Layers: m.Layers, Embd: m.Embd, Heads: m.Heads, KVHeads: m.KVHeads, FFN: m.FFN, Vocab: m.Vocab,
		Context: m.Context, RopeBase: m.RopeBase, Tied: m.Tied, QKVBias: m.QKVBias,
	}
	if m.Heads == 0 || m.Layers == 0 || s.HeadDim() != m.HeadDim {
		return synth.Shape{}, fmt.Errorf("model %s: head_dim %d is not embedding_length %d / heads %d", m.ID, m.HeadDim, m.Embd, m.Heads)
	}
	return s, nil
}

// advisorModel is the advisor's view of m (advise.FromShape) at the
// advisor's default context: every level's file size and the memory to run
// it, from m's shape alone.
func (m CuratedModel) advisorModel() (advise.Model, error) {
	shape, err := m.Shape()
	if err != nil {
		return advise.Model{}, err
	}
	am, err := advise.FromShape(shape, 0)
	if err != nil {
		return advise.Model{}, fmt.Errorf("model %s: %w", m.ID, err)
	}
	return am, nil
}

// Curated returns the curated list shipped with Nibble, in the file's order.
func Curated() ([]CuratedModel, error) {
	var list struct {
		Models []CuratedModel `json:"models"`
	}
	if err := json.Unmarshal(assets.ModelsJSON, &list); err != nil {
		return nil, fmt.Errorf("read the list of models: %w", err)
	}
	return list.Models, nil
}

// Suggestion is one curated model with the advisor's verdict for a computer
// and the level to download.
type Suggestion struct {
	Model  CuratedModel
	Advice advise.Advice
	// Level is the prediction of the level to download (see Suggest); its
	// Type is "" and its Verdict TooLarge when no level fits.
	Level advise.Level
	// Reason says in one sentence why that level.
	Reason string
	// File is the ready GGUF file of Level in Model.GGUFRepo; "" when there
	// is none and the level is made from Model.SafetensorsRepo.
	File string
}

// smallerReadyLevel returns the smallest level of m smaller than rec that
// runs well, has a ready file and the quality of rec in the advisor's words:
// the advisor picks the best quality that runs well, often the 16-bit
// original, but a download that is several times smaller and faster to
// answer with no loss a person would notice serves better. False when
// there is none.
func smallerReadyLevel(m CuratedModel, a advise.Advice, rec advise.Level) (advise.Level, bool) {
	var best advise.Level
	found := false
	for _, l := range a.Levels {
		if m.Files[l.Type] == "" || l.Unavailable != "" || l.Verdict != advise.RunsWell ||
			l.Quality != rec.Quality || l.FileBytes >= rec.FileBytes {
			continue
		}
		if !found || l.FileBytes < best.FileBytes {
			best, found = l, true
		}
	}
	return best, found
}

// runsWellAtGoodLevel reports whether s belongs at the top of the list.
func (s Suggestion) runsWellAtGoodLevel() bool {
	return s.Level.Verdict == advise.RunsWell && s.Level.Quality != advise.LargeLoss
}

// Suggest gives the advisor's verdict for each model on computer r at the
// advisor's default context, computed from the models' shapes alone.
// Order: models that run well at a level without large quality loss come
// first, the largest (most parameters) first, since a larger model answers
// better; then those that only just fit, then those too large, each the
// smallest first, since that is the closest to running.
func Suggest(models []CuratedModel, r hw.Report) ([]Suggestion, error) {
	var out []Suggestion
	for _, m := range models {
		am, err := m.advisorModel()
		if err != nil {
			return nil, err
		}
		a, err := advise.Advise(am, advise.Options{Hardware: r})
		if err != nil {
			return nil, err
		}
		s := Suggestion{Model: m, Advice: a, Reason: a.Reason, Level: advise.Level{Prediction: advise.Prediction{Verdict: advise.TooLarge}}}
		if i := slices.IndexFunc(a.Levels, func(l advise.Level) bool { return l.Type == a.Recommended }); a.Recommended != "" && i >= 0 {
			s.Level = a.Levels[i]
			if l, ok := smallerReadyLevel(m, a, s.Level); ok {
				s.Level = l
				s.Reason = fmt.Sprintf("%s runs well on this computer (it needs about %s): a smaller download than %s "+
					"that answers faster, with the same quality in use (%s).", l.Type, humanize.IBytes(l.MemoryBytes), a.Recommended, l.Quality)
			}
			s.File = m.Files[s.Level.Type]
		}
		out = append(out, s)
	}
	rank := func(s Suggestion) int {
		switch {
		case s.runsWellAtGoodLevel():
			return 0
		case s.Level.Verdict != advise.TooLarge:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if rank(a) == 0 {
			return cmp.Compare(b.Model.Params, a.Model.Params)
		}
		return cmp.Compare(a.Model.Params, b.Model.Params)
	})
	return out, nil
}
