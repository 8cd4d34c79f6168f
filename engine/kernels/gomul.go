package kernels

import (
	"encoding/binary"

	"nibble/engine/gguf"
)

// Tiled plain-Go products: mulFuncs that compute the same bits as goMul of
// a type's dotFunc, faster. They prepare each activation block once per
// token instead of once per row, compute each block's integer sums four
// products per 64-bit multiply (swarSum), and work on tiles of several rows
// or tokens whose float32 accumulators are independent chains the processor
// overlaps. Every output keeps its own summation order: its blocks in
// order, each added with the float operations of its dotFunc (the dotFuncs
// stay the plain statement of llama.cpp's order). TestTiledMatchesDot
// compares each with its dotFunc bit for bit, on the extreme levels too, and
// TestNativeMatchesPortable the native kernels with them.

// goTiled holds the tiled Go product of a weight type in an order, where
// there is one; withGeometry puts it in place of goMul(dot).
var goTiled = map[gguf.Type][numOrders]mulFunc{
	gguf.Q4_0: {vecDotOrder: laneQ4_0.mul, gemmOrder: laneQ4_0.mul, repackedOrder: tiledQ4_0x8},
	gguf.Q4_1: {vecDotOrder: laneQ4_1.mul},
	gguf.Q5_0: {vecDotOrder: laneQ5_0.mul, gemmOrder: laneQ5_0.mul},
	gguf.Q5_1: {vecDotOrder: laneQ5_1.mul},
	gguf.Q8_0: {vecDotOrder: laneQ8_0.mul, gemmOrder: laneQ8_0.mul},
	gguf.Q2_K: {vecDotOrder: laneQ2_K.mul},
	gguf.Q3_K: {vecDotOrder: laneQ3_K.mul},
	gguf.Q4_K: {vecDotOrder: laneQ4_K.mul},
	gguf.Q5_K: {vecDotOrder: laneQ5_K.mul},
	gguf.Q6_K: {vecDotOrder: laneQ6_K.mul},
}

// SWAR ("SIMD within a register") integer dot products. With x = Σ x_i·2^16i
// and y = Σ y_i·2^16(3−i) for i < 4 (the y_i in reverse order, each a signed
// integer, the word their two's complement sum), the product x·y mod 2^64 is
// Σ_k c_k·2^16k over k < 4 with c_k = Σ_{i+j=k} x_i·y_j, so c_3, the top
// field, is the dot product Σ x_i·y_i. A sum of such products adds the c_k.
// swarSum reads c_3 exactly as long as c_3 lies in [−2^15, 2^15) and the
// lower fields in (−2^15, 2^15) (then their part of the word, L = c_0 +
// c_1·2^16 + c_2·2^32, lies in (−2^47, 2^47)); each caller bounds them.

// swarSum returns the top field c_3 of a sum p of SWAR products: p + 2^47 =
// c_3·2^48 + (L + 2^47), with 0 <= L + 2^47 < 2^48.
func swarSum(p uint64) int32 { return int32(int64(p+1<<47) >> 48) }

// swarReversed packs four signed levels for swarSum, in reverse order.
func swarReversed(a0, a1, a2, a3 int8) uint64 {
	return uint64(int64(a3) + int64(a2)<<16 + int64(a1)<<32 + int64(a0)<<48)
}

// nibbles masks the low 4 bits of every 16-bit field.
const nibbles = 0x000F000F000F000F

// spread4 moves byte i of u to the low byte of 16-bit field i.
func spread4(u uint32) uint64 {
	x := uint64(u)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	return (x | x<<8) & 0x00FF00FF00FF00FF
}

// spreadAt returns spread4 of the 4 bytes at b[0:4].
func spreadAt(b []byte) uint64 { return spread4(binary.LittleEndian.Uint32(b)) }

