package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"nibble/engine/mmap"
)

// Every error from Open about a file's contents wraps exactly one of these,
// so callers can tell a file that is not a model apart from a damaged or
// unsupported one; the message names the problem (which key, which tensor,
// which offset). Failing to open or map the file gives the os error instead.
var (
	ErrNotGGUF     = errors.New("not a GGUF file")          // wrong magic
	ErrVersion     = errors.New("unsupported GGUF version") // v1, big-endian or future
	ErrTruncated   = errors.New("truncated GGUF file")      // something points past the end
	ErrUnknownType = errors.New("unknown tensor type")      // a ggml type Nibble does not know
	ErrCorrupt     = errors.New("malformed GGUF file")      // any other inconsistency
)

// DefaultAlignment is the data alignment of a file without general.alignment.
const DefaultAlignment = 32

// KeyAlignment is the metadata key that overrides DefaultAlignment; its value
// must be a uint32 power of two.
const KeyAlignment = "general.alignment"

// MaxDims is the most dimensions a tensor can have (ggml's GGML_MAX_DIMS).
const MaxDims = 4

// maxArrayDepth bounds nested arrays so a hostile file cannot drive the
// recursive decoder arbitrarily deep. Real files never nest at all.
const maxArrayDepth = 8

// File is an open GGUF file. Its tensor data is a read-only memory mapping of
// the file; the metadata and tensor infos are parsed into the Go heap.
//
// A File is safe for concurrent use by multiple goroutines, except Close: no
// goroutine may use the File or a TensorData slice during or after Close.
// The file must not be modified while it is open: on unix, truncating it under
// the mapping makes accesses to the lost pages crash the process.
type File struct {
	Version    uint32
	Alignment  uint64
	KV         []KV         // metadata in file order
	Tensors    []TensorInfo // tensor infos in file order
	DataOffset uint64       // absolute file offset of the tensor data section

	data    []byte             // the whole file: a mapping (package mmap) or heap bytes
	unmap   func([]byte) error // releases data; nil if data is not a mapping
	keys    map[string]int     // key -> index in KV
	tensors map[string]int     // name -> index in Tensors
}

// TensorInfo describes one tensor. Dims are in ggml order: Dims[0] (ne0) is
// the row width, the number of elements stored contiguously. Infos from a File
// share Dims with it; do not modify them.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   Type
	Offset uint64 // relative to the start of the data section
}

// Elements returns the number of elements of the tensor.
func (t TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Bytes returns the size of the tensor's data, or 0 if its type is unknown.
func (t TensorInfo) Bytes() uint64 {
	be := uint64(t.Type.BlockElems())
	if be == 0 {
		return 0
	}
	return t.Elements() / be * uint64(t.Type.BlockBytes())
}

// Rows returns the number of rows: elements / Dims[0].
func (t TensorInfo) Rows() uint64 {
	if len(t.Dims) == 0 || t.Dims[0] == 0 {
		return 0
	}
	return t.Elements() / t.Dims[0]
}

// validate checks what the reader and the writer both require of a tensor
// info: 1 to MaxDims non-zero dims, a known type whose block size divides the
// row width, and an element count and byte size that fit an int64 (ggml
// counts in int64).
func (t TensorInfo) validate() error {
	if len(t.Dims) == 0 || len(t.Dims) > MaxDims {
		return fmt.Errorf("%w: %d dims, want 1 to %d", ErrCorrupt, len(t.Dims), MaxDims)
	}
	n := uint64(1)
	for i, d := range t.Dims {
		if d == 0 {
			return fmt.Errorf("%w: dim %d is zero", ErrCorrupt, i)
		}
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > math.MaxInt64 {
			return fmt.Errorf("%w: element count of dims %v overflows", ErrCorrupt, t.Dims)
		}
		n = lo
	}
	if !t.Type.Known() {
		return fmt.Errorf("%w %d", ErrUnknownType, uint32(t.Type))
	}
	if be := uint64(t.Type.BlockElems()); t.Dims[0]%be != 0 {
		return fmt.Errorf("%w: row width %d is not a multiple of the %v block size %d", ErrCorrupt, t.Dims[0], t.Type, be)
	}
	hi, lo := bits.Mul64(n/uint64(t.Type.BlockElems()), uint64(t.Type.BlockBytes()))
	if hi != 0 || lo > math.MaxInt64 {
		return fmt.Errorf("%w: byte size of dims %v of type %v overflows", ErrCorrupt, t.Dims, t.Type)
	}
	return nil
}

// Open maps the GGUF file at path read-only and parses its header. The caller
// must Close the File.
func Open(path string) (*File, error) {
	data, err := mmap.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open gguf: %w", err)
	}
	f, err := parse(data)
	if err != nil {
		if data != nil {
			mmap.Unmap(data) // the parse error is the one worth reporting
		}
		return nil, fmt.Errorf("open gguf %s: %w", path, err)
	}
	f.unmap = mmap.Unmap // parse rejects an empty file, so data is a mapping
	return f, nil
}

