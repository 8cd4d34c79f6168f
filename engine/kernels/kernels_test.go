package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"nibble/engine/gguf"
	"nibble/quant"
)

// weightTypes are all the weight types with a kernel, and the activation
// type ggml-cpu's type_traits_cpu gives each (vec_dot_type).
var weightTypes = []struct{ w, vec gguf.Type }{
	{gguf.F32, gguf.F32},
	{gguf.F16, gguf.F16},
	{gguf.BF16, gguf.BF16},
	{gguf.Q4_0, gguf.Q8_0},
	{gguf.Q4_1, gguf.Q8_1},
	{gguf.Q5_0, gguf.Q8_0},
	{gguf.Q5_1, gguf.Q8_1},
	{gguf.Q8_0, gguf.Q8_0},
	{gguf.IQ4_NL, gguf.Q8_0},
	{gguf.Q2_K, gguf.Q8_K},
	{gguf.Q3_K, gguf.Q8_K},
	{gguf.Q4_K, gguf.Q8_K},
	{gguf.Q5_K, gguf.Q8_K},
	{gguf.Q6_K, gguf.Q8_K},
}

func TestVecType(t *testing.T) {
	for _, tc := range weightTypes {
		if !Supported(tc.w) {
			t.Errorf("%v not supported", tc.w)
			continue
		}
		if got := VecType(tc.w); got != tc.vec {
			t.Errorf("VecType(%v) = %v, want %v", tc.w, got, tc.vec)
		}
	}
	for _, w := range []gguf.Type{gguf.Q8_1, gguf.Q8_K, gguf.I8, gguf.F64, gguf.Type(1000)} {
		if Supported(w) {
			t.Errorf("%v supported, want not", w)
		}
	}
}

// encode returns x encoded as type t.
func encode(t testing.TB, typ gguf.Type, x []float32) []byte {
	t.Helper()
	n, ok := typ.RowBytes(len(x))
	if !ok {
		t.Fatalf("%d values are not whole %v blocks", len(x), typ)
	}
	b := make([]byte, n)
	QuantizeVec(typ, b, x)
	return b
}

// decode returns the values of n elements of type t stored in b.
func decode(t testing.TB, typ gguf.Type, b []byte, n int) []float64 {
	t.Helper()
	rb, _ := typ.RowBytes(n)
	y := make([]float32, n)
	if err := quant.Dequantize(typ, y, b[:rb]); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	for i, v := range y {
		out[i] = float64(v)
	}
	return out
}

// reference returns the float64 dot product of the decoded values of the
// weight row wq (n elements of type w) and activations aq (type VecType(w)),
// and Σ|w_i·a_i|, the scale the float32 rounding errors of any summation
// order are proportional to.
func reference(t testing.TB, w gguf.Type, wq, aq []byte, n int) (dot, mag float64) {
	t.Helper()
	wv, av := decode(t, w, wq, n), decode(t, VecType(w), aq, n)
	for i := range wv {
		dot += wv[i] * av[i]
		mag += math.Abs(wv[i] * av[i])
	}
	if VecType(w) == gguf.Q8_1 {
		c, cm := q8_1Correction(w, wq, aq, n)
		dot, mag = dot+c, mag+cm
	}
	return dot, mag
}

// q8_1Correction returns what the Q4_1 and Q5_1 kernels compute on top of
// the dequantized dot product, and its magnitude. Their blocks' minimum m
// meets the activations through the stored sum s = fp16(d·Σq) of the Q8_1
// block (one product per block instead of 32), and s, rounded to fp16,
// differs from the sum of the decoded activations fp16(d)·Σq by up to
// 2^-11 relative. That is the design of Q8_1, not a rounding of the kernel:
// the reference includes it, m·(s − fp16(d)·Σq) per block.
func q8_1Correction(w gguf.Type, wq, aq []byte, n int) (dot, mag float64) {
	for b := range n / gguf.QK {
		x := wq[b*w.BlockBytes():]
		y := aq[b*q8_1Bytes : (b+1)*q8_1Bytes]
		var sumq int32
		for _, q := range y[4:] {
			sumq += int32(int8(q))
		}
		m, d, s := float64(fp16(x[2:])), float64(fp16(y)), float64(fp16(y[2:]))
		dot += m * (s - d*float64(sumq))
		mag += math.Abs(m * s)
	}
	return dot, mag
}

