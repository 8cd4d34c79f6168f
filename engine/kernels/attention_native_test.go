//go:build !purego && (amd64 || arm64)

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"nibble/engine/gguf"
	"nibble/quant"
)

// nativeAttention reports whether init replaced the Go attention products.
func nativeAttention() bool {
	return reflect.ValueOf(kvScores).Pointer() != reflect.ValueOf(kvScoresGo).Pointer()
}

// halfRound returns x rounded to the nearest F16, as the model rounds
// queries and probabilities for an F16 cache.
func halfRound(x float32) float32 { return quant.FP16ToFP32(quant.FP32ToFP16(x)) }

// attentionData is an F16 cache of keys and values (rows of two KV heads),
// a query and probabilities, all made of F16 values by one generator per
// kind.
type attentionData struct {
	name         string
	keys, values func(r *rand.Rand) float32
	q, probs     func(r *rand.Rand) float32
}

func uniform(lo, hi float64) func(r *rand.Rand) float32 {
	return func(r *rand.Rand) float32 { return float32(lo + (hi-lo)*r.Float64()) }
}

func constant(x float32) func(r *rand.Rand) float32 {
	return func(*rand.Rand) float32 { return x }
}

// spread draws signed values whose exponents cover the F16 range from the
// smallest subnormal to near the largest finite value (65504).
func spread(r *rand.Rand) float32 {
	x := float32(math.Ldexp(1+r.Float64(), r.IntN(40)-24))
	if r.IntN(2) == 0 {
		x = -x
	}
	return min(max(x, -65504), 65504)
}

func attentionCases() []attentionData {
	normal := func(r *rand.Rand) float32 { return float32(r.NormFloat64()) }
	subnormal := func(r *rand.Rand) float32 { // k·2^-24, k < 1024: F16 subnormals
		return float32(math.Ldexp(float64(r.IntN(2047)-1023), -24))
	}
	large := func(r *rand.Rand) float32 {
		x := float32(60000 + 5504*r.Float64())
		if r.IntN(2) == 0 {
			x = -x
		}
		return x
	}
	return []attentionData{
		{"random", normal, normal, normal, uniform(0, 1)},
		{"zeros", constant(0), constant(0), constant(0), uniform(0, 1)},
		{"negative zeros", constant(float32(math.Copysign(0, -1))), constant(float32(math.Copysign(0, -1))), normal, uniform(0, 1)},
		{"large", large, large, large, uniform(0, 1)},
		{"subnormal", subnormal, subnormal, subnormal, uniform(0, 1)},
		{"spread", spread, spread, spread, uniform(0, 1)},
		{"equal probabilities", normal, normal, normal, constant(1.0 / 3)},
		{"zero probabilities", normal, normal, normal, constant(0)},
	}
}

// kvCache returns rows rows of two heads of hd F16 values each.
func kvCache(t testing.TB, r *rand.Rand, rows, hd int, gen func(*rand.Rand) float32) []byte {
	x := make([]float32, rows*2*hd)
	for i := range x {
		x[i] = gen(r)
	}
	return encode(t, gguf.F16, x)
}

func f16Vector(r *rand.Rand, n int, gen func(*rand.Rand) float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = halfRound(gen(r))
	}
	return x
}

// sameBits fails unless got and want hold the same float32 bits.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %g (%#x), Go gives %g (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestAttentionNativeMatchesGo compares the native attention products with
// the Go ones bit for bit, in both orders, for head sizes of llama.cpp's
// models and position counts around the lane counts (16, 64, and the
// single-token weighted sum's padding to 32), on random and edge data.
func TestAttentionNativeMatchesGo(t *testing.T) {
	if !nativeAttention() {
		t.Skip("no native attention products on this CPU/build")
	}
	counts := []int{992, 993, 1000, 1023, 1024, 1025, 1055, 1056, 1057}
	for n := 1; n <= 200; n++ {
		counts = append(counts, n)
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, c := range attentionCases() {
		for _, hd := range []int{16, 32, 64, 80, 128, 256} {
			rows := counts[len(counts)-1]
			if c.name != "random" {
				rows = 200 // the long counts only for random data
			}
			keys, values := kvCache(t, r, rows, hd, c.keys), kvCache(t, r, rows, hd, c.values)
			stride := 2 * hd * 2
			for _, n := range counts {
				if n > rows {
					continue
				}
				off := n % 2 * hd * 2 // bytes to the head's columns: heads 0 and 1
				q, probs := f16Vector(r, hd, c.q), f16Vector(r, n, c.probs)
				if c.name == "random" && n%3 == 0 { // all the weight on one position
					clear(probs)
					probs[r.IntN(n)] = 1
				}
				compareAttention(t, fmt.Sprintf("%s, head of %d, %d positions", c.name, hd, n), keys[off:], values[off:], stride, q, probs)
			}
		}
	}
}

// compareAttention runs both products in both orders natively and in Go.
func compareAttention(t *testing.T, what string, keys, values []byte, stride int, q, probs []float32) {
	t.Helper()
	hd, n := len(q), len(probs)
	const guard = 42
	for _, batched := range []bool{true, false} {
		what := fmt.Sprintf("%s, batched %v", what, batched)
		got, want := make([]float32, n+1), make([]float32, n+1)
		got[n], want[n] = guard, guard
		kvScores(gguf.F16, got[:n], keys, stride, q, 0.125, batched)
		kvScoresGo(gguf.F16, want[:n], keys, stride, q, 0.125, batched)
		sameBits(t, what+": scores", got, want)

		scratch := make([]float32, KVScratch(hd))
		for i := range scratch {
			scratch[i] = float32(math.NaN()) // nothing may read it before writing
		}
		got, want = make([]float32, hd+1), make([]float32, hd+1)
		got[hd], want[hd] = guard, guard
		kvWeightedSum(gguf.F16, got[:hd], probs, values, stride, batched, scratch)
		kvWeightedSumGo(gguf.F16, want[:hd], probs, values, stride, batched, make([]float32, KVScratch(hd)))
		sameBits(t, what+": weighted sum", got, want)
	}
}

// BenchmarkAttention computes the scores and the weighted sum of one head
// of 64 values over 512 positions of an F16 cache, with the Go functions
// and with the native ones, in both orders.
func BenchmarkAttention(b *testing.B) {
	const hd, n = 64, 512
	r := rand.New(rand.NewPCG(15, 16))
	normal := func(r *rand.Rand) float32 { return float32(r.NormFloat64()) }
	keys, values := kvCache(b, r, n, hd, normal), kvCache(b, r, n, hd, normal)
	q, probs := f16Vector(r, hd, normal), f16Vector(r, n, uniform(0, 1.0/256))
	scores, out, scratch := make([]float32, n), make([]float32, hd), make([]float32, KVScratch(hd))
	impls := []struct {
		name   string
		scores func(gguf.Type, []float32, []byte, int, []float32, float32, bool)
		sum    func(gguf.Type, []float32, []float32, []byte, int, bool, []float32)
	}{
		{"go", kvScoresGo, kvWeightedSumGo},
		{"native", kvScores, kvWeightedSum},
	}
	for _, batched := range []bool{true, false} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("batched=%v/%s", batched, impl.name), func(b *testing.B) {
				for b.Loop() {
					impl.scores(gguf.F16, scores, keys, 2*hd*2, q, 0.125, batched)
					impl.sum(gguf.F16, out, probs, values, 2*hd*2, batched, scratch)
				}
			})
		}
	}
}