// Close unmaps the file. Slices returned by TensorData must not be used
// afterwards. Closing twice is harmless.
func (f *File) Close() error {
	data, unmap := f.data, f.unmap
	f.data, f.unmap = nil, nil
	if unmap == nil {
		return nil
	}
	if err := unmap(data); err != nil {
		return fmt.Errorf("close gguf: unmap: %w", err)
	}
	return nil
}

// TensorData returns the bytes of tensor t, which must be one of f.Tensors. The
// slice aliases the read-only mapping: writing to it crashes the process, and
// it is valid only until Close.
func (f *File) TensorData(t TensorInfo) []byte {
	start := f.DataOffset + t.Offset
	return f.data[start : start+t.Bytes() : start+t.Bytes()]
}

// Release gives back the memory holding tensor t's bytes, for a caller that
// streams through the file and is done with t (see mmap.Release): the
// process's resident memory then stays near one tensor's size instead of
// growing to the file's. TensorData stays valid and reads the file again.
func (f *File) Release(t TensorInfo) { mmap.Release(f.TensorData(t)) }

// Tensor returns the info of the tensor called name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.tensors[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensors[i], true
}

// Architecture returns general.architecture ("llama"), or "" if absent.
func (f *File) Architecture() string {
	s, _ := f.String("general.architecture")
	return s
}

// ParamCount returns the total number of elements of all tensors.
func (f *File) ParamCount() uint64 {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Elements()
	}
	return n
}