// tolerance is the allowed |product − reference| in units of
// 2^-24·Σ|w_i·a_i| for n elements of weight type w. Every integer product
// is exact; what remains is float32 rounding: a few roundings per block
// scaling plus the running float32 sums over nb blocks, whose error grows
// like √nb for random data. Measured over 20,000 random rows per type, the
// worst error divided by 2+√nb is 0.51 (Q3_K) for the types without mins
// below, 1.9 for Q2_K and 6.9 for Q4_K: the reference has rounding of its
// own there, since the dequantized values d·sc·q − dmin·m are rounded in
// float32, an error that scales with the two terms, not with their
// difference. The bounds keep a margin of 4 or more. The float types sum
// their products in 16 or 64 float32 lanes, each over n/16 elements at
// most.
func tolerance(w gguf.Type, n int) float64 {
	nb := float64(n / w.BlockElems())
	switch w {
	case gguf.F32, gguf.F16, gguf.BF16:
		return 2 * (2 + math.Sqrt(nb/16))
	case gguf.Q2_K, gguf.Q4_K, gguf.Q5_K:
		return 32 * (2 + math.Sqrt(nb))
	}
	return 2 * (2 + math.Sqrt(nb))
}

// gaussian returns n normal values of standard deviation sigma whose
// magnitude also varies by block (×1/4 … ×4 per 32 values), so that blocks
// get different scales, plus an occasional outlier ×8.
func gaussian(r *rand.Rand, n int, sigma float64) []float32 {
	x := make([]float32, n)
	var s float64
	for i := range x {
		if i%32 == 0 {
			s = sigma * math.Exp2(float64(r.IntN(5)-2))
		}
		v := r.NormFloat64() * s
		if r.IntN(64) == 0 {
			v *= 8
		}
		x[i] = float32(v)
	}
	return x
}

// dotOrder returns the product of one weight row wq with one activation
// row aq (n elements) as MatMul computes it for weights of type w summed in
// order o: the native kernel if this CPU has one, else the Go one.
func dotOrder(w gguf.Type, o order, wq, aq []byte, n int) float32 {
	var y [1]float32
	lookup(w).mul[o](wq, len(wq), 1, aq, len(aq), 1, n, y[:], 1)
	return y[0]
}

// checkDot compares the product of encode(w, wx) and encode(VecType(w), ax)
// in order o with the reference and returns the error in units of
// 2^-24·Σ|w_i·a_i|.
func checkDot(t *testing.T, w gguf.Type, o order, wx, ax []float32) float64 {
	t.Helper()
	n := len(wx)
	wq, aq := encode(t, w, wx), encode(t, VecType(w), ax)
	want, mag := reference(t, w, wq, aq, n)
	return checkResult(t, w, n, dotOrder(w, o, wq, aq, n), want, mag)
}

// typeOrders calls f for every weight type and every order llama.cpp sums
// it in, in a subtest named type/order.
func typeOrders(t *testing.T, f func(t *testing.T, w gguf.Type, o order)) {
	for _, tc := range weightTypes {
		for o, dot := range lookup(tc.w).dot {
			if dot != nil {
				t.Run(tc.w.String()+"/"+orderNames[o], func(t *testing.T) { f(t, tc.w, order(o)) })
			}
		}
	}
}

var orderNames = [numOrders]string{vecDotOrder: "vec_dot", gemmOrder: "gemm", repackedOrder: "q4_0_8x8"}

// checkResult reports an error if got is further from the reference want
// than the tolerance for n elements of w, and returns the error in units of
// 2^-24·mag. A zero mag (a zero reference) requires got to be exactly 0.
func checkResult(t testing.TB, w gguf.Type, n int, got float32, want, mag float64) float64 {
	t.Helper()
	if mag == 0 {
		if got != 0 {
			t.Errorf("%v n=%d: got %g, want exactly 0", w, n, got)
		}
		return 0
	}
	e := math.Abs(float64(got)-want) / (mag * 0x1p-24)
	if e > tolerance(w, n) || math.IsNaN(e) {
		t.Errorf("%v n=%d: got %.9g, want %.9g (error %.1f units of 2^-24·Σ|w·a| = %.3g, allowed %.1f)",
			w, n, got, want, e, mag*0x1p-24, tolerance(w, n))
	}
	return e
}

