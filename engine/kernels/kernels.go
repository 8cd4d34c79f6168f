package kernels

import (
	"fmt"

	"nibble/engine/gguf"
)

// kernel is what Nibble knows of one weight type: the activation type it
// reads and its dot products of n elements of a weight row w with encoded
// activations a. dot is the generic reference (ggml's plain C code, Dot);
// vecDot and gemm are llama.cpp's x86 orders (x86.go), vecDot its vec_dot
// and gemm, where not nil, llamafile's tinyBLAS for batches. The functions
// may assume n is a multiple of the block size and both slices hold the
// encoded size of n elements; the exported functions check that.
type kernel struct {
	vec    gguf.Type
	dot    dotFunc
	vecDot dotFunc
	gemm   dotFunc

	// Block geometry, filled in by init from the gguf package: elements per
	// block (the same for weights and activations) and bytes per block of
	// each. Kept here so that Dot, called per attention head and position,
	// checks sizes without map lookups.
	elems, wBytes, aBytes int
}

// kernels is indexed by weight type; a zero entry means no kernel. The
// activation types are those of ggml-cpu's type_traits_cpu (vec_dot_type).
var kernels = [...]kernel{
	gguf.F32:    {vec: gguf.F32, dot: dotF32, vecDot: vecDotF32, gemm: gemmF32},
	gguf.F16:    {vec: gguf.F16, dot: dotF16, vecDot: vecDotF16, gemm: gemmF16},
	gguf.BF16:   {vec: gguf.BF16, dot: dotBF16, vecDot: vecDotBF16, gemm: gemmBF16},
	gguf.Q4_0:   {vec: gguf.Q8_0, dot: dotQ4_0, vecDot: vecDotQ4_0, gemm: vecDotQ4_0},
	gguf.Q4_1:   {vec: gguf.Q8_1, dot: dotQ4_1, vecDot: vecDotQ4_1},
	gguf.Q5_0:   {vec: gguf.Q8_0, dot: dotQ5_0, vecDot: vecDotQ5_0, gemm: vecDotQ5_0},
	gguf.Q5_1:   {vec: gguf.Q8_1, dot: dotQ5_1, vecDot: vecDotQ5_1},
	gguf.Q8_0:   {vec: gguf.Q8_0, dot: dotQ8_0, vecDot: vecDotQ8_0, gemm: vecDotQ8_0},
	gguf.IQ4_NL: {vec: gguf.Q8_0, dot: dotIQ4_NL, vecDot: vecDotIQ4_NL, gemm: gemmIQ4_NL},
	gguf.Q2_K:   {vec: gguf.Q8_K, dot: dotQ2_K, vecDot: vecDotQ2_K},
	gguf.Q3_K:   {vec: gguf.Q8_K, dot: dotQ3_K, vecDot: vecDotQ3_K},
	gguf.Q4_K:   {vec: gguf.Q8_K, dot: dotQ4_K, vecDot: vecDotQ4_K},
	gguf.Q5_K:   {vec: gguf.Q8_K, dot: dotQ5_K, vecDot: vecDotQ5_K},
	gguf.Q6_K:   {vec: gguf.Q8_K, dot: dotQ6_K, vecDot: vecDotQ6_K},
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

// Dot returns the dot product of n elements, one row of weights of type w
// with activations of type VecType(w), computed as ggml's generic C code
// does (per block an exact integer sum, scaled and added in float32 in the
// order of ggml_vec_dot_* without SIMD; float types summed in float64). It
// is the readable reference the llama.cpp-order kernels are tested against;
// the engine multiplies with MatVec and MatMul. n must be a multiple of w's
// block size and both slices at least the encoded size of n elements; it
// panics otherwise.
func Dot(w gguf.Type, wRow, act []byte, n int) float32 {
	k := lookup(w)
	k.check(n, 1, len(wRow), len(act))
	return k.dot(wRow, act, n)
}

// MatVec sets y[r] to row r of weights times the activations act (encoded as
// VecType(w)) for r < rows, where the rows of cols elements each are stored
// one after the other in weights (ggml's [cols, rows] tensor layout); y must
// hold at least rows values. It computes what llama.cpp's x86 CPU backend
// computes for one token (x86.go), which for some types depends on the
// shape of the whole matrix: to split one matrix across goroutines, use
// MatMul with a row range.
func MatVec(w gguf.Type, weights []byte, rows, cols int, act []byte, y []float32) {
	if len(y) < rows {
		panic(fmt.Sprintf("kernels: MatVec of %d rows into %d values", rows, len(y)))
	}
	MatMul(w, weights, rows, cols, act, 1, y, 0, rows)
}

// MatMul multiplies the matrix weights (rows rows of cols elements of type w,
// as for MatVec) with n activation rows act (each VecType(w).RowBytes(cols)
// bytes, one after the other), for the matrix rows lo..hi-1 only: it sets
// y[i·rows + r] for i < n and lo <= r < hi, so y is [n][rows] row-major and
// goroutines given disjoint row ranges write disjoint elements. Every
// element is computed as llama.cpp's x86 CPU backend computes it for a
// batch of n tokens (x86.go): one token and several are summed in
// different orders. It runs on the calling goroutine and allocates nothing.
func MatMul(w gguf.Type, weights []byte, rows, cols int, act []byte, n int, y []float32, lo, hi int) {
	k := lookup(w)
	if n == 0 {
		return
	}
	rb := k.check(cols, rows, len(weights), len(act))
	ab := cols / k.elems * k.aBytes
	if n < 0 || len(act) < n*ab || lo < 0 || hi > rows || lo > hi || len(y) < (n-1)*rows+hi {
		panic(fmt.Sprintf("kernels: MatMul of %d×%d %v by %d rows (%d bytes) into %d values, rows %d..%d",
			rows, cols, w, n, len(act), len(y), lo, hi))
	}
	dot := k.x86Dot(w, rows, cols, n)
	for r := lo; r < hi; r++ {
		wr := weights[r*rb : (r+1)*rb]
		for i := range n {
			y[i*rows+r] = dot(wr, act[i*ab:(i+1)*ab], cols)
		}
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
