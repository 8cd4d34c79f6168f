package quant_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/model"
	"nibble/engine/refdata"
	"nibble/engine/tokenizer"
	"nibble/quant"
	"nibble/quant/imatrix"
)

// klCtx is the context of the reference KLD figures (text/reference.json):
// llama-perplexity -c 128 on text/heldout-a.txt.
const klCtx = 128

// textTokens tokenizes the text file at path as llama-perplexity and
// llama-imatrix read a -f file: one trailing newline dropped, BOS added.
func textTokens(t *testing.T, tok *tokenizer.Tokenizer, path string) []int32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Encode(strings.TrimSuffix(string(b), "\n"), true, false)
}

// loaded is a model open for evaluation, with its tokenizer.
type loaded struct {
	f     *gguf.File
	tok   *tokenizer.Tokenizer
	state *model.State
	vocab int
}

func load(t *testing.T, path string) loaded {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(f, model.Options{ContextLength: klCtx})
	if err != nil {
		t.Fatal(err)
	}
	return loaded{f, tok, m.NewState(), m.Config().VocabSize}
}

// scoredLogProbs runs llama-perplexity's chunking over tokens (chunks of
// klCtx, the first token of each replaced by BOS, fresh cache) and calls
// row with the log-probabilities (float64, log-softmax of the logits) of
// every scored position: the second half of each chunk but its last token.
func scoredLogProbs(t *testing.T, l loaded, tokens []int32, row func(lp []float64)) {
	t.Helper()
	logits := make([]float32, klCtx*l.vocab)
	lp := make([]float64, l.vocab)
	chunk := make([]int32, klCtx)
	for c := range len(tokens) / klCtx {
		copy(chunk, tokens[c*klCtx:])
		chunk[0] = l.tok.BOS()
		l.state.Truncate(0)
		if err := l.state.Forward(chunk, 0, logits); err != nil {
			t.Fatal(err)
		}
		for i := klCtx / 2; i < klCtx-1; i++ {
			z := logits[i*l.vocab : (i+1)*l.vocab]
			hi := math.Inf(-1)
			for _, v := range z {
				hi = max(hi, float64(v))
			}
			var s float64
			for _, v := range z {
				s += math.Exp(float64(v) - hi)
			}
			ls := hi + math.Log(s)
			for k, v := range z {
				lp[k] = float64(v) - ls
			}
			row(lp)
		}
	}
}

// klBase holds the base model's log-probabilities at every scored position
// of the held-out text (5,418 rows of 2,048 for ts5m: 44 MB as float32).
type klBase struct {
	tokens []int32
	lp     [][]float32
}

func newKLBase(t *testing.T, basePath, textPath string) klBase {
	l := load(t, basePath)
	b := klBase{tokens: textTokens(t, l.tok, textPath)}
	scoredLogProbs(t, l, b.tokens, func(lp []float64) {
		r := make([]float32, len(lp))
		for k, v := range lp {
			r[k] = float32(v)
		}
		b.lp = append(b.lp, r)
	})
	return b
}

// meanKLD returns the mean over the scored positions of KL(base ‖ variant),
// in nats, for the model at path.
func (b klBase) meanKLD(t *testing.T, path string) float64 {
	l := load(t, path)
	var sum float64
	n := 0
	scoredLogProbs(t, l, b.tokens, func(lp []float64) {
		var kl float64
		for k, q := range lp {
			p := float64(b.lp[n][k])
			kl += math.Exp(p) * (p - q)
		}
		sum += kl
		n++
	})
	return sum / float64(n)
}

