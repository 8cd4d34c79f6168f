package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"sort"

	"nibble/engine/gguf"
	"nibble/engine/mmap"
)

// MaxHeaderBytes bounds the JSON header, as the safetensors library does:
// a real header takes a few hundred bytes per tensor, and a larger length
// only means the file is damaged or hostile.
const MaxHeaderBytes = 100_000_000

var (
	// ErrCorrupt is wrapped by every error about a malformed file.
	ErrCorrupt = errors.New("malformed safetensors file")
	// ErrDType is wrapped when a tensor's dtype is one Nibble cannot convert.
	ErrDType = errors.New("unsupported safetensors dtype")
)

// dtypes maps the safetensors dtypes Nibble converts to their ggml types.
var dtypes = map[string]gguf.Type{"F32": gguf.F32, "F16": gguf.F16, "BF16": gguf.BF16}

// Tensor describes one tensor of a file.
type Tensor struct {
	Name  string
	Type  gguf.Type // F32, F16 or BF16
	Shape []uint64  // PyTorch order: Shape[len-1] is the row width (ggml's ne0)
	Begin uint64    // absolute file offset of the first byte
	Size  uint64    // bytes
}

// Elements returns the number of elements of the tensor (1 for a scalar).
func (t Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is an open safetensors file. Its tensor data is a read-only memory
// mapping; Tensors and Metadata are parsed into the Go heap.
//
// A File is safe for concurrent use except Close, after which no slice
// returned by Data may be used. The file must not be modified while open.
type File struct {
	Path     string
	Tensors  []Tensor          // sorted by name, as the safetensors library lists them
	Metadata map[string]string // the header's __metadata__, nil if absent
	data     []byte
}

// Open maps the safetensors file at path and checks its header. The caller
// must Close the File.
func Open(path string) (*File, error) {
	data, err := mmap.Open(path) // nil for an empty file, which parse rejects
	if err != nil {
		return nil, err
	}
	f, err := parse(data)
	if err != nil {
		if data != nil {
			mmap.Unmap(data) // the parse error is the one worth reporting
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

// Close unmaps the file. Closing twice is harmless.
func (f *File) Close() error {
	data := f.data
	f.data = nil
	if data == nil {
		return nil
	}
	return mmap.Unmap(data)
}

// Data returns the bytes of tensor t, one of f.Tensors: little-endian values
// of t.Type, row-major. The slice aliases the read-only mapping: writing to it
// crashes the process, and it is valid only until Close.
func (f *File) Data(t Tensor) []byte { return f.data[t.Begin : t.Begin+t.Size] }

// Release gives back the memory holding tensor t's bytes once a caller that
// streams through the file is done with it (see mmap.Release); Data stays
// valid and reads the file again if used.
func (f *File) Release(t Tensor) { mmap.Release(f.Data(t)) }

// entry is one tensor's header record; unknown fields are an error.
type entry struct {
	DType   string    `json:"dtype"`
	Shape   *[]uint64 `json:"shape"`
	Offsets *[]uint64 `json:"data_offsets"`
}

// parse checks the header of a whole file's bytes and returns its tensors.
func parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the header length", ErrCorrupt, len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderBytes {
		return nil, fmt.Errorf("%w: header length %d is over the %d-byte limit", ErrCorrupt, n, MaxHeaderBytes)
	}
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("%w: header length %d runs past the end of the %d-byte file", ErrCorrupt, n, len(data))
	}
	header, body := data[8:8+n], data[8+n:]
	f := &File{data: data}

	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: header is not a JSON object", ErrCorrupt)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
		}
		name := tok.(string) // inside an object, Token returns keys as strings
		if seen[name] {
			return nil, fmt.Errorf("%w: header names %q twice", ErrCorrupt, name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := decodeStrict(dec, &f.Metadata); err != nil {
				return nil, fmt.Errorf("%w: __metadata__ must map strings to strings: %v", ErrCorrupt, err)
			}
			continue
		}
		var e entry
		if err := decodeStrict(dec, &e); err != nil {
			return nil, fmt.Errorf("%w: tensor %q: %v", ErrCorrupt, name, err)
		}
		t, err := check(name, e, uint64(len(body)))
		if err != nil {
			return nil, err
		}
		t.Begin += 8 + n
		f.Tensors = append(f.Tensors, t)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: header has data after its JSON object", ErrCorrupt)
	}

	// No two tensors may share bytes: sorted by start, each must begin at or
	// after the end of the ones before it (empty tensors hold no bytes).
	byStart := slices.Clone(f.Tensors)
	sort.Slice(byStart, func(i, j int) bool { return byStart[i].Begin < byStart[j].Begin })
	var prev Tensor
	for _, t := range byStart {
		if t.Size == 0 {
			continue
		}
		if prev.Size > 0 && t.Begin < prev.Begin+prev.Size {
			return nil, fmt.Errorf("%w: tensors %q and %q overlap", ErrCorrupt, prev.Name, t.Name)
		}
		prev = t
	}
	sort.Slice(f.Tensors, func(i, j int) bool { return f.Tensors[i].Name < f.Tensors[j].Name })
	return f, nil
}

// decodeStrict decodes the next JSON value into v, rejecting unknown fields.
func decodeStrict(dec *json.Decoder, v any) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// check validates one header record against the data area's size.
func check(name string, e entry, dataSize uint64) (Tensor, error) {
	if name == "" {
		return Tensor{}, fmt.Errorf("%w: a tensor has an empty name", ErrCorrupt)
	}
	if e.Shape == nil || e.Offsets == nil {
		return Tensor{}, fmt.Errorf("%w: tensor %q lacks shape or data_offsets", ErrCorrupt, name)
	}
	typ, ok := dtypes[e.DType]
	if !ok {
		return Tensor{}, fmt.Errorf("tensor %q: %w %q (Nibble converts F32, F16 and BF16)", name, ErrDType, e.DType)
	}
	off := *e.Offsets
	if len(off) != 2 || off[0] > off[1] || off[1] > dataSize {
		return Tensor{}, fmt.Errorf("%w: tensor %q: data_offsets %v outside the %d-byte data area", ErrCorrupt, name, off, dataSize)
	}
	size := uint64(typ.BlockBytes())
	for _, d := range *e.Shape {
		hi, lo := bits.Mul64(size, d)
		if hi != 0 {
			return Tensor{}, fmt.Errorf("%w: tensor %q: shape %v overflows", ErrCorrupt, name, *e.Shape)
		}
		size = lo
	}
	if size != off[1]-off[0] {
		return Tensor{}, fmt.Errorf("%w: tensor %q: shape %v of %s takes %d bytes, data_offsets %v hold %d",
			ErrCorrupt, name, *e.Shape, e.DType, size, off, off[1]-off[0])
	}
	return Tensor{Name: name, Type: typ, Shape: slices.Clone(*e.Shape), Begin: off[0], Size: size}, nil
}
