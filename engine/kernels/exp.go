package kernels

import (
	"fmt"
	"math"
)

// The exponentials of llama.cpp's AVX-512 softmax and SiLU (ggml-cpu
// vec.cpp), computed by ggml_v_expf 16 values at a time; native code may
// replace softmaxExp and siluMul (from init, giving the same bits).

// SoftmaxExp replaces every x[i] by expVec(x[i] - max) and returns their sum
// as ggml_vec_soft_max_f32 adds it: each group of 16 values (the last one
// padded with zeros) reduced in float32 by reduce16, the groups' sums added
// in float64.
func SoftmaxExp(x []float32, max float32) float64 { return softmaxExp(x, max) }

// SiLUMul sets gate[i] = gate[i]/(1 + expVec(-gate[i]))·up[i] for i <
// len(gate), the SwiGLU activation; len(gate) must be a multiple of 16 (the
// vector part of ggml's SiLU; the caller does the rest with expf) and up at
// least as long.
func SiLUMul(gate, up []float32) {
	if len(gate)%16 != 0 || len(up) < len(gate) {
		panic(fmt.Sprintf("kernels: SiLUMul of %d gate and %d up values", len(gate), len(up)))
	}
	siluMul(gate, up[:len(gate)])
}

var (
	softmaxExp = softmaxExpGo
	siluMul    = siluMulGo
)

func softmaxExpGo(x []float32, max float32) float64 {
	var sum float64
	var group [16]float32
	for g := 0; g < len(x); g += 16 {
		clear(group[:])
		for i := range min(16, len(x)-g) {
			group[i] = expVec(x[g+i] - max)
			x[g+i] = group[i]
		}
		sum += float64(reduce16(&group))
	}
	return sum
}

func siluMulGo(gate, up []float32) {
	for i, g := range gate {
		gate[i] = g / (1 + expVec(-g)) * up[i]
	}
}

// expVec is ggml_v_expf, the vectorized exp of ggml's AVX-512 softmax and
// SiLU: exp(x) = 2^n · p(b) with n = round(x/ln 2), b = x - n·ln 2 and a
// degree-5 polynomial p, all in float32 FMAs. It is within 2.5 ulp of exp
// but not always equal to the correctly rounded one.
func expVec(x float32) float32 {
	const r = 0x1.8p23 // adding it rounds to an integer
	z := fma32(x, 0x1.715476p+0, r)
	n := z - r
	if math.Abs(float64(n)) > 192 { // beyond the float32 range
		if n <= 0 {
			return 0
		}
		return float32(math.Inf(1))
	}
	b := fma32(-n, 0x1.7f7d1cp-20, fma32(-n, 0x1.62e4p-1, x))
	u := b * b
	j := fma32(fma32(fma32(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, fma32(0x1.555e66p-3, b, 0x1.fffdb6p-2)), u,
		fma32(0x1.ffffecp-1, b, 1))
	return float32(float64(j) * math.Ldexp(1, int(n))) // _mm512_scalef_ps: exact product, one rounding
}
