package synth

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"

	"nibble/engine/gguf"
	"nibble/quant"
)

// Options says how Write makes a model.
type Options struct {
	// Mix gives each tensor its type, as `nibble quantize --type` would for
	// the same model in F32.
	Mix quant.Mix
	// Seed makes the weights: the same seed, shape and mix give the same
	// file, byte for byte, whatever Threads is.
	Seed uint64
	// Threads is how many goroutines generate and quantize rows; 0 means
	// runtime.GOMAXPROCS(0).
	Threads int
	// Progress, if set, is called after each tensor, on the calling
	// goroutine.
	Progress func(Progress)
}

// Progress reports how far a Write has come.
type Progress struct {
	Tensor     int    // tensors written so far
	Tensors    int    // tensors in the file
	Name       string // the tensor just written
	BytesDone  int64  // tensor data written so far
	BytesTotal int64  // tensor data in all
}

// Result describes a written model.
type Result struct {
	Tensors int
	Params  uint64 // elements of all tensors
	Bytes   int64  // size of the file
	Elapsed time.Duration
}

// Write writes a model of shape s with random weights to path. Tensors are
// made one at a time, row by row (F32 values, then the planned type) into
// one buffer the size of the largest, and streamed to the file, so memory
// stays far below the file's size. The file appears under path only when
// complete; an error or a cancelled ctx leaves nothing behind.
func Write(ctx context.Context, path string, s Shape, opts Options) (Result, error) {
	start := time.Now()
	ts, err := s.plan(opts.Mix)
	if err != nil {
		return Result{}, err
	}
	v := s.Family.vocabulary(s.Vocab)

	w, err := gguf.Create(path)
	if err != nil {
		return Result{}, err
	}
	defer w.Abort() // removes the temporary file unless Commit succeeded
	for _, kv := range s.metadata(v, opts.Mix, opts.Seed) {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			return Result{}, err
		}
	}
	res := Result{Tensors: len(ts)}
	p := Progress{Tensors: len(ts)}
	var largest uint64
	for _, t := range ts {
		if err := w.AddTensor(t.Name, t.Type, t.Dims); err != nil {
			return Result{}, err
		}
		res.Params += t.Elements()
		p.BytesTotal += int64(t.Bytes())
		largest = max(largest, t.Bytes())
	}

	g := generator{seed: opts.Seed, threads: opts.Threads, shape: s}
	if g.threads <= 0 {
		g.threads = runtime.GOMAXPROCS(0)
	}
	buf := make([]byte, largest)
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		data := buf[:t.Bytes()]
		if err := g.fill(t, data); err != nil {
			return Result{}, fmt.Errorf("synthesize %s: %w", t.Name, err)
		}
		if err := w.WriteTensor(t.Name, data); err != nil {
			return Result{}, err
		}
		p.Tensor++
		p.Name = t.Name
		p.BytesDone += int64(len(data))
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}
	if err := w.Commit(); err != nil {
		return Result{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return Result{}, err
	}
	res.Bytes = st.Size()
	res.Elapsed = time.Since(start)
	return res, nil
}

// generator makes the values of tensors.
type generator struct {
	seed    uint64
	threads int
	shape   Shape
}

// fill writes tensor t's values, encoded as t.Type, into data: its rows
// split between the goroutines, each row made as float32 and quantized.
// Every Gaussian row draws from its own random stream, seeded by the seed,
// the tensor's name and the row, so the bytes do not depend on threads.
func (g generator) fill(t tensor, data []byte) error {
	width, rows := int(t.Dims[0]), int(t.Rows())
	rowBytes := len(data) / rows
	h := fnv.New64a()
	h.Write([]byte(t.Name))
	stream := h.Sum64()

	workers := min(g.threads, rows)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := make([]float32, width)
			src := &rand.PCG{}
			rng := rand.New(src)
			for r := k * rows / workers; r < (k+1)*rows/workers; r++ {
				switch t.values {
				case gaussian:
					src.Seed(g.seed, stream^uint64(r)*0x9e3779b97f4a7c15)
					for i := range x {
						x[i] = float32(weightSigma * rng.NormFloat64())
					}
				case ones:
					for i := range x {
						x[i] = 1
					}
				case ropeFreqs:
					x = g.shape.Llama3Rope.Factors(g.shape.RopeBase, g.shape.HeadDim())
				}
				if err := quant.Quantize(t.Type, data[r*rowBytes:(r+1)*rowBytes], x); err != nil {
					errs[k] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
