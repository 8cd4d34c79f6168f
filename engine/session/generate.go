package session

import (
	"context"
	"errors"
	"strings"
	"time"

	"nibble/engine/model"
	"nibble/engine/sample"
)

// Params say how to generate.
type Params struct {
	Sampling  sample.Params
	MaxTokens int      // stop after this many tokens; 0: until the context is full
	Stop      []string // stop when the text produced contains one of these (not emitted)
}

// StopReason says why generation ended.
type StopReason string

const (
	StopEnd       StopReason = "end"       // the model ended its answer (end-of-generation token)
	StopString    StopReason = "stop"      // a stop string appeared
	StopMaxTokens StopReason = "length"    // MaxTokens reached
	StopContext   StopReason = "context"   // the context is full
	StopCancelled StopReason = "cancelled" // the caller's context was cancelled
)

// Stats describe one generation.
type Stats struct {
	PromptTokens    int           // tokens evaluated for the prompt (not those already cached)
	PromptTime      time.Duration // time to evaluate them
	GeneratedTokens int
	GenerateTime    time.Duration
	Reason          StopReason
	// TrimmedMessages is how many of the oldest messages were left out
	// because the conversation no longer fits the context.
	TrimmedMessages int
}

// PromptTokensPerSecond is the prompt evaluation speed.
func (s Stats) PromptTokensPerSecond() float64 { return perSecond(s.PromptTokens, s.PromptTime) }

// GenerateTokensPerSecond is the generation speed.
func (s Stats) GenerateTokensPerSecond() float64 { return perSecond(s.GeneratedTokens, s.GenerateTime) }

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// generate evaluates tokens[st.Len():] and then samples until a stop,
// passing text to emit as it becomes final (complete UTF-8, never part of a
// possible stop string). It returns the text generated (without any stop
// string) and the ids evaluated after the prompt. Cancellation is not an
// error: the text so far is returned with Reason StopCancelled.
//
// continuing says the text continues the prompt's, so a leading space of the
// first token is kept; otherwise it starts a new text (a chat answer), and
// the space SentencePiece models put before the first word is dropped.
func (m *Model) generate(ctx context.Context, st *model.State, tokens []int32, continuing bool, p Params,
	emit func(string)) (string, []int32, Stats, error) {
	var stats Stats
	cfg := m.model.Config()
	logits := make([]float32, cfg.VocabSize)

	start := time.Now()
	newTokens := tokens[st.Len():]
	stats.PromptTokens = len(newTokens)
	if err := forwardChunks(ctx, st, newTokens, logits); err != nil {
		if errors.Is(err, context.Canceled) {
			stats.Reason = StopCancelled
			return "", nil, stats, nil
		}
		return "", nil, stats, err
	}
	stats.PromptTime = time.Since(start)

	start = time.Now()
	defer func() { stats.GenerateTime = time.Since(start) }()
	sampler := sample.New(p.Sampling)
	dec := m.tok.NewStreamDecoder()
	if continuing {
		for _, id := range tokens {
			dec.Next(id) // the prompt's text is the caller's; only its state matters
		}
	}
	out := newStopFilter(p.Stop, emit)
	history := append([]int32(nil), tokens...)
	var generated []int32
	for {
		if ctx.Err() != nil {
			stats.Reason = StopCancelled
			break
		}
		next := sampler.Sample(logits, history)
		if m.tok.IsEOG(next) {
			stats.Reason = StopEnd
			break
		}
		stats.GeneratedTokens++
		if out.write(dec.Next(next)) {
			stats.Reason = StopString
			break
		}
		if p.MaxTokens > 0 && stats.GeneratedTokens >= p.MaxTokens {
			stats.Reason = StopMaxTokens
			break
		}
		if st.Len() >= cfg.ContextLength {
			stats.Reason = StopContext
			break
		}
		if err := st.Forward([]int32{next}, st.Len(), logits); err != nil {
			return out.text(), generated, stats, err
		}
		generated = append(generated, next)
		history = append(history, next)
	}
	if stats.Reason != StopString {
		out.write(dec.Flush())
		out.flush()
	}
	stats.GenerateTime = time.Since(start)
	return out.text(), generated, stats, nil
}

// promptChunk is how many prompt tokens are evaluated between checks for
// cancellation: a long prompt can be stopped within a fraction of a second.
const promptChunk = 64

// forwardChunks evaluates tokens in chunks, leaving the logits after the last
// one in logits, and stops early if ctx is cancelled.
func forwardChunks(ctx context.Context, st *model.State, tokens []int32, logits []float32) error {
	for len(tokens) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(promptChunk, len(tokens))
		var out []float32
		if n == len(tokens) {
			out = logits
		}
		if err := st.Forward(tokens[:n], st.Len(), out); err != nil {
			return err
		}
		tokens = tokens[n:]
	}
	return nil
}

// stopFilter passes generated text on to emit, holding back any tail that
// could be the start of a stop string, and reports when one appears.
type stopFilter struct {
	stops   []string
	emit    func(string)
	all     strings.Builder // everything accepted, stop string excluded
	pending string          // accepted but not yet emitted
}

func newStopFilter(stops []string, emit func(string)) *stopFilter {
	if emit == nil {
		emit = func(string) {}
	}
	return &stopFilter{stops: stops, emit: emit}
}

// write adds s and reports whether a stop string is now complete; the text
// before it is emitted and the rest discarded.
func (f *stopFilter) write(s string) bool {
	f.pending += s
	for _, stop := range f.stops {
		if stop == "" {
			continue
		}
		if i := strings.Index(f.pending, stop); i >= 0 {
			f.pending = f.pending[:i]
			f.flush()
			return true
		}
	}
	hold := 0 // longest tail of pending that begins some stop string
	for _, stop := range f.stops {
		for n := min(len(stop)-1, len(f.pending)); n > hold; n-- {
			if strings.HasPrefix(stop, f.pending[len(f.pending)-n:]) {
				hold = n
				break
			}
		}
	}
	f.release(len(f.pending) - hold)
	return false
}

func (f *stopFilter) flush() { f.release(len(f.pending)) }

func (f *stopFilter) release(n int) {
	if n <= 0 {
		return
	}
	f.emit(f.pending[:n])
	f.all.WriteString(f.pending[:n])
	f.pending = f.pending[n:]
}

func (f *stopFilter) text() string { return f.all.String() + f.pending }
