package quant

// Symmetric scale searches of the K-quants Q3_K and Q6_K: each sub-block of
// 16 values gets one signed scale s and levels l in [-nmax, nmax-1] so that
// s·l approximates x, found by weighted least squares with weight x² per
// value, or with importance weights (see importance.go; the weighted search
// also serves Q4_0 and Q5_0 blocks and Q3_K's scales). They follow
// llama.cpp's make_qx_quants (rmse_type 1) and make_q3_quants (do_rmse true)
// operation by operation, in float32 and without fused multiply-adds: the C reference is built into
// ggml-base without -march flags, so the compiler had no FMA to contract to
// (measured: the same C built with -march=native disagrees with
// llama-quantize's Q6_K output on 1.6% of the ts5m blocks; built plainly, on
// none). The same holds for Q8_K, whose reference lives in the same file.
//
// The comparisons multiply sums of x³·l, so they leave float32's range when
// the largest magnitude of a sub-block is outside about 1e-6..1e5 (Q6_K) or
// 1e-5..1e4 (Q3_K); the search is then poorer, exactly as llama.cpp's.

// groupMaxEpsSym is ggml's GROUP_MAX_EPS: a sub-block whose largest magnitude
// is below it counts as all zeros.
const groupMaxEpsSym float32 = 1e-15

// searchScaleSym picks the scale for the values x (make_qx_quants with
// rmse_type 1 and no importance weights): searchScaleSymWeighted with the
// weights w = x².
func searchScaleSym(x []float32, nmax int, L []int8) float32 {
	return searchScaleSymWeighted(x, nil, nmax, L)
}

// searchScaleSymWeighted picks the scale for the values x with weights w
// (make_qx_quants with rmse_type 1; w nil means w = x², as there):
// levels l = round(x·iscale) clamped to [-nmax, nmax-1] are tried for
// iscale = -(nmax + 0.1·k)/max, k = -9..9, where max is the signed element
// of largest magnitude; the candidate whose least-squares scale
// Σw·x·l / Σw·l² explains most of Σw·x² wins (the first on a tie, k = 0
// first). It writes l + nmax into L (len(L) == len(x)) and returns the
// scale, which may be negative. All-zero input (below groupMaxEpsSym) gives
// scale 0 and L all 0, not nmax.
func searchScaleSymWeighted(x, w []float32, nmax int, L []int8) float32 {
	xmax, sumlx, suml2 := symStart(x, w, nmax, L)
	if xmax == 0 {
		return 0
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := scale * sumlx
	for k := -9; k <= 9; k++ {
		if k == 0 {
			continue
		}
		step := float32(float32(0.1) * float32(k))
		iscale := -(float32(nmax) + step) / xmax
		sumlx, suml2 = symSums(x, w, nmax, iscale)
		if suml2 > 0 && sumlx*sumlx > best*suml2 {
			symLevels(x, nmax, iscale, L)
			scale = sumlx / suml2
			best = scale * sumlx
		}
	}
	return scale
}

// symStart computes where both searches start: levels l = round(-nmax·x/max)
// clamped to [-nmax, nmax-1], max the signed element of largest magnitude. It
// writes l + nmax into L (len(L) >= len(x)) and returns max, Σw·x·l and Σw·l²
// (w nil means w = x²). When all of x is below groupMaxEpsSym in magnitude it
// clears L and returns max 0.
func symStart(x, w []float32, nmax int, L []int8) (xmax, sumlx, suml2 float32) {
	xmax, amax := signedAbsMax(x)
	if amax < groupMaxEpsSym {
		clear(L[:len(x)])
		return 0, 0, 0
	}
	iscale := float32(-nmax) / xmax
	sumlx, suml2 = symSums(x, w, nmax, iscale)
	symLevels(x, nmax, iscale, L)
	return xmax, sumlx, suml2
}

// symSums returns Σw·x·l and Σw·l² for the levels iscale gives (w nil means
// w = x²), summed in order in float32 like the C loop.
func symSums(x, w []float32, nmax int, iscale float32) (sumlx, suml2 float32) {
	for i, v := range x {
		l := float32(max(-nmax, min(nmax-1, nearestInt(iscale*v))))
		wi := v * v
		if w != nil {
			wi = w[i]
		}
		sumlx += float32(wi * v * l)
		suml2 += float32(wi * l * l)
	}
	return sumlx, suml2
}

// symLevels writes the levels iscale gives, offset by nmax, into L.
func symLevels(x []float32, nmax int, iscale float32, L []int8) {
	for i, v := range x {
		L[i] = int8(nmax + max(-nmax, min(nmax-1, nearestInt(iscale*v))))
	}
}

// searchScaleQ3 picks the scale for the values x the way Q3_K does
// (make_q3_quants with do_rmse): levels l = round(-nmax·x/max) clamped to
// [-nmax, nmax-1], then up to 5 passes that move single values to the level
// the least-squares scale of the others suggests whenever that increases
// (Σw·x·l)²/Σw·l², w = x². It writes l + nmax into L (len(L) == len(x)) and
// returns Σw·x·l/Σw·l². All-zero input (below groupMaxEpsSym) gives scale 0
// and L all 0, not nmax.
//
// As in llama.cpp, a pass only considers values whose removal leaves a
// positive Σw·x·l, which happens only when max is negative: for positive max
// every term w·x·l is ≤ 0 and the levels stay as first rounded.
func searchScaleQ3(x []float32, nmax int, L []int8) float32 {
	xmax, sumlx, suml2 := symStart(x, nil, nmax, L)
	if xmax == 0 {
		return 0
	}
	for range 5 {
		changed := false
		for i, v := range x {
			w := v * v
			fl := float32(int(L[i]) - nmax)
			slx := sumlx - float32(w*v*fl)
			if !(slx > 0) { // NaN too, as in C
				continue
			}
			sl2 := suml2 - float32(w*fl*fl)
			newL := max(-nmax, min(nmax-1, nearestInt(v*sl2/slx)))
			if newL == int(L[i])-nmax {
				continue
			}
			fn := float32(newL)
			slx += float32(w * v * fn)
			sl2 += float32(w * fn * fn)
			if sl2 > 0 && slx*slx*suml2 > sumlx*sumlx*sl2 {
				L[i] = int8(newL + nmax)
				sumlx, suml2 = slx, sl2
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

// symRequantize re-rounds the sub-block x against its scale sd as stored
// (after the scales were quantized): levels round(x/sd) clamped to
// [-nmax, nmax-1], offset by nmax, into L. For sd = 0 L keeps the levels of
// the search, as in llama.cpp.
func symRequantize(x []float32, nmax int, sd float32, L []int8) {
	if sd == 0 {
		return
	}
	for i, v := range x {
		L[i] = int8(nmax + max(-nmax, min(nmax-1, nearestInt(v/sd))))
	}
}
