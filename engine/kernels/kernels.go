package kernels

import (
	"fmt"

	"nibble/engine/gguf"
	"nibble/quant"
)

// kernel is the dot product of one weight type: the activation type it reads
// and the function computing n elements of weight row w · activations a.
// dot may assume n is a multiple of the block size and both slices hold the
// encoded size of n elements; Dot and MatVec check that.
type kernel struct {
	vec gguf.Type
	dot func(w, a []byte, n int) float32

	// Block geometry, filled in by init from the gguf package: elements per
	// block (the same for weights and activations) and bytes per block of
	// each. Kept here so that Dot, called per attention head and position,
	// checks sizes without map lookups.
	elems, wBytes, aBytes int
}

// kernels is indexed by weight type; a zero entry means no kernel. The
// activation types are those of ggml-cpu's type_traits_cpu (vec_dot_type).
var kernels = [...]kernel{
	gguf.F32:    {vec: gguf.F32, dot: dotF32},
	gguf.F16:    {vec: gguf.F16, dot: dotF16},
	gguf.BF16:   {vec: gguf.BF16, dot: dotBF16},
	gguf.Q4_0:   {vec: gguf.Q8_0, dot: dotQ4_0},
	gguf.Q4_1:   {vec: gguf.Q8_1, dot: dotQ4_1},
	gguf.Q5_0:   {vec: gguf.Q8_0, dot: dotQ5_0},
	gguf.Q5_1:   {vec: gguf.Q8_1, dot: dotQ5_1},
	gguf.Q8_0:   {vec: gguf.Q8_0, dot: dotQ8_0},
	gguf.IQ4_NL: {vec: gguf.Q8_0, dot: dotIQ4_NL},
	gguf.Q2_K:   {vec: gguf.Q8_K, dot: dotQ2_K},
	gguf.Q3_K:   {vec: gguf.Q8_K, dot: dotQ3_K},
	gguf.Q4_K:   {vec: gguf.Q8_K, dot: dotQ4_K},
	gguf.Q5_K:   {vec: gguf.Q8_K, dot: dotQ5_K},
	gguf.Q6_K:   {vec: gguf.Q8_K, dot: dotQ6_K},
}

func init() {
	for w := range kernels {
		k := &kernels[w]
		if k.dot == nil {
			continue
		}
		k.elems = gguf.Type(w).BlockElems()
		k.wBytes = gguf.Type(w).BlockBytes()
		k.aBytes = k.vec.BlockBytes()
		if k.elems != k.vec.BlockElems() {
			panic(fmt.Sprintf("kernels: %v blocks and %v blocks differ in size", gguf.Type(w), k.vec))
		}
	}
}

// Supported reports whether there is a dot product for weights of type w.
func Supported(w gguf.Type) bool {
	return int(w) < len(kernels) && kernels[w].dot != nil
}

// lookup returns the kernel of weight type w, panicking if there is none:
// the model loader checks Supported first, so this is a programming error.
func lookup(w gguf.Type) *kernel {
	if !Supported(w) {
		panic(fmt.Sprintf("kernels: no dot product for weight type %v", w))
	}
	return &kernels[w]
}

// VecType returns the type activations must be encoded as (with QuantizeVec)
// to be multiplied with weights of type w. It panics if !Supported(w).
func VecType(w gguf.Type) gguf.Type { return lookup(w).vec }

// QuantizeVec encodes the activations x as type t (a VecType result) into
// dst, with the same bytes as llama.cpp's reference quantizer for t.
// len(x) must be a multiple of t's block size and len(dst) exactly
// t.RowBytes(len(x)); it panics otherwise.
func QuantizeVec(t gguf.Type, dst []byte, x []float32) {
	if err := quant.Quantize(t, dst, x); err != nil {
		panic("kernels: QuantizeVec: " + err.Error())
	}
}

// Dot returns the dot product of n elements: one row of weights of type w
// with activations of type VecType(w). n must be a multiple of w's block
// size and both slices at least the encoded size of n elements; it panics
// otherwise.
func Dot(w gguf.Type, wRow, act []byte, n int) float32 {
	k := lookup(w)
	k.check(n, 1, len(wRow), len(act))
	return k.dot(wRow, act, n)
}

// MatVec sets y[r] = Dot(w, row r, act, cols) for r < rows, where the rows of
// cols elements each are stored one after the other in weights (ggml's
// [cols, rows] tensor layout); y must hold at least rows values. It runs on
// the calling goroutine: callers split the rows across cores, passing each
// goroutine its slice of weights (w.RowBytes(cols) bytes per row) and of y.
func MatVec(w gguf.Type, weights []byte, rows, cols int, act []byte, y []float32) {
	k := lookup(w)
	rb := k.check(cols, rows, len(weights), len(act))
	for r := range y[:rows] {
		y[r] = k.dot(weights[r*rb:(r+1)*rb], act, cols)
	}
}

// check panics unless n elements are whole blocks and there are enough
// weight bytes for rows rows of them and activation bytes for one; it
// returns the bytes of one weight row.
func (k *kernel) check(n, rows, wLen, aLen int) int {
	nb := n / k.elems
	if n < 0 || n%k.elems != 0 || wLen < rows*nb*k.wBytes || aLen < nb*k.aBytes {
		panic(fmt.Sprintf("kernels: %d×%d elements (blocks of %d) need %d weight and %d activation bytes, have %d and %d",
			rows, n, k.elems, rows*nb*k.wBytes, nb*k.aBytes, wLen, aLen))
	}
	return nb * k.wBytes
}
