package sample

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Params are the generation settings a user can change. The zero value is
// greedy decoding with no penalty; Defaults gives llama.cpp's defaults.
type Params struct {
	// Temperature flattens (>1) or sharpens (<1) the distribution; 0 or less
	// means greedy: always the most likely token.
	Temperature float32
	TopK        int     // keep the K most likely tokens; 0 keeps all
	TopP        float32 // keep the smallest set whose probability reaches P; 0 or 1 keeps all
	MinP        float32 // drop tokens less likely than MinP × the top token's probability; 0 keeps all
	// RepeatPenalty > 1 makes tokens seen in the last RepeatLastN tokens less
	// likely (llama.cpp's rule: positive logits divided, negative multiplied).
	RepeatPenalty float32
	RepeatLastN   int
	Seed          uint64 // the same seed and inputs give the same tokens
}

// Defaults returns llama.cpp's default sampling settings (llama-cli).
func Defaults() Params {
	return Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1, RepeatLastN: 64}
}

// Sampler draws tokens with fixed Params. It keeps its random state and a
// candidate buffer between calls; not safe for concurrent use.
type Sampler struct {
	p     Params
	rng   *rand.Rand
	cands []candidate
}

type candidate struct {
	id    int32
	logit float32
	p     float32
}

// New returns a Sampler for p, seeded with p.Seed.
func New(p Params) *Sampler {
	return &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))}
}

// Sample returns the next token for logits (one per vocabulary entry).
// history is the sequence so far, for the repetition penalty. logits is not
// modified.
func (s *Sampler) Sample(logits []float32, history []int32) int32 {
	s.cands = s.cands[:0]
	for i, l := range logits {
		s.cands = append(s.cands, candidate{id: int32(i), logit: l})
	}
	s.penalize(history)
	if s.p.Temperature <= 0 {
		return greedy(s.cands)
	}
	c := s.cands
	// Most likely first; equal logits keep the lower id first, like llama.cpp.
	slices.SortStableFunc(c, func(a, b candidate) int {
		switch {
		case a.logit > b.logit:
			return -1
		case a.logit < b.logit:
			return 1
		}
		return 0
	})
	if k := s.p.TopK; k > 0 && k < len(c) {
		c = c[:k]
	}
	softmax(c, 1)
	if p := s.p.TopP; p > 0 && p < 1 {
		var cum float32
		for i := range c {
			cum += c[i].p
			if cum >= p {
				c = c[:i+1]
				break
			}
		}
	}
	if m := s.p.MinP; m > 0 {
		limit := m * c[0].p
		n := 1
		for n < len(c) && c[n].p >= limit {
			n++
		}
		c = c[:n]
	}
	softmax(c, s.p.Temperature)
	r := s.rng.Float32()
	var cum float32
	for _, cand := range c {
		cum += cand.p
		if r < cum {
			return cand.id
		}
	}
	return c[len(c)-1].id // r landed past the rounded total
}

// penalize applies the repetition penalty to the candidates of tokens that
// occur in the last RepeatLastN tokens of history (each token once).
func (s *Sampler) penalize(history []int32) {
	pen := s.p.RepeatPenalty
	if pen == 1 || pen <= 0 || s.p.RepeatLastN <= 0 {
		return
	}
	recent := history[max(0, len(history)-s.p.RepeatLastN):]
	seen := make(map[int32]bool, len(recent))
	for _, id := range recent {
		if seen[id] || id < 0 || int(id) >= len(s.cands) {
			continue
		}
		seen[id] = true
		c := &s.cands[id]
		if c.logit <= 0 {
			c.logit *= pen
		} else {
			c.logit /= pen
		}
	}
}

// greedy returns the most likely token; the lowest id wins a tie.
func greedy(c []candidate) int32 {
	best := 0
	for i := range c {
		if c[i].logit > c[best].logit {
			best = i
		}
	}
	return c[best].id
}

// softmax sets the candidates' probabilities from their logits divided by
// temp. Candidates are sorted, most likely first, so c[0] holds the maximum.
func softmax(c []candidate, temp float32) {
	maxL := c[0].logit
	var sum float64
	for i := range c {
		e := math.Exp(float64((c[i].logit - maxL) / temp))
		c[i].p = float32(e)
		sum += e
	}
	for i := range c {
		c[i].p = float32(float64(c[i].p) / sum)
	}
}