// nibbleWords unpacks the 32 4-bit levels of a Q4_0 block's 16 bytes q
// (element j < 16 in the low nibble of byte j, 16+j in the high one) into 8
// words of four 16-bit fields, field i of word k holding element
// nibbleBase[k] + 2i: each word is one shift and one mask of the bytes.
// (Eight results rather than an array: they stay in registers.)
func nibbleWords(q *[16]byte) (x0, x1, x2, x3, x4, x5, x6, x7 uint64) {
	lo, hi := binary.LittleEndian.Uint64(q[:8]), binary.LittleEndian.Uint64(q[8:])
	return lo & nibbles, lo >> 8 & nibbles, lo >> 4 & nibbles, lo >> 12 & nibbles,
		hi & nibbles, hi >> 8 & nibbles, hi >> 4 & nibbles, hi >> 12 & nibbles
}

var nibbleBase = [8]int{0, 1, 16, 17, 8, 9, 24, 25}

// q8Nibbles is a Q8_0 activation block prepared for the words of
// nibbleWords: word k holds the levels of nibbleWords' word k, reversed
// (swarReversed); sum is the sum of the 32 levels and d the scale.
type q8Nibbles struct {
	y   [8]uint64
	sum int32
	d   float32
}

func (p *q8Nibbles) prepare(blk *[q8_0Bytes]byte) {
	for k, e := range nibbleBase {
		v := func(i int) int8 { return int8(blk[2+e+2*i]) }
		p.y[k] = swarReversed(v(0), v(1), v(2), v(3))
	}
	p.sum = levelSum((*[gguf.QK]byte)(blk[2:]))
	p.d = fp16(blk[:])
}

// Tiles: goTileTokens tokens at a time, their activations prepared in chunks
// of goTileBlocks blocks (on the stack: MatMul allocates nothing), and
// goTileRows rows at a time, so that even one token has goTileRows independent
// float32 chains.
const (
	goTileTokens = 4
	goTileRows   = 4
	goTileBlocks = 128
)

// tiledQ4_0x8 is dotQ4_0x8 for a tile: per block, the weights unpacked once
// for up to goTileTokens tokens, isum = Σq·a − 8·Σa, acc = fma(isum, dw·da,
// acc). The accumulators live in y (from 0) between chunks.
func tiledQ4_0x8(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
	var act [goTileTokens][goTileBlocks]q8Nibbles
	nb := n / gguf.QK
	for i := range tokens {
		clear(y[i*yStride : i*yStride+rows])
	}
	for i0 := 0; i0 < tokens; i0 += goTileTokens {
		nt := min(goTileTokens, tokens-i0)
		for b0 := 0; b0 < nb; b0 += goTileBlocks {
			cb := min(goTileBlocks, nb-b0)
			for t := range nt {
				at := a[(i0+t)*aStride+b0*q8_0Bytes:]
				for b := range cb {
					act[t][b].prepare((*[q8_0Bytes]byte)(at[b*q8_0Bytes:]))
				}
			}
			for r0 := 0; r0 < rows; r0 += goTileRows {
				nr := min(goTileRows, rows-r0)
				var acc [goTileRows][goTileTokens]float32
				for r := range nr {
					for t := range nt {
						acc[r][t] = y[(i0+t)*yStride+r0+r]
					}
				}
				for b := range cb {
					for r := range nr {
						x := (*[q4_0Bytes]byte)(w[(r0+r)*wStride+(b0+b)*q4_0Bytes:])
						x0, x1, x2, x3, x4, x5, x6, x7 := nibbleWords((*[16]byte)(x[2:]))
						dw := fp16(x[:])
						for t := range nt {
							p := &act[t][b]
							// Each half has |c_3| <= 16·15·128 = 30720 and
							// lower fields at most 3/4 of that (swarSum).
							isum := swarSum(x0*p.y[0]+x1*p.y[1]+x2*p.y[2]+x3*p.y[3]) +
								swarSum(x4*p.y[4]+x5*p.y[5]+x6*p.y[6]+x7*p.y[7]) - 8*p.sum
							d, c := dw*p.d, acc[r][t]
							acc[r][t] = roundFMA(float64(isum)*float64(d)+float64(c), float32(isum), d, c) // fma32, inlined
						}
					}
				}
				for r := range nr {
					for t := range nt {
						y[(i0+t)*yStride+r0+r] = acc[r][t]
					}
				}
			}
		}
	}
}

