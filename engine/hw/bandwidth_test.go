package hw

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// BenchmarkStreamRead sums a 1 GiB buffer of uint64s from start to end: the
// rate at which this machine streams memory, on one core and on all of
// them, to put next to the kernels' GB/s (a token of generation reads every
// weight once). Run it alone, as it allocates 1 GiB:
//
//	go test -run '^$' -bench StreamRead ./engine/hw
func BenchmarkStreamRead(b *testing.B) {
	buf := make([]uint64, 1<<30/8)
	for i := range buf { // touch every page before timing
		buf[i] = uint64(i)
	}
	for _, threads := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			b.SetBytes(int64(len(buf)) * 8)
			var total uint64
			for b.Loop() {
				total += sumParallel(buf, threads)
			}
			if total == 0 {
				b.Fatal("summed nothing")
			}
		})
	}
}

// sumParallel sums x in threads contiguous parts at once.
func sumParallel(x []uint64, threads int) uint64 {
	sums := make([]uint64, threads)
	var wg sync.WaitGroup
	for k := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[k] = sum(x[k*len(x)/threads : (k+1)*len(x)/threads])
		}()
	}
	wg.Wait()
	var s uint64
	for _, v := range sums {
		s += v
	}
	return s
}

// sum adds x with eight independent accumulators, so that the loads, not
// the chain of additions, set the pace.
func sum(x []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for len(x) >= 8 {
		s0 += x[0]
		s1 += x[1]
		s2 += x[2]
		s3 += x[3]
		s4 += x[4]
		s5 += x[5]
		s6 += x[6]
		s7 += x[7]
		x = x[8:]
	}
	for _, v := range x {
		s0 += v
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}
