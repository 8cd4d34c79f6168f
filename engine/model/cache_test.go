package model

import (
	"math"
	"testing"
)

// TestTokenByTokenMatchesBatch evaluates the ts5m prompt once as one batch
// and once a token at a time: the logits must agree, which shows the KV cache
// holds what the batch computed. The batch and single-token paths add their
// products in different orders (as llama.cpp's batch and single-token
// kernels do), so results differ by ulps; with an F16 cache, an ulp that
// flips a rounding to F16 shows up as ~1e-3 in the logits, hence the strict
// bound with an F32 cache and a loose one with F16. F32 weights keep the
// activations unquantized, where an ulp could flip an 8-bit level.
func TestTokenByTokenMatchesBatch(t *testing.T) {
	for _, c := range []struct {
		kvF32 bool
		tol   float64
	}{{true, 1e-4}, {false, 2e-3}} {
		m := loadRef(t, "models/ts5m-F32.gguf", Options{ContextLength: 64, KVCacheF32: c.kvF32})
		tokens := readIDs(t, "logits/ts5m.tokens")
		vocab := m.Config().VocabSize
		batch := make([]float32, len(tokens)*vocab)
		if err := m.NewState().Forward(tokens, 0, batch); err != nil {
			t.Fatal(err)
		}
		s := m.NewState()
		var worst float64
		for i, tok := range tokens {
			row := make([]float32, vocab)
			if err := s.Forward([]int32{tok}, i, row); err != nil {
				t.Fatal(err)
			}
			for j, v := range row {
				worst = max(worst, math.Abs(float64(v-batch[i*vocab+j])))
			}
		}
		t.Logf("KV cache F32=%v: max |Δlogit| token by token vs batch %.3g", c.kvF32, worst)
		if worst > c.tol {
			t.Errorf("KV cache F32=%v: max |Δlogit| %g > %g", c.kvF32, worst, c.tol)
		}
	}
}