// Lane kernels (the vec_dot orders with 8 float32 lanes per output, and
// tinyBLAS_Q0): tiles of laneRows rows × goTileTokens tokens, each output's
// float32 state in a laneAcc until its last block. Each weight block is
// unpacked once for all the tokens of the tile; the activations are
// prepared in chunks of at most laneWords words per token, once per row
// tile. (The kernels are chosen by a switch, not by function values: the
// compiler then sees that the tile's arrays stay on the stack.)

// laneType is a lane order that laneType.mul tiles.
type laneType int

const (
	laneQ4_0 laneType = iota // vecDotQ4_0, also tinyBLAS_Q0's order
	laneQ4_1                 // vecDotQ4_1
	laneQ5_0                 // vecDotQ5_0, also tinyBLAS_Q0's order
	laneQ5_1                 // vecDotQ5_1
	laneQ8_0                 // vecDotQ8_0, also tinyBLAS_Q0's order
	laneQ2_K                 // vecDotQ2_K
	laneQ3_K                 // vecDotQ3_K
	laneQ4_K                 // vecDotQ4_K
	laneQ5_K                 // vecDotQ5_K
	laneQ6_K                 // vecDotQ6_K
)

const (
	laneRows  = 16
	laneWords = 1024
)

// laneAcc is the float32 state of one output of a lane kernel: its 8 lanes
// and the separate accumulator of the mins some types keep (Q4_K: 4 lanes;
// Q4_1, Q5_1, Q5_K: m[0]).
type laneAcc struct {
	l [8]float32
	m [4]float32
}

// geometry returns the bytes of a weight block and of an activation block,
// the elements of a block, and the words prepare makes of an activation
// block.
func (lt laneType) geometry() (wBytes, aBytes, elems, words int) {
	switch lt {
	case laneQ4_0:
		return q4_0Bytes, q8_0Bytes, gguf.QK, 8
	case laneQ4_1:
		return q4_1Bytes, q8_1Bytes, gguf.QK, 8
	case laneQ5_0:
		return q5_0Bytes, q8_0Bytes, gguf.QK, 8
	case laneQ5_1:
		return q5_1Bytes, q8_1Bytes, gguf.QK, 8
	case laneQ8_0:
		return q8_0Bytes, q8_0Bytes, gguf.QK, 16
	case laneQ2_K:
		return q2KBytes, q8KBytes, gguf.QK_K, gguf.QK_K / 4
	case laneQ3_K:
		return q3KBytes, q8KBytes, gguf.QK_K, gguf.QK_K / 4
	case laneQ4_K:
		return q4KBytes, q8KBytes, gguf.QK_K, gguf.QK_K / 4
	case laneQ5_K:
		return q5KBytes, q8KBytes, gguf.QK_K, gguf.QK_K / 4
	}
	return q6KBytes, q8KBytes, gguf.QK_K, gguf.QK_K / 4
}

