package model

import (
	"runtime"
	"sync"
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

// parallel calls run(part) for part = 0..parts-1, part 0 on the calling
// goroutine and the others on the pool's workers, and returns when all
// have returned. More parts than workers wait for a free worker.
func parallel(parts int, run func(part int)) {
	if parts <= 1 {
		run(0)
		return
	}
	ch := jobs()
	var done sync.WaitGroup
	done.Add(parts - 1)
	for p := 1; p < parts; p++ {
		ch <- job{run, p, &done}
	}
	run(0)
	done.Wait()
}
