package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/quant"
)

// There is no llama.cpp reference model for qwen2, qwen3 or Llama 3 style
// RoPE frequency factors, so these tests build tiny random-weight GGUF files
// and compare the engine with a plain float64 forward pass written here from
// the architectures' definitions (Hugging Face's modeling code as the papers
// describe it), sharing no code with the package.

// synth describes a tiny model to write.
type synth struct {
	arch                         string
	embd, layers, ff, heads, kvh int
	headDim                      int     // written as attention.key_length/value_length when not embd/heads
	vocab, ctx                   int     // vocabulary (rows of token_embd), context_length
	freqBase                     float32 // rope.freq_base; 0 = absent (10000)
	linear                       float32 // rope.scaling.factor with type linear; 0 = absent
	ropeFreqs, tied              bool    // rope_freqs.weight; no output.weight
	attnBias, outBias, ffnBias   bool    // q/k/v biases; attn_output bias; FFN biases (llama)
	qkNorm                       bool    // attn_q_norm/attn_k_norm (qwen3)
}

type synthTensor struct {
	name string
	dims []uint64 // ggml order
	data []float32
	typ  gguf.Type // of raw; F32 (raw nil) writes data
	raw  []byte
}

// quantizeMatrices encodes every matrix of ts as typ, and replaces its data
// by the decoded values, which the reference then uses.
func quantizeMatrices(t *testing.T, ts []synthTensor, typ gguf.Type) {
	for i := range ts {
		x := &ts[i]
		if len(x.dims) != 2 {
			continue
		}
		n, _ := typ.RowBytes(len(x.data))
		x.typ, x.raw = typ, make([]byte, n)
		if err := quant.Quantize(typ, x.raw, x.data); err != nil {
			t.Fatal(err)
		}
		if err := quant.Dequantize(typ, x.data, x.raw); err != nil {
			t.Fatal(err)
		}
	}
}

