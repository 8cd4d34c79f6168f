package model

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool that shares a forward pass's work (the rows of each
// matrix product, the heads of attention) between threads. Its goroutines
// start once per process. A token runs about five parallel steps per layer,
// a few hundred in all, with little serial work between them; waking a
// parked thread takes tens of microseconds, so a worker that finishes a
// step spins for a short while (spinFor) watching for the next one before
// it parks, and the caller spins the same way for the workers to finish.
// Parked workers cost nothing.

// spinFor is how long an idle worker watches for the next step before it
// parks: longer than the serial work between two steps of a token (norms,
// activation encoding: a few to tens of microseconds), short enough not to
// burn a core when generation stops.
const spinFor = 200 * time.Microsecond

// step is one parallel step: up to parts threads (the caller is part 0)
// take chunks of chunk items of 0..n-1 from next until none is left.
type step struct {
	run       func(part, lo, hi int)
	n, chunk  int
	next      atomic.Int64 // first item of the next chunk
	parts     int32
	claimed   atomic.Int32  // part numbers handed out; the caller has 0
	remaining atomic.Int32  // parts 1.. not finished
	finished  chan struct{} // closed when remaining reaches 0
}

// work runs chunks as part until none is left.
func (s *step) work(part int) {
	for {
		lo := int(s.next.Add(int64(s.chunk))) - s.chunk
		if lo >= s.n {
			return
		}
		s.run(part, lo, min(lo+s.chunk, s.n))
	}
}

// help claims the parts 1.. still free and runs them, each recorded as
// finished.
func (s *step) help() {
	for {
		p := s.claimed.Add(1)
		if p >= s.parts {
			return
		}
		s.work(int(p))
		if s.remaining.Add(-1) == 0 {
			close(s.finished)
		}
	}
}

var pool struct {
	start   sync.Once
	current atomic.Pointer[step]
	parked  atomic.Int32
	wake    chan struct{}
}

// startPool starts one worker per CPU but the caller's.
func startPool() {
	n := max(1, runtime.NumCPU()-1)
	pool.wake = make(chan struct{}, n)
	for range n {
		go worker()
	}
}

func worker() {
	var last *step
	for {
		last = nextStep(last)
		last.help()
	}
}

// nextStep returns the step after last: spinning for spinFor, then parked
// until parallel wakes it.
func nextStep(last *step) *step {
	var s *step
	if spin(func() bool { s = pool.current.Load(); return s != last }) {
		return s
	}
	for {
		pool.parked.Add(1)
		if s := pool.current.Load(); s != last { // published while parking
			pool.parked.Add(-1)
			return s
		}
		<-pool.wake
		pool.parked.Add(-1)
		if s := pool.current.Load(); s != last {
			return s
		}
	}
}

// spin calls done until it reports true, for up to spinFor (not at all if
// the Go scheduler has one processor only: a spinning thread would hold
// the one the others need), and returns its last answer.
func spin(done func() bool) bool {
	if runtime.GOMAXPROCS(0) == 1 {
		return done()
	}
	deadline := time.Now().Add(spinFor)
	for i := 1; ; i++ {
		if done() {
			return true
		}
		if i%64 == 0 && time.Now().After(deadline) {
			return false
		}
	}
}

// parallel runs run(part, lo, hi) over the items 0..n-1 in chunks of chunk
// items (the last may be shorter) on up to parts threads: the calling
// goroutine (part 0) and parts-1 of the pool's workers (parts 1, 2, …; a
// part is one thread, for per-thread scratch). Each thread takes the next
// chunk until none is left, so a thread that starts late or runs slower
// (another program has the core) does not hold the others up. It returns
// when every chunk is done. One forward pass at a time keeps the workers
// busy; a step published while another runs (a
// second State) is not lost: its caller runs the parts no worker took.
func parallel(n, chunk, parts int, run func(part, lo, hi int)) {
	parts = min(parts, (n+chunk-1)/chunk)
	if parts <= 1 {
		for lo := 0; lo < n; lo += chunk {
			run(0, lo, min(lo+chunk, n))
		}
		return
	}
	pool.start.Do(startPool)
	s := &step{run: run, n: n, chunk: chunk, parts: int32(parts), finished: make(chan struct{})}
	s.remaining.Store(int32(parts - 1))
	pool.current.Store(s)
	for range min(pool.parked.Load(), int32(parts-1)) { // a worker woken for no part would only spin
		select {
		case pool.wake <- struct{}{}:
		default:
		}
	}
	s.work(0)
	s.help() // parts no worker took (all busy, or another State's step replaced this one)
	// Spin before parking here too: the workers finish within
	// microseconds of the caller, and waking a parked thread costs more.
	if !spin(func() bool { return s.remaining.Load() == 0 }) {
		<-s.finished
	}
}
