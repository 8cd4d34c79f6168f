package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
)

// maxNameLen is the longest tensor name ggml accepts (GGML_MAX_NAME - 1).
const maxNameLen = 63

// Writer streams a GGUF v3 file: declare the metadata and all tensors first,
// then write each tensor's data in the declared order. Only one tensor's data
// is ever needed in memory.
//
// The output goes to a temporary file beside the target (".<name>.tmp-*"),
// renamed into place by Commit after an fsync, so a crash or an error never
// leaves a partial file under the final name. Use it as:
//
//	w, err := gguf.Create(path)
//	if err != nil { ... }
//	defer w.Abort() // removes the temporary file unless Commit succeeded
//	w.CopyKV(src); w.SetKV(...); w.AddTensor(...) ...
//	w.WriteTensor(...) ... // in AddTensor order
//	return w.Commit()
//
// Tensor offsets follow general.alignment (uint32, default 32) as set when the
// first WriteTensor or Commit writes the header; the data section and each
// tensor are padded with zeros to it, like llama.cpp and gguf-py do.
//
// A Writer is not safe for concurrent use. After a write error every later
// call returns that error.
type Writer struct {
	path  string
	tmp   *os.File
	buf   *bufio.Writer
	state writerState
	err   error // first write error, returned by every later call

	kv      []KV
	keys    map[string]int
	tensors []TensorInfo
	names   map[string]int
	align   uint64
	next    int // index in tensors of the next tensor to write
}

type writerState int

const (
	declaring writerState = iota // header not written yet
	writing                      // header written, tensor data going out
	committed
	aborted
)

// Create starts writing a GGUF file that will appear at path on Commit. The
// directory of path must exist and be writable.
func Create(path string) (*Writer, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create gguf: %w", err)
	}
	// CreateTemp makes the file private (0600); a model is an ordinary
	// document, so give it the permissions os.Create has under umask 022.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("create gguf: %w", err)
	}
	return &Writer{
		path:  path,
		tmp:   tmp,
		buf:   bufio.NewWriterSize(tmp, 1<<20),
		keys:  map[string]int{},
		names: map[string]int{},
	}, nil
}

// SetKV sets key to v: a new key is appended, an existing one keeps its place
// and gets the new value. Metadata can change only before the header is
// written (the first WriteTensor). v's slices are kept, not copied: do not
// change them before the header is written.
func (w *Writer) SetKV(key string, v Value) error {
	if err := w.declaring("set metadata " + key); err != nil {
		return err
	}
	if err := v.check(); err != nil {
		return fmt.Errorf("set metadata %s: %w", key, err)
	}
	if i, ok := w.keys[key]; ok {
		w.kv[i].Value = v
		return nil
	}
	w.keys[key] = len(w.kv)
	w.kv = append(w.kv, KV{Key: key, Value: v})
	return nil
}

// DeleteKV removes key if present, keeping the order of the others.
func (w *Writer) DeleteKV(key string) error {
	if err := w.declaring("delete metadata " + key); err != nil {
		return err
	}
	i, ok := w.keys[key]
	if !ok {
		return nil
	}
	w.kv = append(w.kv[:i], w.kv[i+1:]...)
	delete(w.keys, key)
	for j := i; j < len(w.kv); j++ {
		w.keys[w.kv[j].Key] = j
	}
	return nil
}

