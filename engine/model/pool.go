package model

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool that shares a forward pass's work (the rows of each
// matrix product, the heads of attention) between threads. Its goroutines
// start once per process and wait on a channel between jobs: a token runs
// a few hundred parallel steps, and starting goroutines for each would
// cost more than the smaller steps themselves. Idle workers cost nothing.

// job is one part of a parallel step.
type job struct {
	run  func(part int)
	part int
	done *sync.WaitGroup
}

var jobs = sync.OnceValue(func() chan<- job {
	ch := make(chan job)
	for range max(1, runtime.NumCPU()-1) {
		go func() {
			for j := range ch {
				j.run(j.part)
				j.done.Done()
			}
		}()
	}
	return ch
})

// parallel runs run(part, lo, hi) over the items 0..n-1 in chunks of chunk
// items (the last may be shorter) on up to parts threads: the calling
// goroutine (part 0) and parts-1 of the pool's workers (parts 1, 2, …; a
// part is one thread, for per-thread scratch). Each thread takes the next
// chunk until none is left, so a thread that starts late or runs slower
// (another program has the core) does not hold the others up. It returns
// when every chunk is done.
func parallel(n, chunk, parts int, run func(part, lo, hi int)) {
	var next atomic.Int64
	work := func(part int) {
		for {
			lo := int(next.Add(int64(chunk))) - chunk
			if lo >= n {
				return
			}
			run(part, lo, min(lo+chunk, n))
		}
	}
	parts = min(parts, (n+chunk-1)/chunk)
	if parts <= 1 {
		work(0)
		return
	}
	ch := jobs()
	var done sync.WaitGroup
	done.Add(parts - 1)
	for p := 1; p < parts; p++ {
		ch <- job{work, p, &done}
	}
	work(0)
	done.Wait()
}