// TestDotMatchesDequantized checks every kernel in every order llama.cpp
// uses (x86.go: each type's vec_dot, its tinyBLAS order where there is one,
// and the repacked Q4_0 order), native where this CPU has one, on random
// rows against the float64 dot product of the dequantized values.
func TestDotMatchesDequantized(t *testing.T) {
	rows := 200
	if testing.Short() {
		rows = 20
	}
	typeOrders(t, func(t *testing.T, w gguf.Type, o order) {
		r := rand.New(rand.NewPCG(uint64(w), 11))
		var worst float64
		for i := range rows {
			n := []int{256, 768, 4096, 2048}[i%4]
			worst = max(worst, checkDot(t, w, o, gaussian(r, n, 0.02), gaussian(r, n, 1)))
		}
		t.Logf("worst error %.2f units of 2^-24·Σ|w·a| over %d rows", worst, rows)
	})
}

// edgeCases are weight and activation rows of n values for the kernel
// tests: zeros, a single block, constant rows and the extremes of the fp16
// scales. blocks is how many 32- or 256-element blocks each has.
func edgeCases(r *rand.Rand) []struct {
	name   string
	w, a   func(n int) []float32
	blocks int
} {
	constant := func(n int, v float32) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = v
		}
		return x
	}
	zeros := func(n int) []float32 { return make([]float32, n) }
	normal := func(sigma float64) func(n int) []float32 {
		return func(n int) []float32 { return gaussian(r, n, sigma) }
	}
	return []struct {
		name   string
		w, a   func(n int) []float32
		blocks int
	}{
		{"zero weights and activations", zeros, zeros, 4},
		{"zero activations", normal(1), zeros, 4},
		{"zero weights", zeros, normal(1), 4},
		{"one block", normal(1), normal(1), 1},
		{"constant rows", func(n int) []float32 { return constant(n, 0.375) }, func(n int) []float32 { return constant(n, -3) }, 2},
		{"tiny weights", normal(1e-5), normal(1), 8},
		{"large weights", normal(200), normal(1), 8},
		{"tiny activations", normal(1), normal(1e-5), 8},
		{"large activations", normal(1), normal(200), 8},
		{"one outlier", func(n int) []float32 { x := gaussian(r, n, 1e-3); x[n/3] = 100; return x }, normal(1), 8},
	}
}

// edgeElems returns the number of elements of a row of blocks blocks of w
// (float types count in blocks of 32).
func edgeElems(w gguf.Type, blocks int) int {
	if w.BlockElems() == 1 {
		return blocks * 32
	}
	return blocks * w.BlockElems()
}

// TestDotEdgeCases checks every kernel in every order on the edge cases.
func TestDotEdgeCases(t *testing.T) {
	typeOrders(t, func(t *testing.T, w gguf.Type, o order) {
		for _, c := range edgeCases(rand.New(rand.NewPCG(3, 4))) {
			n := edgeElems(w, c.blocks)
			checkDot(t, w, o, c.w(n), c.a(n))
		}
	})
}

// TestNativeMatchesPortable checks every native kernel of this CPU against
// the Go function it replaces, bit for bit, on random matrices of several
// shapes (row and token counts around the kernels' tile sizes, short and
// long rows) and on the edge cases. Under -tags purego, or on a CPU without
// the features, there is nothing to compare and the test says so.
func TestNativeMatchesPortable(t *testing.T) {
	var native int
	typeOrders(t, func(t *testing.T, w gguf.Type, o order) {
		k, p := lookup(w), &portable[w]
		if k.native[o] == "" {
			t.Skipf("no native kernel on this CPU/build")
		}
		native++
		vt := VecType(w)
		compare := func(wx, ax []float32, rows, tokens int) {
			t.Helper()
			n := len(wx) / rows
			wq, aq := encode(t, w, wx), encode(t, vt, ax)
			rb, ab := len(wq)/rows, len(aq)/tokens
			got, want := make([]float32, rows*tokens+1), make([]float32, rows*tokens+1)
			got[rows*tokens], want[rows*tokens] = 42, 42
			k.mul[o](wq, rb, rows, aq, ab, tokens, n, got, rows)
			p.mul[o](wq, rb, rows, aq, ab, tokens, n, want, rows)
			for i, v := range want {
				if math.Float32bits(got[i]) != math.Float32bits(v) {
					t.Fatalf("%s, %d rows × %d tokens of %d: y[%d][%d] = %g (%#x), Go gives %g (%#x)",
						k.native[o], rows, tokens, n, i/rows, i%rows, got[i], math.Float32bits(got[i]), v, math.Float32bits(v))
				}
			}
		}
		r := rand.New(rand.NewPCG(uint64(w), 12))
		for _, rows := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33} {
			for _, tokens := range []int{1, 2, 3, 4, 5, 7, 8, 13} {
				n := edgeElems(w, []int{1, 2, 3, 8, 64}[(rows+tokens)%5])
				if w.BlockElems() == 1 {
					n = []int{32, 64, 96, 160, 2048}[(rows+tokens)%5] // float types: also rows that are not multiples of 64
				}
				compare(gaussian(r, rows*n, 0.02), gaussian(r, tokens*n, 1), rows, tokens)
			}
		}
		for _, c := range edgeCases(r) {
			n := edgeElems(w, c.blocks)
			compare(append(c.w(n), c.w(n)...), append(c.a(n), c.a(n)...), 2, 2)
		}
	})
	t.Logf("%d native kernels compared", native)
}