// CopyKV sets every metadata pair of f, in f's order. The values are shared,
// not copied (Values are treated as read-only).
func (w *Writer) CopyKV(f *File) error {
	for _, kv := range f.KV {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// AddTensor declares the next tensor. dims are in ggml order (dims[0] is the
// row width) and are copied. All tensors must be declared before the first
// WriteTensor.
func (w *Writer) AddTensor(name string, typ Type, dims []uint64) error {
	if err := w.declaring("add tensor " + name); err != nil {
		return err
	}
	t := TensorInfo{Name: name, Type: typ, Dims: append([]uint64(nil), dims...)}
	if len(name) > maxNameLen {
		return fmt.Errorf("add tensor %s: name longer than %d bytes", name, maxNameLen)
	}
	if _, dup := w.names[name]; dup {
		return fmt.Errorf("add tensor %s: duplicate name", name)
	}
	if err := t.validate(); err != nil {
		return fmt.Errorf("add tensor %s: %w", name, err)
	}
	w.names[name] = len(w.tensors)
	w.tensors = append(w.tensors, t)
	return nil
}

// WriteTensor writes the data of tensor name, which must be the next declared
// tensor, with exactly its size in bytes. The first call writes the header.
// data is not retained.
func (w *Writer) WriteTensor(name string, data []byte) error {
	if w.state == declaring {
		if err := w.writeHeader(); err != nil {
			return err
		}
	}
	if w.state != writing {
		return fmt.Errorf("write tensor %s: writer already %s", name, w.stateName())
	}
	if w.err != nil {
		return w.err
	}
	if w.next == len(w.tensors) {
		return fmt.Errorf("write tensor %s: all %d declared tensors already written", name, len(w.tensors))
	}
	t := w.tensors[w.next]
	if name != t.Name {
		return fmt.Errorf("write tensor %s: out of order, next is %s", name, t.Name)
	}
	if uint64(len(data)) != t.Bytes() {
		return fmt.Errorf("write tensor %s: %d bytes, want %d for %v %v", name, len(data), t.Bytes(), t.Type, t.Dims)
	}
	w.write(data)
	w.write(make([]byte, padding(t.Bytes(), w.align)))
	if w.err != nil {
		return w.err
	}
	w.next++
	return nil
}

// Commit finishes the file: it checks that every declared tensor was written,
// flushes and fsyncs the temporary file and renames it to the target path,
// replacing any file there (on Windows that file must not be open, e.g. as a
// File being converted). After Commit, Abort does nothing.
func (w *Writer) Commit() error {
	if w.state == declaring {
		if err := w.writeHeader(); err != nil {
			return err
		}
	}
	if w.state != writing {
		return fmt.Errorf("commit gguf %s: writer already %s", w.path, w.stateName())
	}
	if w.err != nil {
		return w.err
	}
	if w.next < len(w.tensors) {
		return fmt.Errorf("commit gguf %s: tensor %s (and %d more) not written", w.path, w.tensors[w.next].Name, len(w.tensors)-w.next-1)
	}
	if err := w.buf.Flush(); err != nil {
		return w.fail(err)
	}
	if err := w.tmp.Sync(); err != nil {
		return w.fail(err)
	}
	if err := w.tmp.Close(); err != nil {
		return w.fail(err)
	}
	if err := os.Rename(w.tmp.Name(), w.path); err != nil {
		return w.fail(err)
	}
	w.state = committed
	syncDir(filepath.Dir(w.path))
	return nil
}

// Abort discards the file being written: it closes and removes the temporary
// file. It does nothing after Commit or a previous Abort, so it can be
// deferred right after Create.
func (w *Writer) Abort() error {
	if w.state == committed || w.state == aborted {
		return nil
	}
	w.state = aborted
	w.tmp.Close() // may already be closed by a failed Commit
	if err := os.Remove(w.tmp.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("abort gguf %s: %w", w.path, err)
	}
	return nil
}

// declaring returns an error unless metadata and tensors can still change.
func (w *Writer) declaring(op string) error {
	if w.state != declaring {
		return fmt.Errorf("%s: header already written (writer %s)", op, w.stateName())
	}
	return nil
}

func (w *Writer) stateName() string {
	return [...]string{"declaring", "writing", "committed", "aborted"}[w.state]
}

// writeHeader fixes the tensor offsets and writes the header, padded to the
// alignment when tensor data follows.
func (w *Writer) writeHeader() error {
	w.align = DefaultAlignment
	if i, ok := w.keys[KeyAlignment]; ok {
		v := w.kv[i].Value
		a, _ := v.V.(uint32)
		if v.Type != ValueUint32 || a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("write gguf header: %s must be a uint32 power of two, have %v %v", KeyAlignment, v.Type, v.V)
		}
		w.align = uint64(a)
	}
	if err := layout(w.tensors, w.align); err != nil {
		return fmt.Errorf("write gguf header: %w", err)
	}
	w.state = writing
	w.write(encodeHeader(w.kv, w.tensors, w.align))
	return w.err
}

// layout sets the offsets of tensors: one after the other in order, each
// padded to align.
func layout(tensors []TensorInfo, align uint64) error {
	var off uint64
	for i := range tensors {
		tensors[i].Offset = off
		n := tensors[i].Bytes()
		n += padding(n, align)
		if off > math.MaxInt64-n {
			return fmt.Errorf("tensor data exceeds %d bytes", int64(math.MaxInt64))
		}
		off += n
	}
	return nil
}

// encodeHeader returns the GGUF v3 header of kv and tensors (whose values
// have passed check and whose offsets are set), padded to align when there
// are tensors: like gguf-py, it leaves a file without tensors unpadded.
func encodeHeader(kv []KV, tensors []TensorInfo, align uint64) []byte {
	h := []byte("GGUF")
	h = binary.LittleEndian.AppendUint32(h, 3)
	h = binary.LittleEndian.AppendUint64(h, uint64(len(tensors)))
	h = binary.LittleEndian.AppendUint64(h, uint64(len(kv)))
	for _, kv := range kv {
		h = appendString(h, kv.Key)
		h = binary.LittleEndian.AppendUint32(h, uint32(kv.Value.Type))
		h = appendValue(h, kv.Value)
	}
	for _, t := range tensors {
		h = appendString(h, t.Name)
		h = binary.LittleEndian.AppendUint32(h, uint32(len(t.Dims)))
		for _, d := range t.Dims {
			h = binary.LittleEndian.AppendUint64(h, d)
		}
		h = binary.LittleEndian.AppendUint32(h, uint32(t.Type))
		h = binary.LittleEndian.AppendUint64(h, t.Offset)
	}
	if len(tensors) > 0 {
		h = append(h, make([]byte, padding(uint64(len(h)), align))...)
	}
	return h
}

// write sends p to the temporary file unless a write failed before.
func (w *Writer) write(p []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.buf.Write(p); err != nil {
		w.fail(err)
	}
}

// fail records the first write error and returns it.
func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("write gguf %s: %w", w.path, err)
	}
	return w.err
}

