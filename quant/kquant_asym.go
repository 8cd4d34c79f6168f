package quant

import (
	"encoding/binary"
	"math"

	"nibble/engine/gguf"
)

// Scale-and-min searches of the K-quants Q2_K, Q4_K and Q5_K: each sub-block
// gets a scale d ≥ 0 (usually) and a min m ≥ 0 with levels l in [0, nmax]
// so that d·l − m approximates x. They follow llama.cpp's make_qkx2_quants
// and the super-block code of quantize_row_q4_K_ref/q5_K_ref operation by
// operation, in float32 and without fused multiply-adds: that C code is
// built into ggml-base without -march flags, so the compiler had no FMA to
// contract to. (Measured against llama.cpp's files: fusing the product into
// the rounding, the weighted sums or the least-squares terms each makes
// blocks differ; with no fusion all are identical.)

// searchScaleMin picks the scale and min for the values x with weights w
// (len(w) == len(x)), as make_qkx2_quants does, and as make_qkx3_quants does
// given weights (the importance-weighted searches: the two differ only when
// weights is NULL, which Nibble never passes). The first candidate is
// d = (max−min)/nmax with min the smallest element (or 0 if all are
// positive); then for k = 0..nstep, levels l = round((x−min)·iscale) with
// iscale = (rmin + rdelta·k + nmax)/(max−min), clamped to [0, nmax], get
// their weighted least-squares d and min (min forced to 0, and d refitted,
// when the fit wants it positive); the candidate with the smallest weighted
// error Σw·|d·l+min−x| (useMAD) or Σw·(d·l+min−x)² wins, the earlier one on a
// tie. It writes the winning levels into L and returns d and m = −min.
// If all elements are equal and none is positive, it returns d = 0,
// m = −x[0] and L all 0. laux is scratch space; L and laux must hold
// len(x) levels.
func searchScaleMin(x, w []float32, nmax int, rmin, rdelta float32, nstep int, useMAD bool, L, laux []uint8) (d, m float32) {
	n := len(x)
	w, L, laux = w[:n], L[:n], laux[:n]
	lo, hi := x[0], x[0]
	sumW := w[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		// Comparisons, not min/max: those prefer -0 to +0 and propagate
		// NaNs, where C's comparisons keep the earlier value.
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		sumW += w[i]
		sumX += float32(w[i] * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		clear(L)
		return 0, -lo
	}

	fmax := float32(nmax)
	iscale := fmax / (hi - lo)
	d = 1 / iscale
	for i, v := range x {
		L[i] = uint8(max(0, min(nmax, nearestInt(iscale*(v-lo)))))
	}
	best := asymError(x, w, L, d, lo, useMAD)

	for k := range nstep + 1 {
		// ((rmin + rdelta·k) + nmax)/(max−min), rounded step by step as in C.
		iscale = (rmin + float32(rdelta*float32(k)) + fmax) / (hi - lo)
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			l := max(0, min(nmax, nearestInt(iscale*(v-lo))))
			laux[i] = uint8(l)
			fl := float32(l)
			wl := float32(w[i] * fl)
			sumL += wl
			sumL2 += float32(wl * fl)
			sumXL += float32(wl * v)
		}
		det := float32(sumW*sumL2) - float32(sumL*sumL)
		if det > 0 {
			kd := (float32(sumW*sumXL) - float32(sumX*sumL)) / det
			kmin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / det
			if kmin > 0 {
				kmin = 0
				kd = sumXL / sumL2
			}
			if e := asymError(x, w, laux, kd, kmin, useMAD); e < best {
				copy(L, laux)
				best, d, lo = e, kd, kmin
			}
		}
	}
	return d, -lo
}

// asymError is the weighted error of levels L with scale d and offset off:
// Σ w·|d·l + off − x| when useMAD, else Σ w·(d·l + off − x)², summed in order.
func asymError(x, w []float32, L []uint8, d, off float32, useMAD bool) float32 {
	var e float32
	for i, v := range x {
		diff := float32(d*float32(L[i])) + off - v
		if useMAD {
			diff = abs32(diff)
		} else {
			diff = float32(diff * diff)
		}
		e += float32(w[i] * diff)
	}
	return e
}