func (lt laneType) mul(w []byte, wStride, rows int, a []byte, aStride, tokens, n int, y []float32, yStride int) {
	var words [goTileTokens][laneWords]uint64
	var acc [laneRows][goTileTokens]laneAcc
	wBytes, aBytes, elems, nw := lt.geometry()
	nb := n / elems
	chunk := laneWords / nw
	for i0 := 0; i0 < tokens; i0 += goTileTokens {
		nt := min(goTileTokens, tokens-i0)
		for r0 := 0; r0 < rows; r0 += laneRows {
			nr := min(laneRows, rows-r0)
			acc = [laneRows][goTileTokens]laneAcc{}
			for b0 := 0; b0 < nb; b0 += chunk {
				cb := min(chunk, nb-b0)
				var as [goTileTokens][]byte
				var ps [goTileTokens][]uint64
				for t := range nt {
					as[t] = a[(i0+t)*aStride+b0*aBytes:]
					ps[t] = words[t][:cb*nw]
					for b := range cb {
						lt.prepare(as[t][b*aBytes:], ps[t][b*nw:])
					}
				}
				for r := range nr {
					x := w[(r0+r)*wStride+b0*wBytes:]
					switch lt {
					case laneQ4_0, laneQ4_1, laneQ5_0, laneQ5_1:
						lt.rowLegacy(x, &as, &ps, nt, cb, &acc[r])
					case laneQ8_0:
						rowQ8_0(x, &as, &ps, nt, cb, &acc[r])
					default:
						lt.rowK(x, &as, &ps, nt, cb, &acc[r])
					}
				}
			}
			for r := range nr {
				for t := range nt {
					v := hsum8(&acc[r][t].l)
					switch lt {
					case laneQ4_K:
						v += hsum4(&acc[r][t].m)
					case laneQ4_1, laneQ5_1, laneQ5_K:
						v += acc[r][t].m[0]
					}
					y[(i0+t)*yStride+r0+r] = v
				}
			}
		}
	}
}

// prepare packs activation block a into the words p of the type's row.
func (lt laneType) prepare(a []byte, p []uint64) {
	switch lt {
	case laneQ4_0, laneQ5_0:
		prepareLanes((*[gguf.QK]byte)(a[2:]), (*[8]uint64)(p))
	case laneQ4_1, laneQ5_1:
		prepareLanes((*[gguf.QK]byte)(a[4:]), (*[8]uint64)(p))
	case laneQ8_0:
		prepareQ8_0(a, p)
	default:
		prepareQ8_K(a, p)
	}
}

// prepareLanes packs the levels of a Q8_0 or Q8_1 block for rowLegacy: p[t]
// holds elements 4t..4t+3, reversed.
func prepareLanes(q *[gguf.QK]byte, p *[8]uint64) {
	for t := range p {
		p[t] = swarReversed(int8(q[4*t]), int8(q[4*t+1]), int8(q[4*t+2]), int8(q[4*t+3]))
	}
}

// bitFields moves bit i of the low 4 bits of x to bit 0 of 16-bit field i:
// the four shifted copies of x do not overlap, so the product adds no carry.
func bitFields(x uint32) uint64 { return uint64(x&0xf) * 0x0000200040008001 & 0x0001000100010001 }

// rowLegacy is the row of a tile of 4- or 5-bit 32-element blocks (Q4_0,
// Q4_1, Q5_0, Q5_1): lane t of a block is one swarSum of its 4 levels
// (lane t < 4: the low nibbles of bytes 4t..4t+3, lane t+4: their high
// nibbles; the fifth bits from qh, bit e for element e) with the prepared
// activation word p[t]. Every level is at most 16 in magnitude (Q5_0) or 31
// (Q5_1, unsigned), so |c_3| <= 4·31·128.
func (lt laneType) rowLegacy(x []byte, a *[goTileTokens][]byte, p *[goTileTokens][]uint64, nt, cb int, acc *[goTileTokens]laneAcc) {
	wBytes, aBytes, _, _ := lt.geometry()
	var qs int // offset of the nibbles
	var offset uint64
	switch lt {
	case laneQ4_0:
		qs, offset = 2, 8
	case laneQ4_1:
		qs = 4
	case laneQ5_0:
		qs, offset = 6, 16
	case laneQ5_1:
		qs = 8
	}
	offset *= 0x0001000100010001
	for b := range cb {
		xb := x[b*wBytes:]
		var qh uint32
		if lt == laneQ5_0 || lt == laneQ5_1 {
			qh = binary.LittleEndian.Uint32(xb[qs-4:])
		}
		q := (*[16]byte)(xb[qs:])
		var w [8]uint64
		for t := range 4 {
			v := spreadAt(q[4*t:])
			w[t] = v&nibbles | bitFields(qh>>(4*t))<<4 - offset
			w[t+4] = v>>4&nibbles | bitFields(qh>>(16+4*t))<<4 - offset
		}
		dw := fp16(xb)
		for t := range nt {
			ab := a[t][b*aBytes:]
			y := (*[8]uint64)(p[t][8*b:])
			if lt == laneQ4_1 || lt == laneQ5_1 {
				acc[t].m[0] += float32(fp16(xb[2:]) * fp16(ab[2:]))
			}
			l := [8]int32{
				swarSum(w[0] * y[0]), swarSum(w[1] * y[1]), swarSum(w[2] * y[2]), swarSum(w[3] * y[3]),
				swarSum(w[4] * y[4]), swarSum(w[5] * y[5]), swarSum(w[6] * y[6]), swarSum(w[7] * y[7]),
			}
			fmaLanes(&acc[t].l, dw*fp16(ab), &l)
		}
	}
}