// padding returns how many bytes take n to the next multiple of align.
func padding(n, align uint64) uint64 {
	return (align - n%align) % align
}

// syncDir fsyncs directory dir so a rename in it survives a crash. It is best
// effort: Windows cannot open a directory for syncing and some unix file
// systems refuse, and the file itself is already synced either way.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// appendValue encodes v, which has passed check, without its type tag.
func appendValue(b []byte, v Value) []byte {
	le := binary.LittleEndian
	switch x := v.V.(type) {
	case uint8:
		return append(b, x)
	case int8:
		return append(b, byte(x))
	case uint16:
		return le.AppendUint16(b, x)
	case int16:
		return le.AppendUint16(b, uint16(x))
	case uint32:
		return le.AppendUint32(b, x)
	case int32:
		return le.AppendUint32(b, uint32(x))
	case float32:
		return le.AppendUint32(b, math.Float32bits(x))
	case bool:
		return append(b, boolByte(x))
	case string:
		return appendString(b, x)
	case uint64:
		return le.AppendUint64(b, x)
	case int64:
		return le.AppendUint64(b, uint64(x))
	case float64:
		return le.AppendUint64(b, math.Float64bits(x))
	case []uint8:
		return appendSlice(b, v.Elem, x, func(b []byte, e uint8) []byte { return append(b, e) })
	case []int8:
		return appendSlice(b, v.Elem, x, func(b []byte, e int8) []byte { return append(b, byte(e)) })
	case []uint16:
		return appendSlice(b, v.Elem, x, le.AppendUint16)
	case []int16:
		return appendSlice(b, v.Elem, x, func(b []byte, e int16) []byte { return le.AppendUint16(b, uint16(e)) })
	case []uint32:
		return appendSlice(b, v.Elem, x, le.AppendUint32)
	case []int32:
		return appendSlice(b, v.Elem, x, func(b []byte, e int32) []byte { return le.AppendUint32(b, uint32(e)) })
	case []float32:
		return appendSlice(b, v.Elem, x, func(b []byte, e float32) []byte { return le.AppendUint32(b, math.Float32bits(e)) })
	case []bool:
		return appendSlice(b, v.Elem, x, func(b []byte, e bool) []byte { return append(b, boolByte(e)) })
	case []string:
		return appendSlice(b, v.Elem, x, appendString)
	case []uint64:
		return appendSlice(b, v.Elem, x, le.AppendUint64)
	case []int64:
		return appendSlice(b, v.Elem, x, func(b []byte, e int64) []byte { return le.AppendUint64(b, uint64(e)) })
	case []float64:
		return appendSlice(b, v.Elem, x, func(b []byte, e float64) []byte { return le.AppendUint64(b, math.Float64bits(e)) })
	case []Value:
		return appendSlice(b, v.Elem, x, appendValue)
	}
	panic(fmt.Sprintf("gguf: appendValue of unchecked %T", v.V)) // check rules this out
}

// appendSlice encodes an array: element type, count, elements.
func appendSlice[T any](b []byte, elem ValueType, s []T, add func([]byte, T) []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(elem))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	for _, e := range s {
		b = add(b, e)
	}
	return b
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