// maxPositive returns the largest element of x, or 0 if none is positive.
// Comparisons, not max(): a NaN is passed over, as in C.
func maxPositive(x []float32) float32 {
	var m float32
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

// asymRequantize re-rounds the sub-block x against its scale sd and min sm
// as stored (after the scales and mins were quantized): levels
// round((x+sm)/sd) clamped to [0, nmax], into L. For sd = 0 L keeps the
// levels of the search, as in llama.cpp.
func asymRequantize(x []float32, nmax int, sd, sm float32, L []uint8) {
	if sd == 0 {
		return
	}
	for i, v := range x {
		L[i] = uint8(max(0, min(nmax, nearestInt((v+sm)/sd))))
	}
}

// Q4_K and Q5_K share their super-block header: d and dmin (fp16) and twelve
// bytes holding a 6-bit scale and a 6-bit min for each of the 8 sub-blocks of
// 32 elements (llama.cpp's get_scale_min_k4 layout):
//
//	bytes 0-3   scale j (j = 0..3) in bits 0-5; bits 6-7: bits 4-5 of scale j+4
//	bytes 4-7   min j (j = 0..3) in bits 0-5;   bits 6-7: bits 4-5 of min j+4
//	bytes 8-11  for j = 4..7: bits 0-3 of scale j in the low nibble, bits 0-3
//	            of min j in the high nibble
//
// Sub-block j decodes as (d·scale_j)·q − dmin·min_j.
const (
	k4D        = 0  // fp16 super-block scale
	k4DMin     = 2  // fp16 super-block min scale
	k4Scales   = 4  // 12 bytes of packed 6-bit scales and mins
	k4Header   = 16 // bytes before the levels
	k4SubSize  = 32 // elements per sub-block
	k4SubCount = gguf.QK_K / k4SubSize
)

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j (0..7) from the
// 12 packed bytes q.
func scaleMinK4(q []byte, j int) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | q[j-4]>>6<<4, q[j+4]>>4 | q[j]>>6<<4
}

// k4SubScalesMins decodes the header of the Q4_K or Q5_K super-block blk:
// the scale d·sc_j and the min dmin·m_j of each of its sub-blocks.
func k4SubScalesMins(blk []byte) (sd, sm [k4SubCount]float32) {
	d := FP16ToFP32(binary.LittleEndian.Uint16(blk[k4D:]))
	dmin := FP16ToFP32(binary.LittleEndian.Uint16(blk[k4DMin:]))
	for j := range k4SubCount {
		sc, m := scaleMinK4(blk[k4Scales:k4Header], j)
		sd[j], sm[j] = float32(d*float32(sc)), float32(dmin*float32(m))
	}
	return sd, sm
}

// packScaleMinK4 stores the 6-bit scale sc and min m of sub-block j into the
// 12 packed bytes q. Sub-blocks must be stored in order 0..7 into zeroed or
// previously packed bytes: j ≥ 4 ORs its high bits into bytes j−4 and j.
func packScaleMinK4(q []byte, j int, sc, m uint8) {
	if j < 4 {
		q[j] = sc
		q[j+4] = m
		return
	}
	q[j+4] = sc&0xf | m&0xf<<4
	q[j-4] |= sc >> 4 << 6
	q[j] |= m >> 4 << 6
}

// quantizeK4SuperBlock does the common part of quantize_row_q4_K_ref and
// quantize_row_q5_K_ref for the 256 values x: it writes the 16-byte header
// into hdr and the level (0..nmax) of every element into L, leaving only the
// packing of the levels to the caller. Each sub-block of 32 is searched with
// weights rms(sub-block) + |x|; the 8 scales and the 8 mins are quantized to
// 6 bits against the largest of each (stored as d = max/63, dmin likewise),
// and the levels are then recomputed with the scales as stored. A sub-block
// whose stored scale is 0 keeps the levels of its search, as in llama.cpp.
func quantizeK4SuperBlock(hdr []byte, x []float32, nmax int, rmin float32, nstep int, L *[gguf.QK_K]uint8) {
	var (
		w            [k4SubSize]float32
		laux         [k4SubSize]uint8
		scales, mins [k4SubCount]float32
	)
	for j := range k4SubCount {
		sub := x[j*k4SubSize : (j+1)*k4SubSize]
		var sumX2 float32
		for _, v := range sub {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / k4SubSize)))
		for l, v := range sub {
			w[l] = avX + abs32(v)
		}
		scales[j], mins[j] = searchScaleMin(sub, w[:], nmax, rmin, 0.1, nstep, false, L[j*k4SubSize:], laux[:])
	}

	maxSc, maxMin := maxPositive(scales[:]), maxPositive(mins[:])
	var invSc, invMin float32
	if maxSc > 0 {
		invSc = 63 / maxSc
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	packed := hdr[k4Scales:k4Header]
	for j := range k4SubCount {
		// Converting to uint8 before clamping wraps a negative level, as C does.
		ls := min(63, uint8(nearestInt(invSc*scales[j])))
		lm := min(63, uint8(nearestInt(invMin*mins[j])))
		packScaleMinK4(packed, j, ls, lm)
	}
	binary.LittleEndian.PutUint16(hdr[k4D:], FP32ToFP16(maxSc/63))
	binary.LittleEndian.PutUint16(hdr[k4DMin:], FP32ToFP16(maxMin/63))

	k4Requantize(hdr, x, nmax, L)
}