// TestMatMulRows checks that MatMul computes every element with the kernel
// x86Dot picks, for one activation row and several, that a row range writes
// only its rows, and that MatVec is MatMul of one row.
func TestMatMulRows(t *testing.T) {
	const rows, cols, n = 40, 512, 3
	for _, tc := range weightTypes {
		t.Run(tc.w.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.w), 2))
			k := lookup(tc.w)
			wq := encode(t, tc.w, gaussian(r, rows*cols, 0.02))
			aq := encode(t, tc.vec, gaussian(r, n*cols, 1))
			rb, ab := len(wq)/rows, len(aq)/n
			for _, tokens := range []int{1, n} {
				dot := k.dot[k.x86Order(tc.w, rows, cols, tokens)]
				y := make([]float32, tokens*rows+1)
				y[tokens*rows] = 42
				for _, lo := range []int{0, 7, 23} { // three ranges covering all rows
					hi := map[int]int{0: 7, 7: 23, 23: rows}[lo]
					MatMul(tc.w, wq, rows, cols, aq, tokens, y, lo, hi)
				}
				for i := range tokens {
					for row := range rows {
						want := dot(wq[row*rb:(row+1)*rb], aq[i*ab:(i+1)*ab], cols)
						if got := y[i*rows+row]; got != want {
							t.Fatalf("%d tokens: y[%d][%d] = %g, the kernel gives %g", tokens, i, row, got, want)
						}
					}
				}
				if y[tokens*rows] != 42 {
					t.Errorf("MatMul wrote past its rows")
				}
				if tokens == 1 {
					v := make([]float32, rows)
					MatVec(tc.w, wq, rows, cols, aq, v)
					if !slices.Equal(v, y[:rows]) {
						t.Errorf("MatVec differs from MatMul of one row")
					}
				}
			}
		})
	}
}

// TestX86Dispatch checks which order x86Order picks: llamafile's tinyBLAS
// only for two tokens or more and the shapes it accepts, the repacked Q4_0
// kernel for every Q4_0 matrix with a multiple of 8 rows.
func TestX86Dispatch(t *testing.T) {
	for _, c := range []struct {
		w                  gguf.Type
		rows, cols, tokens int
		want               order
	}{
		{gguf.F32, 256, 256, 1, vecDotOrder},
		{gguf.F32, 256, 256, 2, gemmOrder},
		{gguf.F32, 64, 172, 32, vecDotOrder}, // cols % 16
		{gguf.F32, 6, 64, 32, vecDotOrder},   // rows % 4
		{gguf.F16, 256, 256, 64, gemmOrder},
		{gguf.F16, 256, 256, 1, vecDotOrder},
		{gguf.BF16, 256, 256, 64, gemmOrder},
		{gguf.BF16, 256, 48, 64, vecDotOrder}, // cols % 32
		{gguf.Q4_0, 256, 256, 1, repackedOrder},
		{gguf.Q4_0, 256, 256, 64, repackedOrder},
		{gguf.Q4_0, 252, 256, 64, gemmOrder}, // not repacked: tinyBLAS_Q0 (the vec_dot order)
		{gguf.Q4_0, 252, 256, 1, vecDotOrder},
		{gguf.IQ4_NL, 256, 256, 64, gemmOrder},
		{gguf.IQ4_NL, 256, 256, 1, vecDotOrder},
		{gguf.Q6_K, 256, 256, 64, vecDotOrder},
	} {
		if got := lookup(c.w).x86Order(c.w, c.rows, c.cols, c.tokens); got != c.want {
			t.Errorf("%v %d×%d, %d tokens: %s, want %s", c.w, c.rows, c.cols, c.tokens, orderNames[got], orderNames[c.want])
		}
	}
}

