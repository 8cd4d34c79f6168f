package hfconvert

import (
	"context"
	"fmt"

	"nibble/engine/gguf"
	"nibble/engine/mmap"
	"nibble/quant"
)

// releaseEvery is how many bytes of a tensor's source are converted before
// their pages are given back, so that converting a large tensor holds little
// more than its output in memory.
const releaseEvery = 16 << 20

// write streams the tensors into a new GGUF file at path with metadata md.
func write(ctx context.Context, path string, md kvs, tensors []tensor, progress func(Progress)) error {
	w, err := gguf.Create(path)
	if err != nil {
		return err
	}
	defer w.Abort() // removes the temporary file unless Commit succeeded
	for _, kv := range md {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	p := Progress{Step: "convert", Tensors: len(tensors)}
	for _, t := range tensors {
		if err := w.AddTensor(t.name, t.typ, t.dims); err != nil {
			return err
		}
		p.BytesTotal += int64(t.src.Size)
	}
	var buf []byte // the converted tensor, reused
	for i, t := range tensors {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.Tensor, p.Name = i, t.name
		if progress != nil {
			progress(p)
		}
		data := t.content
		if data == nil {
			if data, err = convertTensor(t, &buf); err != nil {
				return fmt.Errorf("convert %s: %w", t.src.Name, err)
			}
		}
		if err := w.WriteTensor(t.name, data); err != nil {
			return err
		}
		if t.content == nil {
			t.src.File.Release(t.src.Tensor)
		}
		p.BytesDone += int64(t.src.Size)
	}
	if progress != nil {
		p.Tensor = len(tensors)
		progress(p)
	}
	return w.Commit()
}

// convertTensor returns the data of t in its output type: the source bytes
// themselves when nothing changes, else converted into *buf (grown as needed)
// row by row, rows permuted for llama's Q/K. Values are converted through
// float32 with quant's round-to-nearest-even, as torch and numpy do in the
// script (BF16 → F32 → F16 is the script's path too).
func convertTensor(t tensor, buf *[]byte) ([]byte, error) {
	src := t.src.Data()
	from := t.src.Type
	if from == t.typ && t.heads == 0 {
		return src, nil
	}
	// Rows in PyTorch's sense: slices along the first dimension, which is
	// what the permutation reorders (for a 1-D bias, single elements).
	rows, width := uint64(1), elements(t.dims)
	if len(t.src.Shape) > 0 {
		rows = t.src.Shape[0]
		if rows > 0 {
			width = width / rows
		}
	}
	inRow := int(width) * from.BlockBytes()
	outRow := int(width) * t.typ.BlockBytes()
	need := int(rows) * outRow
	if cap(*buf) < need {
		*buf = make([]byte, need)
	}
	out := (*buf)[:need]

	var scratch []float32
	if from != t.typ {
		scratch = make([]float32, width)
	}
	perHead := uint64(1) // rows read together: a head's when permuting
	if t.heads > 0 {
		perHead = rows / uint64(t.heads)
	}
	released := 0
	for r := range rows {
		s := r
		if t.heads > 0 { // LlamaModel.permute: (head, 2, half) → (head, half, 2)
			head, k := r/perHead, r%perHead
			s = head*perHead + (k%2)*(perHead/2) + k/2
		}
		in := src[int(s)*inRow : int(s+1)*inRow]
		dst := out[int(r)*outRow : int(r+1)*outRow]
		if from == t.typ {
			copy(dst, in)
		} else {
			if err := quant.Dequantize(from, scratch, in); err != nil {
				return nil, err
			}
			if err := quant.Quantize(t.typ, dst, scratch); err != nil {
				return nil, err
			}
		}
		// Rows are read in order except within a permuted head, so give back
		// what lies behind the head in hand.
		if done := int(r+1-(r+1)%perHead) * inRow; done-released >= releaseEvery {
			mmap.Release(src[released:done])
			released = done
		}
	}
	return out, nil
}