// parse reads a whole GGUF file held in data. The File it returns references
// data (for TensorData) but copies all metadata out of it.
func parse(data []byte) (*File, error) {
	d := &decoder{b: data}
	if len(data) < 4 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the magic", ErrTruncated, len(data))
	}
	if magic := string(data[:4]); magic != "GGUF" {
		return nil, fmt.Errorf("%w: magic %q, want \"GGUF\"", ErrNotGGUF, magic)
	}
	d.off = 4
	f := &File{Version: d.u32(), Alignment: DefaultAlignment, data: data}
	if d.err != nil {
		return nil, fmt.Errorf("header: %w", d.err)
	}
	switch f.Version {
	case 2, 3:
	case 1:
		return nil, fmt.Errorf("%w 1 (reconvert the model with a current llama.cpp)", ErrVersion)
	case 2 << 24, 3 << 24:
		return nil, fmt.Errorf("%w %d: big-endian file", ErrVersion, bits.ReverseBytes32(f.Version))
	default:
		return nil, fmt.Errorf("%w %d", ErrVersion, f.Version)
	}
	nTensors, nKV := d.u64(), d.u64()
	if d.err != nil {
		return nil, fmt.Errorf("header: %w", d.err)
	}

	// A key takes at least its length, its type and a 1-byte value.
	if err := d.fits(nKV, 8+4+1, "metadata count"); err != nil {
		return nil, err
	}
	f.KV = make([]KV, 0, nKV)
	f.keys = make(map[string]int, nKV)
	for i := range nKV {
		key := d.str()
		v := d.value(ValueType(d.u32()), 0)
		if d.err != nil {
			return nil, fmt.Errorf("metadata %d (key %q): %w", i, key, d.err)
		}
		if _, dup := f.keys[key]; dup {
			return nil, fmt.Errorf("%w: duplicate metadata key %q", ErrCorrupt, key)
		}
		f.keys[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: v})
	}
	if v, ok := f.Get(KeyAlignment); ok {
		a, isU32 := v.V.(uint32)
		if !isU32 || v.Type != ValueUint32 {
			return nil, fmt.Errorf("%w: %s has type %v, want uint32", ErrCorrupt, KeyAlignment, v.Type)
		}
		if a == 0 || a&(a-1) != 0 {
			return nil, fmt.Errorf("%w: %s is %d, not a power of two", ErrCorrupt, KeyAlignment, a)
		}
		f.Alignment = uint64(a)
	}

	// A tensor info takes at least its name length, dim count, one dim, type
	// and offset.
	if err := d.fits(nTensors, 8+4+8+4+8, "tensor count"); err != nil {
		return nil, err
	}
	f.Tensors = make([]TensorInfo, 0, nTensors)
	f.tensors = make(map[string]int, nTensors)
	for i := range nTensors {
		t := TensorInfo{Name: d.str()}
		nDims := d.u32()
		if d.err == nil && (nDims == 0 || nDims > MaxDims) {
			return nil, fmt.Errorf("tensor %d (%q): %w: %d dims, want 1 to %d", i, t.Name, ErrCorrupt, nDims, MaxDims)
		}
		for range nDims {
			t.Dims = append(t.Dims, d.u64())
		}
		t.Type = Type(d.u32())
		t.Offset = d.u64()
		if d.err != nil {
			return nil, fmt.Errorf("tensor %d (%q): %w", i, t.Name, d.err)
		}
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("tensor %d (%q): %w", i, t.Name, err)
		}
		if t.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("tensor %d (%q): %w: offset %d is not a multiple of the alignment %d", i, t.Name, ErrCorrupt, t.Offset, f.Alignment)
		}
		if _, dup := f.tensors[t.Name]; dup {
			return nil, fmt.Errorf("%w: duplicate tensor name %q", ErrCorrupt, t.Name)
		}
		f.tensors[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}

	// The data section starts at the next multiple of the alignment. A file
	// without tensors may end before that padding (gguf-py writes none).
	f.DataOffset = d.off
	if r := d.off % f.Alignment; r != 0 {
		f.DataOffset += f.Alignment - r // d.off <= len(data), so no overflow
	}
	if err := checkLayout(f, uint64(len(data))); err != nil {
		return nil, err
	}
	return f, nil
}

// checkLayout makes sure every tensor lies inside the file and no two overlap.
func checkLayout(f *File, size uint64) error {
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmpUint64(f.Tensors[a].Offset, f.Tensors[b].Offset)
	})
	var prevEnd uint64
	for k, i := range order {
		t := f.Tensors[i]
		n := t.Bytes()
		if f.DataOffset > size || t.Offset > size-f.DataOffset || n > size-f.DataOffset-t.Offset {
			return fmt.Errorf("tensor %q: %w: data [%d, +%d) past the end of the %d-byte file (data section at %d)",
				t.Name, ErrTruncated, t.Offset, n, size, f.DataOffset)
		}
		if k > 0 && t.Offset < prevEnd {
			prev := f.Tensors[order[k-1]]
			return fmt.Errorf("%w: tensors %q and %q overlap (offset %d < end %d)", ErrCorrupt, prev.Name, t.Name, t.Offset, prevEnd)
		}
		prevEnd = t.Offset + n
	}
	return nil
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decoder reads little-endian values from b. The first failure is kept in err
// and turns every later read into a no-op returning zero values, so callers
// check err once per item instead of after every field.
type decoder struct {
	b   []byte
	off uint64
	err error
}

// take returns the next n bytes, or nil (setting err) if fewer are left.
func (d *decoder) take(n uint64, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b))-d.off {
		d.err = fmt.Errorf("%w: %s of %d bytes at offset %d past the end of the %d-byte file", ErrTruncated, what, n, d.off, len(d.b))
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

// fits checks that count items of at least minSize bytes each can fit in the
// rest of the file, so allocations sized by count are bounded by the file size.
func (d *decoder) fits(count uint64, minSize uint64, what string) error {
	if d.err != nil {
		return d.err
	}
	left := uint64(len(d.b)) - d.off
	if count > left/minSize {
		return fmt.Errorf("%w: %s %d needs at least %d bytes each, only %d bytes left at offset %d", ErrTruncated, what, count, minSize, left, d.off)
	}
	return nil
}

func (d *decoder) u8() uint8 {
	if p := d.take(1, "uint8"); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if p := d.take(2, "uint16"); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4, "uint32"); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8, "uint64"); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// str reads a length-prefixed string and copies it into the heap.