// TestFMA32 checks fma32 against exact arithmetic, on random triples and on
// triples built so that the sum lies within 2^-54 of a float32 halfway
// point, where rounding through float64 first would round twice.
func TestFMA32(t *testing.T) {
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	r := rand.New(rand.NewPCG(8, 9))
	var naive int
	for i := range 200000 {
		a, b, c := float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
		if i%2 == 0 {
			// c·(1 ± 2^-e) · 2^-24·(1 ∓ 2^-e): just off c's halfway point.
			c = float32(1 + r.Float64())
			e, sign := r.IntN(10)+12, float64(1-2*r.IntN(2))
			a = float32(1 + math.Ldexp(sign, -e))
			b = float32(math.Ldexp(1-math.Ldexp(sign, -e), -24))
		}
		want := exact(a, b, c)
		if got := fma32(a, b, c); got != want {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
		if float32(math.FMA(float64(a), float64(b), float64(c))) != want {
			naive++
		}
	}
	if naive == 0 {
		t.Error("no case where rounding through float64 rounds twice: the test lost its teeth")
	}
}

// TestQuantizeVecX86 checks the Q8_0/Q8_1 activation quantizer against the
// reference one on random data (they may differ by one level here and there,
// never more, and d and the level sums agree) and on the cases where they
// must differ: a level exactly halfway (x86 rounds to even) and a scale
// whose inverse rounds differently from 127/max.
func TestQuantizeVecX86(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	for _, typ := range []gguf.Type{gguf.Q8_0, gguf.Q8_1} {
		off := 2
		if typ == gguf.Q8_1 {
			off = 4
		}
		x := gaussian(r, 32*1000, 1)
		got := encode(t, typ, x)
		want := make([]byte, len(got))
		if err := quant.Quantize(typ, want, x); err != nil {
			t.Fatal(err)
		}
		bb := typ.BlockBytes()
		var diff int
		for b := 0; b < len(got); b += bb {
			if got[b] != want[b] || got[b+1] != want[b+1] {
				t.Fatalf("%v block %d: d differs", typ, b/bb)
			}
			for j := b + off; j < b+bb; j++ {
				if d := int(int8(got[j])) - int(int8(want[j])); d != 0 {
					diff++
					if d < -1 || d > 1 {
						t.Fatalf("%v block %d: level %d vs %d", typ, b/bb, int8(got[j]), int8(want[j]))
					}
				}
			}
		}
		t.Logf("%v: %d of %d levels differ from the reference quantizer by one", typ, diff, len(x))

		// max 127, so 127/max = 1 and 2.5 is exactly halfway: 2 (even), the
		// reference's roundf gives 3.
		half := make([]float32, 32)
		half[0], half[1], half[2] = 127, 2.5, -3.5
		q := encode(t, typ, half)
		if l1, l2 := int8(q[off+1]), int8(q[off+2]); l1 != 2 || l2 != -4 {
			t.Errorf("%v: 2.5 and -3.5 at scale 1 quantize to %d and %d, want 2 and -4", typ, l1, l2)
		}
	}
}

// TestMisusePanics checks that sizes that do not fit panic instead of
// reading the wrong bytes.
func TestMisusePanics(t *testing.T) {
	q4 := make([]byte, 18*8)
	q8 := make([]byte, 34*8)
	y := make([]float32, 8)
	cases := map[string]func(){
		"unsupported type":    func() { VecType(gguf.Q8_K) },
		"partial block":       func() { MatVec(gguf.Q4_0, q4, 1, 40, q8, y) },
		"short activations":   func() { MatVec(gguf.Q4_0, q4, 1, 32, q8[:33], y) },
		"short weights":       func() { MatVec(gguf.Q4_0, q4, 5, 64, q8, y) },
		"short output":        func() { MatVec(gguf.Q4_0, q4, 4, 32, q8, y[:3]) },
		"wrong vector length": func() { QuantizeVec(gguf.Q8_0, q8[:33], make([]float32, 32)) },
		"MatMul short output": func() { MatMul(gguf.Q4_0, q4, 4, 32, q8, 2, y[:7], 0, 4) },
		"MatMul short input":  func() { MatMul(gguf.Q4_0, q4, 4, 32, q8[:60], 2, make([]float32, 8), 0, 4) },
		"MatMul bad range":    func() { MatMul(gguf.Q4_0, q4, 4, 32, q8, 1, y, 2, 5) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			f()
		})
	}
}

