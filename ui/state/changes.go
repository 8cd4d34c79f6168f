package state

import "sync"

// Changes tells listeners that a view model changed. View models embed it
// and call changed after every change, from whatever goroutine made it; a
// view's listener reads the new state and updates its widgets through
// fyne.Do. The zero value is ready to use and safe for concurrent use.
type Changes struct {
	mu        sync.Mutex
	listeners []func()
}

// Listen adds f to the functions called after every change.
func (c *Changes) Listen(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = append(c.listeners, f)
}

// changed calls every listener, on the caller's goroutine.
func (c *Changes) changed() {
	c.mu.Lock()
	ls := append([]func(){}, c.listeners...)
	c.mu.Unlock()
	for _, f := range ls {
		f()
	}
}
