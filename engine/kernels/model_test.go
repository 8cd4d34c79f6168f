package kernels

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"nibble/engine/gguf"
	"nibble/engine/refdata"
)

// TestMatVecModelTensors runs MatVec on every 2-D tensor of the shared ts5m
// models (each name and type once) with a random activation vector, and
// compares every output with the float64 dot product of the dequantized row
// and activations. It logs, per weight type, the worst error in units of
// 2^-24·Σ|w·a| and the relative error ‖y − ref‖/‖ref‖ over all outputs.
func TestMatVecModelTensors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(refdata.Dir(t), "models", "ts5m-*.gguf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ts5m models in the shared test data (%v)", err)
	}
	sort.Strings(files)
	type stats struct {
		tensors, rows int
		worst         float64
		errSq, refSq  float64
	}
	byType := map[gguf.Type]*stats{}
	seen := map[string]bool{}
	r := rand.New(rand.NewPCG(7, 7))
	for _, path := range files {
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range f.Tensors {
			key := ti.Name + "/" + ti.Type.String()
			if len(ti.Dims) != 2 || seen[key] {
				continue
			}
			seen[key] = true
			if !Supported(ti.Type) {
				t.Errorf("%s %s: no kernel for %v", filepath.Base(path), ti.Name, ti.Type)
				continue
			}
			cols, rows := int(ti.Dims[0]), int(ti.Dims[1])
			w := ti.Type
			data := f.TensorData(ti)
			aq := encode(t, VecType(w), gaussian(r, cols, 1))
			y := make([]float32, rows)
			MatVec(w, data, rows, cols, aq, y)

			s := byType[w]
			if s == nil {
				s = &stats{}
				byType[w] = s
			}
			s.tensors++
			rb, _ := w.RowBytes(cols)
			for i := range rows {
				want, mag := reference(t, w, data[i*rb:(i+1)*rb], aq, cols)
				s.worst = max(s.worst, checkResult(t, w, cols, y[i], want, mag))
				s.errSq += (float64(y[i]) - want) * (float64(y[i]) - want)
				s.refSq += want * want
				s.rows++
			}
		}
		f.Close()
	}
	types := make([]gguf.Type, 0, len(byType))
	for w := range byType {
		types = append(types, w)
	}
	slices.Sort(types)
	for _, w := range types {
		s := byType[w]
		t.Logf("%-6v %3d tensors %6d rows: worst %.2f units of 2^-24·Σ|w·a|, ‖y−ref‖/‖ref‖ = %.2e",
			w, s.tensors, s.rows, s.worst, math.Sqrt(s.errSq/s.refSq))
	}
	for _, tc := range weightTypes {
		if byType[tc.w] == nil && tc.w != gguf.IQ4_NL {
			t.Errorf("no %v tensor in the ts5m models", tc.w)
		}
	}
}
