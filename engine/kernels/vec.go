package kernels

// Float32 vector helpers for the parts of the forward pass that work on
// plain float32 vectors (attention, norms). Generic Go, no allocation.

// DotF32 returns the dot product of a and b (len(b) >= len(a)), computed as
// ggml's generic ggml_vec_dot_f32 does: products rounded to float32, summed
// in float64 (here in four partial sums, which changes nothing measurable),
// and the sum rounded to float32.
func DotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4], b[i:i+4]
		s0 += float64(x[0] * y[0])
		s1 += float64(x[1] * y[1])
		s2 += float64(x[2] * y[2])
		s3 += float64(x[3] * y[3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i] * b[i])
	}
	return float32(s0 + s1 + s2 + s3)
}

// AXPY adds alpha·x to y element by element (len(x) >= len(y)), as ggml's
// ggml_vec_mad_f32: each product is rounded to float32 before the add.
func AXPY(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}

// Scale multiplies every element of x by alpha, as ggml_vec_scale_f32.
func Scale(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}