func (d *decoder) str() string {
	n := d.u64()
	return string(d.take(n, "string"))
}

// value reads a value of type t; depth counts enclosing arrays.
func (d *decoder) value(t ValueType, depth int) Value {
	if d.err != nil {
		return Value{}
	}
	switch t {
	case ValueUint8:
		return Uint8(d.u8())
	case ValueInt8:
		return Int8(int8(d.u8()))
	case ValueUint16:
		return Uint16(d.u16())
	case ValueInt16:
		return Int16(int16(d.u16()))
	case ValueUint32:
		return Uint32(d.u32())
	case ValueInt32:
		return Int32(int32(d.u32()))
	case ValueFloat32:
		return Float32(math.Float32frombits(d.u32()))
	case ValueBool:
		return Bool(d.boolean())
	case ValueString:
		return String(d.str())
	case ValueUint64:
		return Uint64(d.u64())
	case ValueInt64:
		return Int64(int64(d.u64()))
	case ValueFloat64:
		return Float64(math.Float64frombits(d.u64()))
	case ValueArray:
		return d.array(depth + 1)
	}
	d.err = fmt.Errorf("%w: unknown value type %d", ErrCorrupt, uint32(t))
	return Value{}
}

// boolean reads a bool byte, which must be 0 or 1 so that writing the value
// back gives the same bytes.
func (d *decoder) boolean() bool {
	b := d.u8()
	if b > 1 && d.err == nil {
		d.err = fmt.Errorf("%w: bool byte %d at offset %d, want 0 or 1", ErrCorrupt, b, d.off-1)
	}
	return b == 1
}

// array reads an array's element type, count and elements.
func (d *decoder) array(depth int) Value {
	elem := ValueType(d.u32())
	n := d.u64()
	if d.err != nil {
		return Value{}
	}
	if depth > maxArrayDepth {
		d.err = fmt.Errorf("%w: arrays nested more than %d deep", ErrCorrupt, maxArrayDepth)
		return Value{}
	}
	size := elem.minSize()
	if size == 0 {
		d.err = fmt.Errorf("%w: array of unknown value type %d", ErrCorrupt, uint32(elem))
		return Value{}
	}
	if d.err = d.fits(n, uint64(size), "array of "+elem.String()+" count"); d.err != nil {
		return Value{}
	}
	var v any
	switch elem {
	case ValueUint8:
		v = readSlice(d, n, (*decoder).u8)
	case ValueInt8:
		v = readSlice(d, n, func(d *decoder) int8 { return int8(d.u8()) })
	case ValueUint16:
		v = readSlice(d, n, (*decoder).u16)
	case ValueInt16:
		v = readSlice(d, n, func(d *decoder) int16 { return int16(d.u16()) })
	case ValueUint32:
		v = readSlice(d, n, (*decoder).u32)
	case ValueInt32:
		v = readSlice(d, n, func(d *decoder) int32 { return int32(d.u32()) })
	case ValueFloat32:
		v = readSlice(d, n, func(d *decoder) float32 { return math.Float32frombits(d.u32()) })
	case ValueBool:
		v = readSlice(d, n, (*decoder).boolean)
	case ValueString:
		v = readSlice(d, n, (*decoder).str)
	case ValueUint64:
		v = readSlice(d, n, (*decoder).u64)
	case ValueInt64:
		v = readSlice(d, n, func(d *decoder) int64 { return int64(d.u64()) })
	case ValueFloat64:
		v = readSlice(d, n, func(d *decoder) float64 { return math.Float64frombits(d.u64()) })
	case ValueArray:
		v = readSlice(d, n, func(d *decoder) Value { return d.array(depth + 1) })
	}
	if d.err != nil {
		return Value{}
	}
	return Value{Type: ValueArray, Elem: elem, V: v}
}

// readSlice reads n elements with read, stopping at the first error. The
// caller has bounded n by the bytes left.
func readSlice[T any](d *decoder, n uint64, read func(*decoder) T) []T {
	s := make([]T, 0, n)
	for range n {
		x := read(d)
		if d.err != nil {
			return nil
		}
		s = append(s, x)
	}
	return s
}
