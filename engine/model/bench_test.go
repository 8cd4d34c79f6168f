package model

import "testing"

// The speed of one thread on ts5m: the 64-token prompt as one batch, and
// decoding one token at position 64.
func BenchmarkForward(b *testing.B) {
	for _, typ := range []string{"F32", "Q4_K_M"} {
		m := loadRef(b, "models/ts5m-"+typ+".gguf", Options{ContextLength: 128, Threads: 1})
		tokens := readIDs(b, "logits/ts5m.tokens")
		logits := make([]float32, m.Config().VocabSize)
		s := m.NewState()
		b.Run(typ+"/prompt", func(b *testing.B) {
			for b.Loop() {
				s.Truncate(0)
				if err := s.Forward(tokens, 0, logits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(tokens))/b.Elapsed().Seconds(), "tok/s")
		})
		b.Run(typ+"/decode", func(b *testing.B) {
			for b.Loop() {
				s.Truncate(len(tokens))
				if err := s.Forward(tokens[:1], len(tokens), logits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
