package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"nibble/engine/refdata"
	"nibble/quant"
	"nibble/quant/imatrix"
)

// TestImportanceLowersKLD measures what an importance matrix from the
// calibration text does to the mean KL divergence from F32 on the held-out
// text, for every level of the shared trained model, and logs the table.
// The variants without a matrix are llama-quantize's own files (QuantizeFile
// reproduces them byte for byte); those with one follow llama.cpp's weighted
// search (checked block for block against c392e50's ggml-quants.c once).
//
// Measured (matrix at ctx 256, KLD at ctx 128): Q2_K −3.1 %, Q3_K_S −5.6 %,
// Q3_K_M/L −2.5 %, Q4_K_* −4 %, Q4_0 −4 %, Q4_1 −13 %, Q5_K_* −3.5 %, Q5_0
// −10 %, Q5_1 −20 %, Q6_K +0.1 % (1e-6, a tenth of its ± 1.1e-5), Q8_0 ±0
// (llama.cpp's Q8_0 ignores the weights). Issue 7's −25 % at Q2_K and Q3_K_S
// is out of reach on this model: it has no outlier channels (the importance
// of the inputs of Q, K, V, gate and up varies with a coefficient of
// variation of only 0.13 to 0.20, max/mean below 2.5), so the weighted
// search has little to steer by. The test holds what llama.cpp's algorithm
// gives here: a gain at every level from Q5_1 down, no loss beyond noise
// above.
func TestImportanceLowersKLD(t *testing.T) {
	if testing.Short() {
		t.Skip("collects an importance matrix and compares 28 models")
	}
	f32 := refdata.Path(t, "models/ts5m-F32.gguf")
	im := collect(t, f32, refdata.Path(t, "text/calibration.txt"))
	text := heldout(t)
	opts := CompareOptions{Options: Options{Context: 128}}
	base := load(t, "ts5m-F32", opts.ContextLength())
	meanKLD := func(m *Model) float64 {
		t.Helper()
		defer m.Close()
		c, err := Compare(context.Background(), base, m.Model, text, opts)
		if err != nil {
			t.Fatal(err)
		}
		return c.KLDMean
	}
	dir := t.TempDir()
	t.Logf("%-7s %12s %12s %8s", "level", "KLD without", "KLD with", "change")
	for _, mix := range quant.Mixes() {
		if mix.Name == "F32" || mix.Name == "F16" || mix.Name == "BF16" {
			continue
		}
		out := filepath.Join(dir, mix.Name+".gguf")
		_, err := quant.QuantizeFile(context.Background(), f32, out, quant.Options{Mix: mix, Importance: im.Importance("ts5m.imatrix")})
		if err != nil {
			t.Fatal(err)
		}
		without := meanKLD(open(t, refdata.Path(t, "models/ts5m-"+mix.Name+".gguf"), opts))
		with := meanKLD(open(t, out, opts))
		os.Remove(out)
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

// open opens the model file at path for opts' chunks.
func open(t *testing.T, path string, opts CompareOptions) *Model {
	t.Helper()
	m, err := Open(path, OpenOptions{Context: opts.Context, Positions: opts.ContextLength()})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// collect computes the importance matrix of the model at path over the
// text file at textPath as nibble imatrix does by default (chunks of the
// training context, 256 tokens for ts5m).
func collect(t *testing.T, path, textPath string) *imatrix.Matrix {
	t.Helper()
	b, err := os.ReadFile(textPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	text := NewText(m.Tokenizer, string(b))
	cfg := m.Model.Config()
	im, err := imatrix.Collect(context.Background(), m.Model.NewState(), text.Tokens, imatrix.Options{
		Ctx: m.Context, VocabSize: cfg.VocabSize, BOS: text.BOS, Dataset: filepath.Base(textPath),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return im
}