// blockWords is a K-quant super-block unpacked for swarLanes: word 8c+t
// holds the 4 levels of lane t of chunk c (elements 32c+4t..32c+4t+3),
// signed, in the fields of spread4; scales[j] is the scale of the 16
// elements 16j..16j+15 (kLanes' scales) and mins the mins of the
// sub-blocks of Q4_K and Q5_K.
type blockWords struct {
	x      [gguf.QK_K / 4]uint64
	scales [16]int32
	mins   [8]int32
}

// rowK is the row of a K-quant tile: cb weight blocks at x, each unpacked
// once, times the activation blocks at a[t] (prepared as p[t]) of nt
// tokens, into acc[t].
func (lt laneType) rowK(x []byte, a *[goTileTokens][]byte, p *[goTileTokens][]uint64, nt, cb int, acc *[goTileTokens]laneAcc) {
	var u blockWords
	wBytes, _, _, _ := lt.geometry()
	for b := range cb {
		xb := x[b*wBytes:]
		switch lt {
		case laneQ2_K:
			unpackQ2_KWords((*[q2KBytes]byte)(xb), &u)
		case laneQ3_K:
			unpackQ3_KWords((*[q3KBytes]byte)(xb), &u)
		case laneQ4_K:
			unpackQ4_KWords((*[q4KBytes]byte)(xb), &u)
		case laneQ5_K:
			unpackQ5_KWords((*[q5KBytes]byte)(xb), &u)
		case laneQ6_K:
			unpackQ6_KWords((*[q6KBytes]byte)(xb), &u)
		}
		for t := range nt {
			y := (*[q8KBytes]byte)(a[t][b*q8KBytes:])
			p := (*[gguf.QK_K / 4]uint64)(p[t][b*gguf.QK_K/4:])
			sumi := swarLanes(&u, p)
			switch lt {
			case laneQ2_K:
				finishQ2_K((*[q2KBytes]byte)(xb), y, &sumi, &acc[t])
			case laneQ3_K:
				fmaLanes(&acc[t].l, q8KD(y)*fp16(xb[q3KD:]), &sumi)
			case laneQ4_K, laneQ5_K:
				finishK4(lt, xb, y, &u, &sumi, &acc[t])
			case laneQ6_K:
				fmaLanes(&acc[t].l, q8KD(y)*fp16(xb[q6KD:]), &sumi)
			}
		}
	}
}