// TestFloatHelpers checks DotF32, AXPY and Scale against float64 math.
func TestFloatHelpers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 3, 4, 7, 100, 4096} {
		a, b := gaussian(r, n, 1), gaussian(r, n+2, 1) // b longer: only len(a) used
		var want, mag float64
		for i := range a {
			p := float64(a[i]) * float64(b[i])
			want += p
			mag += math.Abs(p)
		}
		if got := DotF32(a, b); math.Abs(float64(got)-want) > 2*mag*0x1p-24 {
			t.Errorf("DotF32 n=%d: got %g, want %g", n, got, want)
		}

		y := gaussian(r, n, 1)
		y0 := append([]float32(nil), y...)
		AXPY(-0.75, b, y)
		for i := range y {
			if want := y0[i] + float32(-0.75*b[i]); y[i] != want {
				t.Fatalf("AXPY n=%d element %d: got %g, want %g", n, i, y[i], want)
			}
		}
		Scale(3, y)
		for i := range y {
			if want := 3 * (y0[i] + float32(-0.75*b[i])); y[i] != want {
				t.Fatalf("Scale n=%d element %d: got %g, want %g", n, i, y[i], want)
			}
		}
	}
}

// TestBlockSizes checks this package's block size constants against the
// gguf package's table.
func TestBlockSizes(t *testing.T) {
	for _, c := range []struct {
		typ   gguf.Type
		bytes int
	}{
		{gguf.Q4_0, q4_0Bytes}, {gguf.Q4_1, q4_1Bytes}, {gguf.Q5_0, q5_0Bytes}, {gguf.Q5_1, q5_1Bytes},
		{gguf.Q8_0, q8_0Bytes}, {gguf.Q8_1, q8_1Bytes}, {gguf.IQ4_NL, q4_0Bytes}, {gguf.Q8_K, q8KBytes},
		{gguf.Q2_K, q2KBytes}, {gguf.Q3_K, q3KBytes}, {gguf.Q4_K, q4KBytes}, {gguf.Q5_K, q5KBytes}, {gguf.Q6_K, q6KBytes},
	} {
		if got := c.typ.BlockBytes(); got != c.bytes {
			t.Errorf("%v: gguf says %d bytes per block, kernels use %d", c.typ, got, c.bytes)
		}
	}
}

// TestRoundF16 checks RoundF16 against the quant package's conversions, in
// place and not, on random values, a NaN and the special values.
func TestRoundF16(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	x := gaussian(r, 1000, 3)
	x[500] = float32(math.NaN()) // its group of 8 takes the Go path on amd64
	x = append(x, 0, float32(math.Copysign(0, -1)), 65504, 65520, 1e-8, 6e-8, float32(math.Inf(-1)), 2049, 2051)
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = quant.FP16ToFP32(quant.FP32ToFP16(v))
	}
	got := make([]float32, len(x))
	RoundF16(got, x)
	RoundF16(x, x)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(x[i]) != math.Float32bits(want[i]) {
			t.Fatalf("element %d: %g and in place %g, want %g", i, got[i], x[i], want[i])
		}
	}
}

// TestLevelSum checks levelSum against a plain sum on the extremes and on
// random blocks.
func TestLevelSum(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for i := range 1000 {
		var q [gguf.QK]byte
		for j := range q {
			switch i {
			case 0: // all zero
			case 1:
				q[j] = 0x80 // -128
			case 2:
				q[j] = 0x7f
			default:
				q[j] = byte(r.IntN(256))
			}
		}
		var want int32
		for _, v := range q {
			want += int32(int8(v))
		}
		if got := levelSum(&q); got != want {
			t.Fatalf("block %d: levelSum %d, want %d", i, got, want)
		}
	}
}
