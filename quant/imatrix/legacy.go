package imatrix

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// The legacy format (the package comment has its layout): what llama-imatrix
// c392e50 writes and llama-quantize of every version reads.

// decodeLegacy parses a legacy file. Every length and count is checked
// against the bytes left, so damaged input gives an error, not a panic or a
// huge allocation. The trailer (chunk count, dataset name) is optional, as
// for llama-quantize: the oldest files lack it.
func decodeLegacy(data []byte) (*Matrix, error) {
	r := legacyReader{data: data}
	n := r.int32("entry count")
	if r.err == nil && n < 1 {
		return nil, fmt.Errorf("legacy imatrix: %d entries", n)
	}
	m := &Matrix{Entries: map[string]Entry{}, ChunkSize: legacyChunkSize}
	for i := 0; i < int(n) && r.err == nil; i++ {
		name := string(r.bytes(r.int32("name length"), "name"))
		ncall := r.int32("ncall")
		nval := r.int32("value count")
		if r.err == nil && nval < 1 {
			r.err = fmt.Errorf("legacy imatrix: entry %q has %d values", name, nval)
		}
		raw := r.bytes(int64(nval)*4, "values")
		if r.err != nil {
			break
		}
		if _, dup := m.Entries[name]; dup || name == "" {
			return nil, fmt.Errorf("legacy imatrix: entry %d: empty or repeated name %q", i, name)
		}
		// The values are mean·ncall; stored as sums over ncall chunks of
		// legacyChunkSize tokens (scaling by a power of two is exact), so
		// that Weights gives value/ncall, llama-quantize's quant_weights.
		// llama-quantize leaves the values as they are when ncall is not
		// positive: as if ncall were 1.
		calls := max(1, int64(ncall))
		e := Entry{Sums: make([]float32, nval), Counts: []float64{float64(calls * legacyChunkSize)}}
		for j := range e.Sums {
			v := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			e.Sums[j] = v * legacyChunkSize
			if math.IsInf(float64(e.Sums[j]), 0) != math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("legacy imatrix: entry %q: value %g too large", name, v)
			}
		}
		m.Entries[name] = e
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.data) > 0 { // trailer
		chunks := r.int32("chunk count")
		dataset := string(r.bytes(r.int32("dataset name length"), "dataset name"))
		if r.err != nil {
			return nil, r.err
		}
		m.Chunks = max(0, int(chunks))
		if dataset != "" {
			m.Datasets = []string{dataset}
		}
	}
	return m, nil
}

// legacyReader reads little-endian fields from data, consuming it, and keeps
// the first error: reads after one return zero values.
type legacyReader struct {
	data []byte
	err  error
}

func (r *legacyReader) bytes(n int64, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(r.data)) {
		r.err = fmt.Errorf("legacy imatrix: %s of %d bytes, %d left in the file", what, n, len(r.data))
		return nil
	}
	b := r.data[:n]
	r.data = r.data[n:]
	return b
}

func (r *legacyReader) int32(what string) int64 {
	b := r.bytes(4, what)
	if b == nil {
		return 0
	}
	return int64(int32(binary.LittleEndian.Uint32(b)))
}

// writeLegacy writes m in the legacy format (see the package comment),
// through a temporary file renamed into place.
func writeLegacy(path string, m *Matrix) error {
	if m.ChunkSize < 1 {
		return fmt.Errorf("imatrix: chunk size %d", m.ChunkSize)
	}
	names := m.Names()
	le := binary.LittleEndian
	b := le.AppendUint32(nil, uint32(len(names)))
	for _, name := range names {
		e := m.Entries[name]
		ncall := int64(math.Ceil(slices.Max(e.Counts) / float64(m.ChunkSize)))
		if ncall > math.MaxInt32 || len(name) > math.MaxInt32 || len(e.Sums) > math.MaxInt32 {
			return fmt.Errorf("imatrix: entry %q too large for the legacy format", name)
		}
		b = le.AppendUint32(b, uint32(len(name)))
		b = append(b, name...)
		b = le.AppendUint32(b, uint32(ncall))
		b = le.AppendUint32(b, uint32(len(e.Sums)))
		cols := len(e.Sums) / len(e.Counts)
		for j, s := range e.Sums {
			// mean·ncall, computed in float64 so that a legacy file read
			// and written again keeps its values bit for bit; 1 for a
			// matrix that saw no token, as llama.cpp writes.
			v := float32(1)
			if c := e.Counts[j/cols]; c > 0 {
				v = float32(float64(s) / c * float64(ncall))
			}
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	}
	b = le.AppendUint32(b, uint32(m.Chunks))
	dataset := ""
	if len(m.Datasets) > 0 {
		dataset = m.Datasets[len(m.Datasets)-1] // llama.cpp keeps the last
	}
	b = le.AppendUint32(b, uint32(len(dataset)))
	b = append(b, dataset...)
	return writeFileAtomic(path, b)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so that path never holds a partial file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return nil
}
