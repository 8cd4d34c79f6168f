package quant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"nibble/engine/gguf"
)

// QuantizationVersion is the value llama.cpp writes as
// general.quantization_version (GGML_QNT_VERSION); loaders check it.
const QuantizationVersion = 2

// Options says how QuantizeFile converts a model.
type Options struct {
	Mix Mix
	// Threads is how many rows are converted at once; 0 means one per CPU.
	Threads int
	// Progress, if set, is called as the conversion advances: after each
	// chunk of rows, from worker goroutines but never concurrently. It must
	// return quickly; it does not need to be goroutine-safe itself.
	Progress func(Progress)
	// Importance, if set, is an importance matrix: tensors it has weights
	// for are quantized with llama.cpp's importance-weighted searches.
	Importance *Importance
}

// Importance is an importance matrix (llama.cpp's imatrix) as QuantizeFile
// uses it, independent of the file it was read from.
type Importance struct {
	// Weights returns the importance of each input column of the named
	// tensor (the mean squared activation it met; one value per element of
	// a row, for a 3-D tensor one such run per matrix), or nil when the
	// matrix has no entry for it. It is called once per tensor, from the
	// goroutine running QuantizeFile, and the result is only read.
	Weights func(tensorName string) []float32
	// What llama-quantize records in the output's metadata:
	File    string // quantize.imatrix.file: the matrix's path as given
	Dataset string // quantize.imatrix.dataset: its calibration text; omitted if ""
	Entries int    // quantize.imatrix.entries_count: the number of tensors it covers
	Chunks  int    // quantize.imatrix.chunks_count: calibration chunks; omitted if 0
}

// metadata returns the quantize.imatrix.* keys llama-quantize writes, in its
// order: strings cut to 127 bytes as its fixed-size override buffer does,
// counts as int32.
func (im *Importance) metadata() []gguf.KV {
	cut := func(s string) string { return s[:min(len(s), 127)] }
	kvs := []gguf.KV{{Key: "quantize.imatrix.file", Value: gguf.String(cut(im.File))}}
	if im.Dataset != "" {
		kvs = append(kvs, gguf.KV{Key: "quantize.imatrix.dataset", Value: gguf.String(cut(im.Dataset))})
	}
	kvs = append(kvs, gguf.KV{Key: "quantize.imatrix.entries_count", Value: gguf.Int32(int32(im.Entries))})
	if im.Chunks > 0 {
		kvs = append(kvs, gguf.KV{Key: "quantize.imatrix.chunks_count", Value: gguf.Int32(int32(im.Chunks))})
	}
	return kvs
}

// weights returns the importance weights for tensor t, nil when there are
// none, checked the way llama-quantize checks them: one value per column
// (per matrix of a 3-D tensor), all finite. A wrong count is an error, except
// for token_embd.weight, which is then quantized without weights (llama.cpp
// excuses it: an imatrix may hold an entry of another shape for it).
func (im *Importance) weights(t gguf.TensorInfo) ([]float32, error) {
	if im == nil || im.Weights == nil {
		return nil, nil
	}
	w := im.Weights(t.Name)
	if w == nil {
		return nil, nil
	}
	want := t.Dims[0]
	if len(t.Dims) > 2 {
		want *= t.Dims[2]
	}
	if uint64(len(w)) != want {
		if t.Name == "token_embd.weight" {
			return nil, nil
		}
		return nil, fmt.Errorf("importance matrix has %d values for %s, which needs %d", len(w), t.Name, want)
	}
	for _, v := range w {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("importance matrix entry for %s holds a non-finite value %v", t.Name, v)
		}
	}
	return w, nil
}

// Progress reports how far a QuantizeFile call has come.
type Progress struct {
	Tensor     int    // index of the tensor being converted (0-based, in write order)
	Tensors    int    // number of tensors in the file
	Name       string // name of the tensor being converted
	BytesDone  int64  // bytes of input tensor data converted so far
	BytesTotal int64  // bytes of input tensor data in all
}