// swarLanes is kLanes on an unpacked block and a prepared Q8_K block (p, of
// prepareQ8_K): lane t = Σ_c scale·(Σ of the 4 products of lane t in chunk
// c), one swarSum per chunk and lane. Every K-quant level times a Q8_K
// level is at most 32·128 in magnitude (Q6_K), so |c_3| <= 4·32·128.
func swarLanes(u *blockWords, y *[gguf.QK_K / 4]uint64) [8]int32 {
	var l0, l1, l2, l3, l4, l5, l6, l7 int32 // in registers, unlike an array
	for c := range 8 {
		x, a := (*[8]uint64)(u.x[8*c:]), (*[8]uint64)(y[8*c:])
		s0, s1 := u.scales[2*c], u.scales[2*c+1]
		l0 += s0 * swarSum(x[0]*a[0])
		l1 += s0 * swarSum(x[1]*a[1])
		l2 += s0 * swarSum(x[2]*a[2])
		l3 += s0 * swarSum(x[3]*a[3])
		l4 += s1 * swarSum(x[4]*a[4])
		l5 += s1 * swarSum(x[5]*a[5])
		l6 += s1 * swarSum(x[6]*a[6])
		l7 += s1 * swarSum(x[7]*a[7])
	}
	return [8]int32{l0, l1, l2, l3, l4, l5, l6, l7}
}

// prepareQ8_K packs the 256 levels of a Q8_K block a for swarLanes: p[i]
// holds elements 4i..4i+3, reversed.
func prepareQ8_K(a []byte, p []uint64) {
	q := (*[gguf.QK_K]byte)(a[4:])
	for i := range gguf.QK_K / 4 {
		p[i] = swarReversed(int8(q[4*i]), int8(q[4*i+1]), int8(q[4*i+2]), int8(q[4*i+3]))
	}
}

// Q8_0 weights are 8-bit: four products of two signed bytes do not fit a
// 16-bit field, two do. So the weight words hold the even and the odd
// elements of 8 bytes (bytes 8j, 8j+2, 8j+4, 8j+6, and 8j+1, …, 8j+7: one
// mask each), and each activation word puts just two levels where a weight
// word's fields 0, 1 (lane 2j) or 2, 3 (lane 2j+1) meet them in field 3:
// four products per lane and word pair, two per multiply.

// evenBytes masks the low byte of every 16-bit field.
const evenBytes = 0x00FF00FF00FF00FF

// signedFields sign-extends the byte in the low half of every 16-bit field
// of x to the whole field (the fields as signed integers, the word their
// sum Σ f_i·2^16i, as swarSum needs it).
func signedFields(x uint64) uint64 {
	const bias = 0x0080008000800080
	return (x ^ bias) - bias
}

// pairSum is swarSum for a product whose c_3 is the sum of two products of
// signed bytes, in [−2·128·127, 2·128·128], and whose lower fields hold at
// most two such products each: c_3 + pairOffset fits 16 unsigned bits and
// the lower fields' part L lies in [−pairLow, 2^48 − pairLow).
func pairSum(p uint64) int32 { return int32((p+pairBias)>>48) - pairOffset }

const (
	pairOffset = 2 * 128 * 127
	pairLow    = pairOffset<<32 + pairOffset<<16 + 128*127
	pairBias   = pairOffset<<48 + pairLow
)

// prepareQ8_0 packs a Q8_0 block's levels for rowQ8_0: for the 8 bytes j
// (elements 8j..8j+7), p[4j] and p[4j+1] meet the even and odd weight words
// in lane 2j, p[4j+2] and p[4j+3] in lane 2j+1.
func prepareQ8_0(a []byte, p []uint64) {
	q := (*[gguf.QK]byte)(a[2:])
	for j := range 4 {
		v := func(i int) int8 { return int8(q[8*j+i]) }
		p[4*j] = swarReversed(v(0), v(2), 0, 0)
		p[4*j+1] = swarReversed(v(1), v(3), 0, 0)
		p[4*j+2] = swarReversed(0, 0, v(4), v(6))
		p[4*j+3] = swarReversed(0, 0, v(5), v(7))
	}
}

