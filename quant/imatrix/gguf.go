package imatrix

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"nibble/engine/gguf"
	"nibble/quant"
)

// The GGUF format (the package comment has its layout): llama-imatrix's
// default since mid-2025. The metadata keys are llama.cpp's.
const (
	keyType       = "general.type"
	keyDatasets   = "imatrix.datasets"
	keyChunkCount = "imatrix.chunk_count"
	keyChunkSize  = "imatrix.chunk_size"

	suffixSums   = ".in_sum2"
	suffixCounts = ".counts"
)

// readGGUF reads a GGUF importance matrix. Like llama-quantize it requires
// the three imatrix.* keys and a counts tensor for every sums tensor, and
// ignores other tensors.
func readGGUF(path string) (*Matrix, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	datasets, ok := f.Strings(keyDatasets)
	if !ok {
		return nil, fmt.Errorf("missing metadata key %s (an array of strings)", keyDatasets)
	}
	m := &Matrix{Entries: map[string]Entry{}, Datasets: datasets}
	if m.Chunks, err = uint32Key(f, keyChunkCount); err != nil {
		return nil, err
	}
	if m.ChunkSize, err = uint32Key(f, keyChunkSize); err != nil {
		return nil, err
	}
	for _, t := range f.Tensors {
		name, ok := strings.CutSuffix(t.Name, suffixSums)
		if !ok {
			continue
		}
		ct, ok := f.Tensor(name + suffixCounts)
		if !ok {
			return nil, fmt.Errorf("%s has no %s", t.Name, name+suffixCounts)
		}
		if t.Type != gguf.F32 || ct.Type != gguf.F32 || len(t.Dims) > 2 || t.Dims[0] == 0 || t.Elements()/t.Dims[0] != ct.Elements() {
			return nil, fmt.Errorf("%s (%v %v) and %s (%v %v) are not F32 sums [columns, matrices] and counts [1, matrices]",
				t.Name, t.Type, t.Dims, ct.Name, ct.Type, ct.Dims)
		}
		e := Entry{Sums: floats(f.TensorData(t)), Counts: make([]float64, ct.Elements())}
		for i, c := range floats(f.TensorData(ct)) {
			e.Counts[i] = float64(c)
		}
		m.Entries[name] = e
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	for _, t := range f.Tensors { // a counts tensor alone is as broken as sums alone
		if name, ok := strings.CutSuffix(t.Name, suffixCounts); ok {
			if _, ok := m.Entries[name]; !ok {
				return nil, fmt.Errorf("%s has no %s", t.Name, name+suffixSums)
			}
		}
	}
	return m, nil
}

// uint32Key returns the value of the required metadata key, a uint32.
func uint32Key(f *gguf.File, key string) (int, error) {
	v, ok := f.Get(key)
	if !ok || v.Type != gguf.ValueUint32 {
		return 0, fmt.Errorf("missing metadata key %s (a uint32)", key)
	}
	return int(v.V.(uint32)), nil
}

// floats decodes little-endian float32 values into a new slice (the File's
// mapping goes away on Close).
func floats(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	quant.DequantizeF32(v, b)
	return v
}

// writeGGUF writes m as llama-imatrix does: general.type, the three
// imatrix.* keys, then for each entry in name order NAME.in_sum2 and
// NAME.counts.
func writeGGUF(path string, m *Matrix) error {
	if m.Chunks > math.MaxUint32 || m.ChunkSize > math.MaxUint32 || m.Chunks < 0 || m.ChunkSize < 0 {
		return fmt.Errorf("imatrix: chunk count %d or size %d out of range", m.Chunks, m.ChunkSize)
	}
	w, err := gguf.Create(path)
	if err != nil {
		return err
	}
	defer w.Abort()
	datasets := m.Datasets
	if datasets == nil {
		datasets = []string{}
	}
	err = errors.Join(
		w.SetKV(keyType, gguf.String("imatrix")),
		w.SetKV(keyDatasets, gguf.Array(datasets)),
		w.SetKV(keyChunkCount, gguf.Uint32(uint32(m.Chunks))),
		w.SetKV(keyChunkSize, gguf.Uint32(uint32(m.ChunkSize))),
	)
	names := m.Names()
	for _, name := range names {
		e := m.Entries[name]
		n := uint64(len(e.Counts))
		err = errors.Join(err,
			w.AddTensor(name+suffixSums, gguf.F32, []uint64{uint64(len(e.Sums)) / n, n}),
			w.AddTensor(name+suffixCounts, gguf.F32, []uint64{1, n}))
	}
	if err != nil {
		return err
	}
	for _, name := range names {
		e := m.Entries[name]
		counts := make([]float32, len(e.Counts))
		for i, c := range e.Counts {
			counts[i] = float32(c)
		}
		if err := w.WriteTensor(name+suffixSums, floatBytes(e.Sums)); err != nil {
			return err
		}
		if err := w.WriteTensor(name+suffixCounts, floatBytes(counts)); err != nil {
			return err
		}
	}
	return w.Commit()
}

// floatBytes encodes v as little-endian float32 values.
func floatBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	quant.QuantizeF32(b, v)
	return b
}