// Result describes a finished conversion.
type Result struct {
	Tensors     int   // tensors written
	Quantized   int   // tensors whose type changed
	Weighted    int   // of those, quantized with importance weights
	InputBytes  int64 // tensor data read
	OutputBytes int64 // size of the written file
	// Requantized is true when some input weights were already quantized:
	// converting them again loses more quality than starting from F16/F32.
	Requantized bool
	Elapsed     time.Duration
}

// QuantizeFile writes a copy of the GGUF model at in to out with the tensor
// types opts.Mix chooses, the way llama-quantize does: the same type per
// tensor, byte-identical blocks without an importance matrix, the metadata
// copied with general.file_type and general.quantization_version set (and
// quantize.imatrix.* with one), tensors in llama-quantize's order. An
// importance matrix changes the blocks, never the types chosen: llama.cpp's
// choice depends on it only for mixes Nibble does not offer (IQ3_XXS). The model is streamed one tensor at a time; the
// output appears under its name only when complete, so a failure or a
// cancelled ctx leaves nothing behind. out must not be in.
func QuantizeFile(ctx context.Context, in, out string, opts Options) (Result, error) {
	start := time.Now()
	if same, err := samePath(in, out); err != nil {
		return Result{}, err
	} else if same {
		return Result{}, fmt.Errorf("quantize: output %s is the input file", out)
	}
	src, err := gguf.Open(in)
	if err != nil {
		return Result{}, err
	}
	defer src.Close()

	plan, err := opts.Mix.Plan(src, src.Tensors)
	if err != nil {
		return Result{}, fmt.Errorf("quantize %s: %w", in, err)
	}
	order := WriteOrder(src.Tensors)

	w, err := gguf.Create(out)
	if err != nil {
		return Result{}, err
	}
	defer w.Abort() // removes the temporary file unless Commit succeeded

	if err := w.CopyKV(src); err != nil {
		return Result{}, err
	}
	// Like llama.cpp, set these keys last (the imatrix ones are its
	// overrides, applied after), so that a file we write is byte-identical
	// to llama-quantize's.
	kvs := []gguf.KV{
		{Key: "general.quantization_version", Value: gguf.Uint32(QuantizationVersion)},
		{Key: "general.file_type", Value: gguf.Uint32(opts.Mix.FileType)},
	}
	if opts.Importance != nil {
		kvs = append(kvs, opts.Importance.metadata()...)
	}
	for _, kv := range kvs {
		if err := w.DeleteKV(kv.Key); err != nil {
			return Result{}, err
		}
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			return Result{}, err
		}
	}

	var res Result
	var maxOut int
	for _, i := range order {
		t := src.Tensors[i]
		if err := w.AddTensor(t.Name, plan[i], t.Dims); err != nil {
			return Result{}, err
		}
		n, _ := plan[i].RowBytes(int(t.Dims[0]))
		maxOut = max(maxOut, n*int(t.Rows()))
		res.InputBytes += int64(t.Bytes())
		if plan[i] != t.Type {
			res.Quantized++
			if !isFloat(t.Type) {
				res.Requantized = true
			}
		}
	}

	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	c := converter{threads: threads, buf: make([]byte, maxOut)}
	p := Progress{Tensors: len(order), BytesTotal: res.InputBytes}
	for k, i := range order {
		t := src.Tensors[i]
		p.Tensor, p.Name = k, t.Name
		var weights []float32
		if plan[i] != t.Type {
			// Checked for every converted tensor, as llama-quantize does,
			// even when its new type makes no use of the weights.
			if weights, err = opts.Importance.weights(t); err != nil {
				return Result{}, fmt.Errorf("quantize %s: %w", in, err)
			}
			if formats[plan[i]].quantizeWeighted == nil {
				weights = nil
			}
			if weights != nil {
				res.Weighted++
			}
		}
		data, err := c.convert(ctx, t, src.TensorData(t), plan[i], weights, &p, opts.Progress)
		if err != nil {
			return Result{}, fmt.Errorf("quantize %s: %w", t.Name, err)
		}
		if err := w.WriteTensor(t.Name, data); err != nil {
			return Result{}, err
		}
		src.Release(t) // keeps memory near one tensor's size on large models
		res.Tensors++
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if err := w.Commit(); err != nil {
		return Result{}, err
	}
	if st, err := os.Stat(out); err == nil {
		res.OutputBytes = st.Size()
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func isFloat(t gguf.Type) bool { return t == gguf.F32 || t == gguf.F16 || t == gguf.BF16 }

// converter converts tensors row by row on several goroutines into one
// reused output buffer, sized for the largest converted tensor.
type converter struct {
	threads int
	buf     []byte
}

// rowsPerChunk is how many rows a worker takes at a time: large enough that
// the shared counter and progress calls cost nothing, small enough to balance
// load and report progress smoothly on big tensors.
const rowsPerChunk = 16

// convert converts the tensor t, whose bytes are data, to the type to. With
// weights (one run of len width per matrix: per Dims[1] rows) each row is
// quantized with its matrix's importance weights.
func (c *converter) convert(ctx context.Context, t gguf.TensorInfo, data []byte, to gguf.Type,
	weights []float32, p *Progress, progress func(Progress)) ([]byte, error) {
	width, rows := int(t.Dims[0]), int(t.Rows())
	matrixRows := rows
	if len(t.Dims) > 1 {
		matrixRows = int(t.Dims[1])
	}
	if to == t.Type {
		p.BytesDone += int64(len(data))
		if progress != nil {
			progress(*p)
		}
		return data, nil
	}
	inRow, _ := t.Type.RowBytes(width)
	outRow, ok := to.RowBytes(width)
	if !ok {
		return nil, fmt.Errorf("row width %d is not a multiple of the %v block size %d", width, to, to.BlockElems())
	}
	out := c.buf[:outRow*rows]
	f := formats[to]

	var (
		next     atomic.Int64
		mu       sync.Mutex // serialises progress reports and the first error
		firstErr error
		wg       sync.WaitGroup
	)
	workers := min(c.threads, (rows+rowsPerChunk-1)/rowsPerChunk)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []float32 // one dequantized row, when the input is not F32
			if t.Type != gguf.F32 {
				scratch = make([]float32, width)
			}
			for {
				first := int(next.Add(rowsPerChunk)) - rowsPerChunk
				if first >= rows || ctx.Err() != nil {
					return
				}
				last := min(first+rowsPerChunk, rows)
				for r := first; r < last; r++ {
					row := data[r*inRow : (r+1)*inRow]
					var x []float32
					if t.Type == gguf.F32 {
						x = f32View(row)
					} else {
						if err := Dequantize(t.Type, scratch, row); err != nil {
							mu.Lock()
							if firstErr == nil {
								firstErr = err
							}
							mu.Unlock()
							return
						}
						x = scratch
					}
					if weights != nil {
						m := r / matrixRows
						f.quantizeWeighted(out[r*outRow:(r+1)*outRow], x, weights[m*width:(m+1)*width])
					} else {
						f.quantize(out[r*outRow:(r+1)*outRow], x)
					}
				}
				mu.Lock()
				p.BytesDone += int64((last - first) * inRow)
				if progress != nil {
					progress(*p)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// samePath reports whether two paths name the same existing file (out may
// not exist yet, which is fine).
func samePath(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, fmt.Errorf("quantize: %w", err)
	}
	sb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return filepath.Clean(a) == filepath.Clean(b), nil
	}
	if err != nil {
		return false, fmt.Errorf("quantize: %w", err)
	}
	return os.SameFile(sa, sb), nil
}
