package kernels

import (
	"fmt"

	"nibble/engine/gguf"
)

// dotFunc is a dot product of n elements: one weight row, one encoded
// activation row. The functions may assume n is a multiple of the block
// size and both slices hold the encoded size of n elements; the exported
// functions check that.
type dotFunc func(w, a []byte, n int) float32

// mulFunc computes a block of a matrix product: for r < rows and i < tokens,
// y[i·yStride + r] = the dot product of the weight row at w[r·wStride:] with
// the activation row at a[i·aStride:], both of n elements. Every native
// kernel has this shape, so that it chooses its own loop order and tiling;
// goMul gives it to a dotFunc.
type mulFunc func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int)

// goMul returns the mulFunc that computes every element with dot, row by
// row and, for each row, every token while the row is in cache.
func goMul(dot dotFunc) mulFunc {
	return func(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
		for r := range rows {
			wr := w[r*wStride:]
			for i := range tokens {
				y[i*yStride+r] = dot(wr, a[i*aStride:], n)
			}
		}
	}
}

// order names the summation orders of llama.cpp's x86 build (x86.go): the
// vec_dot of a type, llamafile's tinyBLAS for batches, and the repacked
// q4_0_8x8 GEMM/GEMV.
type order int

const (
	vecDotOrder order = iota
	gemmOrder
	repackedOrder
	numOrders
)

// kernel is what Nibble knows of one weight type: the activation type it
// reads and, for each order llama.cpp uses for it, the plain-Go dot product
// in that order (dot; nil where the type has no such order) and the product
// MatMul runs (mul): the plain-Go product (goTiled's tiled one where there
// is one, else goMul(dot)) unless a native kernel for this CPU replaced it
// (native names it then).
type kernel struct {
	vec    gguf.Type
	dot    [numOrders]dotFunc
	mul    [numOrders]mulFunc
	native [numOrders]string

	// Block geometry, from the gguf package: elements per block (the same
	// for weights and activations) and bytes per block of each.
	elems, wBytes, aBytes int
}

// kernels is indexed by weight type; a zero entry means no kernel. The
// activation types are those of ggml-cpu's type_traits_cpu (vec_dot_type).
// Native kernels replace mul entries from the init functions of their
// files (useNative); portable keeps the plain-Go table.
var kernels = withGeometry([...]kernel{
	gguf.F32:    {vec: gguf.F32, dot: orders(vecDotF32, gemmF32, nil)},
	gguf.F16:    {vec: gguf.F16, dot: orders(vecDotF16, gemmF16, nil)},
	gguf.BF16:   {vec: gguf.BF16, dot: orders(vecDotBF16, gemmBF16, nil)},
	gguf.Q4_0:   {vec: gguf.Q8_0, dot: orders(vecDotQ4_0, vecDotQ4_0, dotQ4_0x8)},
	gguf.Q4_1:   {vec: gguf.Q8_1, dot: orders(vecDotQ4_1, nil, nil)},
	gguf.Q5_0:   {vec: gguf.Q8_0, dot: orders(vecDotQ5_0, vecDotQ5_0, nil)},
	gguf.Q5_1:   {vec: gguf.Q8_1, dot: orders(vecDotQ5_1, nil, nil)},
	gguf.Q8_0:   {vec: gguf.Q8_0, dot: orders(vecDotQ8_0, vecDotQ8_0, nil)},
	gguf.IQ4_NL: {vec: gguf.Q8_0, dot: orders(vecDotIQ4_NL, gemmIQ4_NL, nil)},
	gguf.Q2_K:   {vec: gguf.Q8_K, dot: orders(vecDotQ2_K, nil, nil)},
	gguf.Q3_K:   {vec: gguf.Q8_K, dot: orders(vecDotQ3_K, nil, nil)},
	gguf.Q4_K:   {vec: gguf.Q8_K, dot: orders(vecDotQ4_K, nil, nil)},
	gguf.Q5_K:   {vec: gguf.Q8_K, dot: orders(vecDotQ5_K, nil, nil)},
	gguf.Q6_K:   {vec: gguf.Q8_K, dot: orders(vecDotQ6_K, nil, nil)},
})

// portable is the kernel table before any native kernel replaced an entry:
// the reference the native kernels are tested against.
var portable = kernels

func orders(vecDot, gemm, repacked dotFunc) [numOrders]dotFunc {
	return [numOrders]dotFunc{vecDotOrder: vecDot, gemmOrder: gemm, repackedOrder: repacked}
}

func withGeometry(ks [gguf.BF16 + 1]kernel) [gguf.BF16 + 1]kernel {
	for w := range ks {
		k := &ks[w]
		if k.dot[vecDotOrder] == nil {
			continue
		}
		for o, dot := range k.dot {
			if dot != nil {
				k.mul[o] = goMul(dot)
				if f := goTiled[gguf.Type(w)][o]; f != nil {
					k.mul[o] = f
				}
			}
		}
		k.elems = gguf.Type(w).BlockElems()
		k.wBytes = gguf.Type(w).BlockBytes()
		k.aBytes = k.vec.BlockBytes()
		if k.elems != k.vec.BlockElems() {
			panic(fmt.Sprintf("kernels: %v blocks and %v blocks differ in size", gguf.Type(w), k.vec))
		}
	}
	return ks
}

// useNative makes MatMul run f for weight type w where llama.cpp sums in
// order o. Native kernels call it from init, after checking that the CPU
// has every instruction f uses; f must give the same bits as the Go
// function it replaces (the tests check it), and name says what it is
// ("avx2", "avx512vnni", "neon"…) for nibble bench.
func useNative(w gguf.Type, o order, name string, f mulFunc) {
	k := &kernels[w]
	if k.dot[o] == nil {
		panic(fmt.Sprintf("kernels: native %s kernel for %v, which has no such order", name, w))
	}
	k.mul[o], k.native[o] = f, name
}

// Supported reports whether there is a dot product for weights of type w.
func Supported(w gguf.Type) bool {
	return int(w) < len(kernels) && kernels[w].dot[vecDotOrder] != nil
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

// Name says which implementation multiplies weights of type w for one
// token on this CPU: the native kernel's name, or "go" for the portable
// one. It panics if !Supported(w).
func Name(w gguf.Type) string {
	k := lookup(w)
	o := vecDotOrder
	if k.dot[repackedOrder] != nil {
		o = repackedOrder
	}
	if k.native[o] != "" {
		return k.native[o]
	}
	return "go"
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
	if lo == hi {
		return
	}
	mul := k.mul[k.x86Order(w, rows, cols, n)]
	mul(weights[lo*rb:hi*rb], rb, hi-lo, act[:n*ab], ab, n, cols, y[lo:(n-1)*rows+hi], rows)
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