// build returns the metadata and tensors of s with random weights.
func (s synth) build(seed uint64) ([]gguf.KV, []synthTensor) {
	r := rand.New(rand.NewPCG(seed, 1))
	p := s.arch + "."
	kv := []gguf.KV{
		{Key: "general.architecture", Value: gguf.String(s.arch)},
		{Key: p + "context_length", Value: gguf.Uint32(uint32(s.ctx))},
		{Key: p + "embedding_length", Value: gguf.Uint32(uint32(s.embd))},
		{Key: p + "block_count", Value: gguf.Uint32(uint32(s.layers))},
		{Key: p + "feed_forward_length", Value: gguf.Uint32(uint32(s.ff))},
		{Key: p + "attention.head_count", Value: gguf.Uint32(uint32(s.heads))},
		{Key: p + "attention.head_count_kv", Value: gguf.Uint32(uint32(s.kvh))},
		{Key: p + "attention.layer_norm_rms_epsilon", Value: gguf.Float32(1e-6)},
	}
	if s.headDim != s.embd/s.heads {
		kv = append(kv, gguf.KV{Key: p + "attention.key_length", Value: gguf.Uint32(uint32(s.headDim))},
			gguf.KV{Key: p + "attention.value_length", Value: gguf.Uint32(uint32(s.headDim))})
	}
	if s.freqBase != 0 {
		kv = append(kv, gguf.KV{Key: p + "rope.freq_base", Value: gguf.Float32(s.freqBase)})
	}
	if s.linear != 0 {
		kv = append(kv, gguf.KV{Key: p + "rope.scaling.type", Value: gguf.String("linear")},
			gguf.KV{Key: p + "rope.scaling.factor", Value: gguf.Float32(s.linear)})
	}

	var ts []synthTensor
	// Matrices get a spread of about 1/sqrt(fan-in) (the scale given is for
	// a fan-in of 64), so activations keep their size whatever the widths.
	add := func(name string, scale, offset float64, dims ...int) {
		if len(dims) == 2 && name != "token_embd.weight" {
			scale *= 8 / math.Sqrt(float64(dims[0]))
		}
		t := synthTensor{name: name}
		n := 1
		for _, d := range dims {
			t.dims = append(t.dims, uint64(d))
			n *= d
		}
		t.data = make([]float32, n)
		for i := range t.data {
			t.data[i] = float32(offset + scale*r.NormFloat64())
		}
		ts = append(ts, t)
	}
	nq, nkv := s.heads*s.headDim, s.kvh*s.headDim
	add("token_embd.weight", 1, 0, s.embd, s.vocab)
	if s.ropeFreqs {
		add("rope_freqs.weight", 0, 0, s.headDim/2)
		for i := range ts[len(ts)-1].data { // Llama 3 style: 1 for high frequencies, up to 8 for low ones
			ts[len(ts)-1].data[i] = 1 + 7*float32(i)/float32(s.headDim/2-1)
		}
	}
	for l := range s.layers {
		b := fmt.Sprintf("blk.%d.", l)
		add(b+"attn_norm.weight", 0.1, 1, s.embd)
		add(b+"attn_q.weight", 0.3, 0, s.embd, nq)
		add(b+"attn_k.weight", 0.3, 0, s.embd, nkv)
		add(b+"attn_v.weight", 0.3, 0, s.embd, nkv)
		add(b+"attn_output.weight", 0.2, 0, nq, s.embd)
		if s.attnBias {
			add(b+"attn_q.bias", 0.5, 0, nq)
			add(b+"attn_k.bias", 0.5, 0, nkv)
			add(b+"attn_v.bias", 0.5, 0, nkv)
		}
		if s.outBias {
			add(b+"attn_output.bias", 0.5, 0, s.embd)
		}
		if s.qkNorm {
			add(b+"attn_q_norm.weight", 0.1, 1, s.headDim)
			add(b+"attn_k_norm.weight", 0.1, 1, s.headDim)
		}
		add(b+"ffn_norm.weight", 0.1, 1, s.embd)
		add(b+"ffn_gate.weight", 0.2, 0, s.embd, s.ff)
		add(b+"ffn_up.weight", 0.2, 0, s.embd, s.ff)
		add(b+"ffn_down.weight", 0.2, 0, s.ff, s.embd)
		if s.ffnBias {
			add(b+"ffn_gate.bias", 0.5, 0, s.ff)
			add(b+"ffn_up.bias", 0.5, 0, s.ff)
			add(b+"ffn_down.bias", 0.5, 0, s.embd)
		}
	}
	add("output_norm.weight", 0.1, 1, s.embd)
	if !s.tied {
		add("output.weight", 0.2, 0, s.embd, s.vocab)
	}
	return kv, ts
}