// referenceKLD returns llama-perplexity's mean KLD vs F32 for each ts5m type.
func referenceKLD(t *testing.T) map[string]float64 {
	b, err := os.ReadFile(refdata.Path(t, "text/reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		KLD struct {
			Variants map[string]struct {
				MeanKLD float64 `json:"mean_kld"`
			} `json:"variants"`
		} `json:"kl_divergence_vs_F32"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for k, v := range ref.KLD.Variants {
		out[k] = v.MeanKLD
	}
	return out
}

func TestKLDHelperMatchesLlamaCpp(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the held-out text with two models")
	}
	ref := referenceKLD(t)
	base := newKLBase(t, refdata.Path(t, "models/ts5m-F32.gguf"), refdata.Path(t, "text/heldout-a.txt"))
	if len(base.lp) != 86*63 {
		t.Fatalf("%d scored positions, llama-perplexity scores %d", len(base.lp), 86*63)
	}
	for _, name := range []string{"Q2_K", "Q3_K_S"} {
		got := base.meanKLD(t, refdata.Path(t, filepath.Join("models", "ts5m-"+name+".gguf")))
		t.Logf("%s: mean KLD %.6f, llama-perplexity %.6f", name, got, ref[name])
		// llama.cpp stores the base log-probs as uint16 (README §5): ~1e-5.
		if math.Abs(got-ref[name]) > 1e-4 {
			t.Errorf("%s: mean KLD %.6f, llama-perplexity %.6f", name, got, ref[name])
		}
	}
}

// collectImatrix computes the importance matrix of the model at path over
// the text file at textPath as nibble imatrix does by default (chunks of
// the training context, 256 tokens for ts5m).
func collectImatrix(t *testing.T, path, textPath string) *imatrix.Matrix {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(f, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.Config()
	im, err := imatrix.Collect(context.Background(), m.NewState(), textTokens(t, tok, textPath), imatrix.Options{
		Ctx: cfg.TrainContextLength, VocabSize: cfg.VocabSize, BOS: tok.BOS(), Dataset: filepath.Base(textPath),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// TestImatrixKLD measures what an importance matrix from the calibration
// text does to the mean KL divergence from F32 on the held-out text, for
// every level of the shared trained model, and logs the table. The variants
// without a matrix are llama-quantize's own files (QuantizeFile reproduces
// them byte for byte); those with one follow llama.cpp's weighted search
// exactly (checked block for block against ggml-quants.c of c392e50).
//
// Measured (ctx 256 matrix, KLD at ctx 128): Q2_K −3.1%, Q3_K_S −5.6%,
// Q3_K_M/L −2.5%, Q4_K_* −4%, Q4_0 −4%, Q4_1 −13%, Q5_K_* −3.5%, Q5_0 −10%,
// Q5_1 −20%, Q6_K +0.1% (1e-6, a tenth of its ± 1.1e-5), Q8_0 ±0 (llama.cpp's
// Q8_0 ignores the weights). Issue 7's 25% at Q2_K and Q3_K_S is out of
// reach here: ts5m has no outlier channels, the importance of the inputs of
// Q, K, V, gate and up varies by a coefficient of variation of only 0.13 to
// 0.20 (max/mean below 2.5), so the weighted search has little to steer by.
// The test holds what llama.cpp's algorithm gives: a clear gain at every
// level from Q5_1 down and no loss beyond noise above.
func TestImatrixKLD(t *testing.T) {
	if testing.Short() {
		t.Skip("collects an importance matrix and evaluates 29 models")
	}
	f32 := refdata.Path(t, "models/ts5m-F32.gguf")
	im := collectImatrix(t, f32, refdata.Path(t, "text/calibration.txt"))
	base := newKLBase(t, f32, refdata.Path(t, "text/heldout-a.txt"))
	dir := t.TempDir()
	t.Logf("%-7s %12s %12s %8s", "level", "KLD without", "KLD with", "change")
	for _, mix := range quant.Mixes() {
		if mix.Name == "F32" || mix.Name == "F16" || mix.Name == "BF16" {
			continue
		}
		out := filepath.Join(dir, mix.Name+".gguf")
		_, err := quant.QuantizeFile(context.Background(), f32, out, quant.Options{Mix: mix, Importance: &quant.Importance{
			Weights: im.Weights, File: "ts5m.imatrix", Dataset: im.Datasets[0], Entries: len(im.Entries), Chunks: im.Chunks,
		}})
		if err != nil {
			t.Fatal(err)
		}
		without := base.meanKLD(t, refdata.Path(t, "models/ts5m-"+mix.Name+".gguf"))
		with := base.meanKLD(t, out)
		change := with/without - 1
		t.Logf("%-7s %12.6f %12.6f %+7.1f%%", mix.Name, without, with, 100*change)
		switch mix.Name {
		case "Q8_0":
			if with != without {
				t.Errorf("Q8_0: mean KLD %.6f with the matrix, %.6f without; llama.cpp's Q8_0 ignores it", with, without)
			}
		case "Q6_K":
			if change > 0.01 {
				t.Errorf("Q6_K: the importance matrix raises mean KLD by %.1f%%", 100*change)
			}
		default:
			if change > -0.02 {
				t.Errorf("%s: the importance matrix changes mean KLD by %+.1f%%; measured at least −2%%", mix.Name, 100*change)
			}
		}
	}
}
