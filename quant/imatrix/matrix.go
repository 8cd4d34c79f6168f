package imatrix

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Matrix is an importance matrix: what Collect gathers, Read loads and Write
// saves. It is plain data, safe for concurrent reads.
type Matrix struct {
	// Entries holds one Entry per weight, by GGUF tensor name
	// ("blk.0.attn_q.weight").
	Entries map[string]Entry
	// Datasets names the calibration text files the sums come from.
	Datasets []string
	// Chunks is how many chunks of calibration text were evaluated.
	Chunks int
	// ChunkSize is the tokens per chunk (the context of the runs); a legacy
	// file does not record it and reads as 512 (see the package comment).
	ChunkSize int
}

// Entry is the data of one weight: Sums[m·cols+j] is the sum of x_j² over the
// Counts[m] tokens whose input x went through matrix m of the weight (one
// matrix for a 2-D weight, one per expert for a 3-D one), cols =
// len(Sums)/len(Counts).
type Entry struct {
	Sums   []float32
	Counts []float64
}

// legacyChunkSize is the chunk size assumed for a legacy file, which does
// not record it: llama-imatrix's default context.
const legacyChunkSize = 512

// Weights returns the importance of each input column of the weight named
// name: the mean of x² per column, what llama-quantize passes to the
// quantization functions as quant_weights (sum/count, and 1 for a matrix
// that saw no token, as llama.cpp). For a 3-D weight it holds one run of
// columns per expert, expert after expert. It returns nil if the matrix has
// no entry for name. The slice is new on every call. (llama-quantize
// refuses a tensor whose importance is not as long as its rows, times its
// experts.)
func (m *Matrix) Weights(name string) []float32 {
	e, ok := m.Entries[name]
	if !ok {
		return nil
	}
	cols := len(e.Sums) / len(e.Counts)
	w := make([]float32, len(e.Sums))
	for k, c := range e.Counts {
		for j := k * cols; j < (k+1)*cols; j++ {
			w[j] = 1
			if c > 0 {
				// In float64, then rounded: the same float32 as llama.cpp's
				// float division, since counts are whole numbers.
				w[j] = float32(float64(e.Sums[j]) / c)
			}
		}
	}
	return w
}

// Names returns the names of the weights the matrix has an entry for, sorted.
func (m *Matrix) Names() []string {
	names := make([]string, 0, len(m.Entries))
	for n := range m.Entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// check reports the first entry whose shape is inconsistent: no counts,
// sums that are not whole rows of the counts, or a negative or non-finite
// count.
func (m *Matrix) check() error {
	if len(m.Entries) == 0 {
		return errors.New("imatrix: no entries")
	}
	for _, name := range m.Names() {
		e := m.Entries[name]
		if name == "" || len(e.Counts) == 0 || len(e.Sums) == 0 || len(e.Sums)%len(e.Counts) != 0 {
			return fmt.Errorf("imatrix: entry %q has %d sums for %d matrices", name, len(e.Sums), len(e.Counts))
		}
		for _, c := range e.Counts {
			if !(c >= 0 && c <= 1<<53) {
				return fmt.Errorf("imatrix: entry %q has count %v", name, c)
			}
		}
	}
	return nil
}

// Read loads an importance matrix file written by llama-imatrix (either
// format: a GGUF file by its magic, the legacy format otherwise) or by
// Write. Damaged or truncated files give an error, never a panic.
func Read(path string) (*Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	f.Close()
	var m *Matrix
	switch {
	case err == nil && string(magic) == "GGUF":
		m, err = readGGUF(path)
	default:
		var data []byte
		if data, err = os.ReadFile(path); err == nil {
			m, err = decodeLegacy(data)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read importance matrix %s: %w", path, err)
	}
	return m, nil
}

// Write saves m to path, in llama.cpp's GGUF format if the name ends in
// ".gguf" and in the legacy format otherwise. Entries are written in name
// order. The file appears whole or not at all.
func Write(path string, m *Matrix) error {
	if err := m.check(); err != nil {
		return err
	}
	if strings.HasSuffix(path, ".gguf") {
		return writeGGUF(path, m)
	}
	return writeLegacy(path, m)
}