// writeGGUF writes kv and ts (all F32) to a file in dir.
func writeGGUF(t *testing.T, dir string, kv []gguf.KV, ts []synthTensor) string {
	t.Helper()
	path := filepath.Join(dir, "synth.gguf")
	w, err := gguf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, e := range kv {
		if err := w.SetKV(e.Key, e.Value); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range ts {
		if err := w.AddTensor(x.name, x.typ, x.dims); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range ts {
		if x.raw != nil {
			if err := w.WriteTensor(x.name, x.raw); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b := make([]byte, 4*len(x.data))
		for i, v := range x.data {
			bits := math.Float32bits(v)
			b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24)
		}
		if err := w.WriteTensor(x.name, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

// naiveForward is the reference: the logits after each token, in float64.
func (s synth) naiveForward(ts []synthTensor, tokens []int32) [][]float64 {
	w := map[string][]float64{}
	for _, x := range ts {
		v := make([]float64, len(x.data))
		for i, f := range x.data {
			v[i] = float64(f)
		}
		w[x.name] = v
	}
	hd, neox := s.headDim, s.arch != "llama"
	freqScale := 1.0
	if s.linear != 0 {
		freqScale = 1 / float64(s.linear)
	}
	base := float64(s.freqBase)
	if base == 0 {
		base = 10000
	}
	// y = W·x for a matrix stored as rows of len(x).
	mul := func(name string, x []float64) []float64 {
		m := w[name]
		y := make([]float64, len(m)/len(x))
		for r := range y {
			for c, xv := range x {
				y[r] += m[r*len(x)+c] * xv
			}
		}
		if b, ok := w[strings.TrimSuffix(name, ".weight")+".bias"]; ok {
			for i := range y {
				y[i] += b[i]
			}
		}
		return y
	}
	norm := func(x, g []float64) []float64 {
		var ss float64
		for _, v := range x {
			ss += v * v
		}
		k := 1 / math.Sqrt(ss/float64(len(x))+1e-6)
		y := make([]float64, len(x))
		for i := range x {
			y[i] = x[i] * k * g[i]
		}
		return y
	}
	rotate := func(v []float64, pos int) {
		for i := range hd / 2 {
			theta := float64(pos) * math.Pow(base, -2*float64(i)/float64(hd))
			if f, ok := w["rope_freqs.weight"]; ok {
				theta /= f[i]
			}
			theta *= freqScale
			a, b := 2*i, 2*i+1
			if neox {
				a, b = i, i+hd/2
			}
			x0, x1 := v[a], v[b]
			v[a] = x0*math.Cos(theta) - x1*math.Sin(theta)
			v[b] = x0*math.Sin(theta) + x1*math.Cos(theta)
		}
	}
	output := "output.weight"
	if s.tied {
		output = "token_embd.weight"
	}
	keys := make([][][]float64, s.layers) // [layer][pos][kvh*hd]
	vals := make([][][]float64, s.layers)
	var logits [][]float64
	for pos, tok := range tokens {
		x := append([]float64(nil), w["token_embd.weight"][int(tok)*s.embd:(int(tok)+1)*s.embd]...)
		for l := range s.layers {
			b := fmt.Sprintf("blk.%d.", l)
			h := norm(x, w[b+"attn_norm.weight"])
			q, k, v := mul(b+"attn_q.weight", h), mul(b+"attn_k.weight", h), mul(b+"attn_v.weight", h)
			for i := 0; i < len(q); i += hd {
				if s.qkNorm {
					copy(q[i:i+hd], norm(q[i:i+hd], w[b+"attn_q_norm.weight"]))
				}
				rotate(q[i:i+hd], pos)
			}
			for i := 0; i < len(k); i += hd {
				if s.qkNorm {
					copy(k[i:i+hd], norm(k[i:i+hd], w[b+"attn_k_norm.weight"]))
				}
				rotate(k[i:i+hd], pos)
			}
			keys[l] = append(keys[l], k)
			vals[l] = append(vals[l], v)
			att := make([]float64, s.heads*hd)
			for hq := range s.heads {
				g := hq / (s.heads / s.kvh)
				qh := q[hq*hd : (hq+1)*hd]
				scores := make([]float64, pos+1)
				top := math.Inf(-1)
				for t := range scores {
					for d := range hd {
						scores[t] += qh[d] * keys[l][t][g*hd+d]
					}
					scores[t] /= math.Sqrt(float64(hd))
					top = max(top, scores[t])
				}
				var sum float64
				for t := range scores {
					scores[t] = math.Exp(scores[t] - top)
					sum += scores[t]
				}
				for t := range scores {
					for d := range hd {
						att[hq*hd+d] += scores[t] / sum * vals[l][t][g*hd+d]
					}
				}
			}
			o := mul(b+"attn_output.weight", att)
			for i := range x {
				x[i] += o[i]
			}
			h = norm(x, w[b+"ffn_norm.weight"])
			gate, up := mul(b+"ffn_gate.weight", h), mul(b+"ffn_up.weight", h)
			for i, g := range gate {
				gate[i] = g / (1 + math.Exp(-g)) * up[i]
			}
			d := mul(b+"ffn_down.weight", gate)
			for i := range x {
				x[i] += d[i]
			}
		}
		logits = append(logits, mul(output, norm(x, w["output_norm.weight"])))
	}
	return logits
}

// synthCases cover every architecture and the optional features.
var synthCases = []struct {
	name string
	s    synth
}{
	{"llama", synth{arch: "llama", embd: 64, layers: 2, ff: 128, heads: 4, kvh: 2, headDim: 16, vocab: 160, ctx: 16}},
	{"llama3-rope-freqs-tied-biases", synth{arch: "llama", embd: 64, layers: 2, ff: 128, heads: 4, kvh: 1, headDim: 16,
		vocab: 160, ctx: 16, freqBase: 500000, ropeFreqs: true, tied: true, attnBias: true, outBias: true, ffnBias: true}},
	{"llama-linear-scaling", synth{arch: "llama", embd: 64, layers: 2, ff: 128, heads: 4, kvh: 4, headDim: 16,
		vocab: 160, ctx: 16, linear: 4}},
	{"qwen2-tied", synth{arch: "qwen2", embd: 64, layers: 2, ff: 128, heads: 4, kvh: 2, headDim: 16, vocab: 160, ctx: 16,
		freqBase: 1000000, tied: true, attnBias: true}},
	{"qwen3-headdim24", synth{arch: "qwen3", embd: 64, layers: 2, ff: 128, heads: 4, kvh: 2, headDim: 24, vocab: 160,
		ctx: 16, freqBase: 1000000, qkNorm: true}},
}

// TestSyntheticMatchesNaive compares each architecture with the float64
// reference: tightly with an F32 KV cache, where the engine does plain
// float32 math, and loosely with the default F16 cache. Two threads make the
// larger matrices split their rows across goroutines.
func TestSyntheticMatchesNaive(t *testing.T) {
	tokens := []int32{1, 17, 159, 42, 42, 3, 99, 120, 7, 0, 64, 150}
	for _, c := range synthCases {
		t.Run(c.name, func(t *testing.T) {
			kv, ts := c.s.build(7)
			f, err := gguf.Open(writeGGUF(t, t.TempDir(), kv, ts))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want := c.s.naiveForward(ts, tokens)
			for _, kvF32 := range []bool{true, false} {
				m, err := Load(f, Options{KVCacheF32: kvF32, Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				got := make([]float32, len(tokens)*c.s.vocab)
				if err := m.NewState().Forward(tokens, 0, got); err != nil {
					t.Fatal(err)
				}
				var worst, scale float64
				for i, row := range want {
					for j, v := range row {
						worst = max(worst, math.Abs(float64(got[i*c.s.vocab+j])-v))
						scale = max(scale, math.Abs(v))
					}
				}
				tol := 1e-5 * scale
				if !kvF32 {
					tol = 1e-2 * scale
				}
				t.Logf("KV cache F32=%v: max |Δlogit| %.3g (logits up to %.3g)", kvF32, worst, scale)
				if worst > tol {
					t.Errorf("KV cache F32=%v: max |Δlogit| %g > %g", kvF32, worst, tol)
				}
			}
		})
	}
}

// TestSyntheticQuantized runs a llama model whose matrices are quantized,
// including IQ4_NL, which no reference model has. The reference uses the
// decoded weights; the engine also quantizes the activations (to Q8_0 or
// Q8_K), which moves the logits by a few percent of their range here.
func TestSyntheticQuantized(t *testing.T) {
	s := synth{arch: "llama", embd: 256, layers: 2, ff: 256, heads: 4, kvh: 2, headDim: 64, vocab: 160, ctx: 16}
	tokens := []int32{1, 17, 159, 42, 42, 3}
	for _, typ := range []gguf.Type{gguf.IQ4_NL, gguf.Q8_0, gguf.Q4_K} {
		t.Run(typ.String(), func(t *testing.T) {
			kv, ts := s.build(3)
			quantizeMatrices(t, ts, typ)
			f, err := gguf.Open(writeGGUF(t, t.TempDir(), kv, ts))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := Load(f, Options{KVCacheF32: true})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, len(tokens)*s.vocab)
			if err := m.NewState().Forward(tokens, 0, got); err != nil {
				t.Fatal(err)
			}
			var worst, scale float64
			for i, row := range s.naiveForward(ts, tokens) {
				for j, v := range row {
					worst = max(worst, math.Abs(float64(got[i*s.vocab+j])-v))
					scale = max(scale, math.Abs(v))
				}
			}
			t.Logf("max |Δlogit| %.3g (logits up to %.3g)", worst, scale)
			if worst > 0.05*scale {
				t.Errorf("max |Δlogit| %g > %g", worst, 0.05*scale)
			}
		})
	}
}