// quantizeK4SuperBlockWeighted is quantizeK4SuperBlock with importance
// weights qw (one per element of x), as quantize_row_q4_K_impl and
// quantize_row_q5_K_impl do: search weights qw·sqrt(σ² + x²) with σ² twice
// the mean square of the super-block, a finer scale-and-min search (37
// candidates from rmin −0.9 in steps of 0.05), and the 6-bit scales and mins
// from searchScalePositive weighted by each sub-block's total weight. clamp
// caps the 6-bit levels at 63, as only the Q5_K code does.
func quantizeK4SuperBlockWeighted(hdr []byte, x, qw []float32, nmax int, clamp bool, L *[gguf.QK_K]uint8) {
	var (
		w                [k4SubSize]float32
		laux             [k4SubSize]uint8
		scales, mins, sw [k4SubCount]float32
		ls, lm           [k4SubCount]uint8
	)
	sigma2 := 2 * sumSquares(x[:gguf.QK_K]) / gguf.QK_K
	for j := range k4SubCount {
		sub := x[j*k4SubSize : (j+1)*k4SubSize]
		importanceWeights(w[:], sub, qw[j*k4SubSize:], sigma2)
		sw[j] = sum(w[:])
		scales[j], mins[j] = searchScaleMin(sub, w[:], nmax, -0.9, 0.05, 36, false, L[j*k4SubSize:], laux[:])
	}
	d := searchScalePositive(scales[:], sw[:], 63, ls[:])
	dmin := searchScalePositive(mins[:], sw[:], 63, lm[:])
	packed := hdr[k4Scales:k4Header]
	for j := range k4SubCount {
		if clamp {
			ls[j], lm[j] = min(63, ls[j]), min(63, lm[j])
		}
		packScaleMinK4(packed, j, ls[j], lm[j])
	}
	binary.LittleEndian.PutUint16(hdr[k4D:], FP32ToFP16(d))
	binary.LittleEndian.PutUint16(hdr[k4DMin:], FP32ToFP16(dmin))
	k4Requantize(hdr, x, nmax, L)
}

// k4Requantize recomputes the levels L of the super-block x with the scales
// and mins stored in its header hdr.
func k4Requantize(hdr []byte, x []float32, nmax int, L *[gguf.QK_K]uint8) {
	sd, sm := k4SubScalesMins(hdr)
	for j := range k4SubCount {
		asymRequantize(x[j*k4SubSize:(j+1)*k4SubSize], nmax, sd[j], sm[j], L[j*k4SubSize:])
	}
}

// searchScalePositive quantizes the non-negative values x (the sub-block
// scales or mins of a super-block) to levels 0..nmax with weights w, as
// make_qp_quants does: d = max/nmax and the 8 neighbouring inverse scales
// (nmax ± 0.1·k)/max are tried, the one with the smallest weighted squared
// error kept; then up to 5 passes move single levels to where the
// least-squares scale of the others puts them whenever that increases
// (Σw·x·l)²/Σw·l². It writes the levels into L (len(L) == len(x)) and
// returns the least-squares scale Σw·x·l/Σw·l², 0 when that is 0/0 (see
// importance.go). All-zero x gives 0 and L all 0.
//
// As in C, the levels live in bytes: a negative x (which the callers never
// pass) wraps to a large level rather than clamping to 0.
func searchScalePositive(x, w []float32, nmax int, L []uint8) float32 {
	n := len(x)
	w, L = w[:n], L[:n]
	var xmax float32
	for _, v := range x {
		if !(xmax > v) { // C's MAX(max, x): a NaN is taken
			xmax = v
		}
	}
	if xmax == 0 {
		clear(L)
		return 0
	}
	iscale := float32(nmax) / xmax
	for i, v := range x {
		L[i] = uint8(nearestInt(iscale * v))
	}
	scale := 1 / iscale
	var best float32
	for i, v := range x {
		diff := v - float32(scale*float32(L[i]))
		best += float32(w[i] * diff * diff)
	}
	for k := -4; k <= 4; k++ {
		if k == 0 {
			continue
		}
		is := (float32(float32(0.1)*float32(k)) + float32(nmax)) / xmax
		s := 1 / is
		var mse float32
		for i, v := range x {
			l := min(nmax, nearestInt(is*v))
			diff := v - float32(s*float32(l))
			mse += float32(w[i] * diff * diff)
		}
		if mse < best {
			best, iscale = mse, is
		}
	}
	var sumlx, suml2 float32
	for i, v := range x {
		l := min(nmax, nearestInt(iscale*v))
		L[i] = uint8(l)
		fl := float32(l)
		sumlx += float32(w[i] * v * fl)
		suml2 += float32(w[i] * fl * fl)
	}
	for range 5 {
		changed := false
		for i, v := range x {
			fl := float32(L[i])
			slx := sumlx - float32(w[i]*v*fl)
			sl2 := suml2 - float32(w[i]*fl*fl)
			if !(slx > 0 && sl2 > 0) {
				continue
			}
			newL := min(nmax, nearestInt(v*sl2/slx))
			if newL == int(L[i]) {
				continue
			}
			fn := float32(newL)
			slx += float32(w[i] * v * fn)
			sl2 += float32(w[i] * fn * fn)
			if slx*slx*suml2 > sumlx*sumlx*sl2 {
				L[i] = uint8(newL)
				sumlx, suml2 = slx, sl2
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	if !(suml2 > 0) {
		return 0
	}
	return sumlx / suml2
}