// rowQ8_0 is the row of a vecDotQ8_0 tile.
func rowQ8_0(x []byte, a *[goTileTokens][]byte, p *[goTileTokens][]uint64, nt, cb int, acc *[goTileTokens]laneAcc) {
	for b := range cb {
		xb := (*[q8_0Bytes]byte)(x[b*q8_0Bytes:])
		var w [8]uint64 // even and odd bytes of each 8
		for j := range 4 {
			v := binary.LittleEndian.Uint64(xb[2+8*j:])
			w[2*j], w[2*j+1] = signedFields(v&evenBytes), signedFields(v>>8&evenBytes)
		}
		dw := fp16(xb[:])
		for t := range nt {
			y := (*[16]uint64)(p[t][16*b:])
			var l [8]int32
			for j := range 4 {
				e, o := w[2*j], w[2*j+1]
				l[2*j] = pairSum(e*y[4*j]) + pairSum(o*y[4*j+1])
				l[2*j+1] = pairSum(e*y[4*j+2]) + pairSum(o*y[4*j+3])
			}
			fmaLanes(&acc[t].l, dw*fp16(a[t][b*q8_0Bytes:]), &l)
		}
	}
}

// unpackQ4_KWords is unpackQ4_K and unpackK4Scales for swarLanes.
func unpackQ4_KWords(xb *[q4KBytes]byte, u *blockWords) {
	var scales [8]int32
	unpackK4Scales(xb[:], &scales, &u.mins)
	for j, sc := range scales {
		u.scales[2*j], u.scales[2*j+1] = sc, sc
	}
	// Pair p: byte 32p+l holds element 64p+l (chunk 2p) in its low nibble
	// and 64p+32+l (chunk 2p+1) in its high one.
	for pair := range 4 {
		qs := (*[32]byte)(xb[k4Header+32*pair:])
		x := (*[16]uint64)(u.x[16*pair:])
		for l := 0; l < 8; l += 2 {
			v := binary.LittleEndian.Uint64(qs[4*l:])
			v0, v1 := spread4(uint32(v)), spread4(uint32(v>>32))
			x[l], x[8+l] = v0&nibbles, v0>>4&nibbles
			x[l+1], x[9+l] = v1&nibbles, v1>>4&nibbles
		}
	}
}

// finishK4 is the float part of vecDotQ4_K (lt == laneQ4_K) or
// vecDotQ5_K for one super-block.
func finishK4(lt laneType, x []byte, y *[q8KBytes]byte, u *blockWords, sumi *[8]int32, acc *laneAcc) {
	da := q8KD(y)
	pm := k4Mins(y, &u.mins)
	dmin := -da * fp16(x[2:])
	if lt == laneQ4_K {
		for j := range 4 {
			acc.m[j] = fma32(dmin, float32(pm[2*j]+pm[2*j+1]), acc.m[j])
		}
	} else {
		var s int32
		for _, v := range pm {
			s += v
		}
		acc.m[0] = fma32(dmin, float32(s), acc.m[0])
	}
	fmaLanes(&acc.l, da*fp16(x), sumi)
}

// unpackQ5_KWords is unpackQ5_K and unpackK4Scales for swarLanes.
func unpackQ5_KWords(xb *[q5KBytes]byte, u *blockWords) {
	var scales [8]int32
	unpackK4Scales(xb[:], &scales, &u.mins)
	for j, sc := range scales {
		u.scales[2*j], u.scales[2*j+1] = sc, sc
	}
	// As Q4_K, plus 16 where bit 2p (low nibble) or 2p+1 (high nibble)
	// of qh[l] is set.
	const ones = 0x0001000100010001
	qh := (*[32]byte)(xb[k4Header:])
	for pair := range 4 {
		qs := (*[32]byte)(xb[q5KQs+32*pair:])
		x := (*[16]uint64)(u.x[16*pair:])
		for l := range 8 {
			v, h := spreadAt(qs[4*l:]), spreadAt(qh[4*l:])>>(2*pair)
			x[l] = v&nibbles | h&ones<<4
			x[8+l] = v>>4&nibbles | h>>1&ones<<4
		}
	}
}

