//go:build !purego && (amd64 || arm64)

package kernels

// Native softmaxExp and siluMul (exp.go): each GOARCH lists its versions in
// nativeExps, best first, and the first one this CPU can run replaces the
// Go functions (the tests compare each one the CPU has with them).

// nativeExp is one native version of the exponential functions.
type nativeExp struct {
	name       string
	supported  bool
	softmaxExp func(x []float32, max float32) float64
	siluMul    func(gate, up []float32)
}

func init() {
	for _, e := range nativeExps {
		if e.supported {
			softmaxExp, siluMul = e.softmaxExp, e.siluMul
			return
		}
	}
}
