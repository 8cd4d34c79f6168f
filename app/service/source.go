package service

import "nibble/catalog"

// Unquantized tells whether level is one of the float levels (F32, F16,
// BF16): a file that has lost nothing, the reference quality is measured
// against and the best source to make other levels from.
func Unquantized(level string) bool {
	switch level {
	case "F32", "F16", "BF16":
		return true
	}
	return false
}

// BestSource returns the variant among vs that new levels lose least from
// and that the others' quality is measured against: a present file before a
// missing one, then an unquantized one (F32, then F16, then BF16), then the
// largest. vs must not be empty.
func BestSource(vs []catalog.Variant) catalog.Variant {
	rank := func(v catalog.Variant) (int, int64) {
		r := 0
		if !v.Missing {
			r = 10
		}
		switch v.Level {
		case "F32":
			r += 3
		case "F16":
			r += 2
		case "BF16":
			r++
		}
		return r, v.Size
	}
	best := vs[0]
	for _, v := range vs[1:] {
		r, size := rank(v)
		br, bsize := rank(best)
		if r > br || r == br && size > bsize {
			best = v
		}
	}
	return best
}