// unpackQ3_KWords is unpackQ3_K for swarLanes.
func unpackQ3_KWords(xb *[q3KBytes]byte, u *blockWords) {
	sc := xb[q3KScales:q3KD]
	for j := range u.scales {
		lo := sc[j%8] >> (4 * (j / 8)) & 0xf
		hi := sc[8+j%4] >> (2 * (j / 4)) & 3
		u.scales[j] = int32(lo|hi<<4) - 32
	}
	// Element 128h + 32s + l: bits 2s, 2s+1 of qs[32h+l] and bit 4h+s of
	// hmask[l] (as bit 2) make a level 0..7, stored minus 4.
	const twoBits, ones, minus4 = 0x0003000300030003, 0x0001000100010001, 0x0004000400040004
	for t := range 8 {
		m := spreadAt(xb[4*t:])
		for h := range 2 {
			q := spreadAt(xb[q3KQs+32*h+4*t:])
			for s := range 4 {
				u.x[8*(4*h+s)+t] = q>>(2*s)&twoBits | m>>(4*h+s)&ones<<2 - minus4
			}
		}
	}
}

// unpackQ2_KWords unpacks the levels and scales of a Q2_K block for
// swarLanes: element 128h + 32k + l is bits 2k, 2k+1 of qs[32h+l], sub-block
// 8h + 2k + l/16 has scale sc&0xf.
func unpackQ2_KWords(xb *[q2KBytes]byte, u *blockWords) {
	for j, sc := range xb[:q2KQs] {
		u.scales[j] = int32(sc & 0xf)
	}
	const twoBits = 0x0003000300030003
	for h := range 2 {
		for t := range 8 {
			q := spreadAt(xb[q2KQs+32*h+4*t:])
			for k := range 4 {
				u.x[8*(4*h+k)+t] = q >> (2 * k) & twoBits
			}
		}
	}
}

// finishQ2_K is the float part of vecDotQ2_K for one super-block: the mins'
// lanes, then the levels' (sumi).
func finishQ2_K(xb *[q2KBytes]byte, y *[q8KBytes]byte, sumi *[8]int32, acc *laneAcc) {
	da := q8KD(y)
	sc := xb[:q2KQs]
	var prod [8]int32
	for t := range prod {
		prod[t] = int32(sc[2*t]>>4)*bsum(y, 2*t) + int32(sc[2*t+1]>>4)*bsum(y, 2*t+1)
	}
	fmaLanes(&acc.l, -da*fp16(xb[q2KD+2:]), &prod)
	fmaLanes(&acc.l, da*fp16(xb[q2KD:]), sumi)
}

// unpackQ6_KWords is unpackQ6_K for swarLanes.
func unpackQ6_KWords(xb *[q6KBytes]byte, u *blockWords) {
	for j, s := range xb[q6KScales:q6KD] {
		u.scales[j] = int32(int8(s))
	}
	// Half h, l < 32: ql[64h+l], ql[64h+32+l] and the bit pairs of
	// qh[32h+l] make elements 128h+l, +32, +64, +96, stored minus 32.
	const twoBits, minus32 = 0x0003000300030003, 0x0020002000200020
	for h := range 2 {
		ql := (*[64]byte)(xb[64*h:])
		qh := (*[32]byte)(xb[q6KQh+32*h:])
		x := (*[32]uint64)(u.x[32*h:])
		for t := range 8 {
			qa, qb, hb := spreadAt(ql[4*t:]), spreadAt(ql[32+4*t:]), spreadAt(qh[4*t:])
			x[t] = qa&nibbles | hb&twoBits<<4 - minus32
			x[8+t] = qb&nibbles | hb>>2&twoBits<<4 - minus32
			x[16+t] = qa>>4&nibbles | hb>>4&twoBits<<4 - minus32
			x[24+t] = qb>>4&nibbles | hb>>6&twoBits<<4 - minus32
		}
	}
}
