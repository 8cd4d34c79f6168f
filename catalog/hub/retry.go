package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// A try of a request fails either for now (the connection dropped or went
// quiet, the hub is busy) or for good (the file is not there, the disk is
// full). A retrier tries the first kind again after a wait; a watchdog turns
// a connection gone quiet into a failure of the first kind, since nothing
// else would end it.

// errStalled ends a try during which the server sent nothing for
// Client.Stall.
var errStalled = errors.New("the server sent nothing")

// ErrUnreachable is returned, wrapped with the last try's error, when every
// try of a request failed for a reason that might pass (the network, the
// server busy or failing): trying again later may succeed, and a download
// then resumes.
var ErrUnreachable = errors.New("the hub could not be reached")

// maxRetryAfter caps the wait a busy server asks for (Retry-After): one that
// wants more is better reported as a failure than waited out behind a
// progress bar that does not move.
const maxRetryAfter = time.Minute

// temporary tells whether a failed try is worth another.
func temporary(err error) bool {
	var se *StatusError
	var we *writeError
	switch {
	case errors.As(err, &se):
		return se.temporary()
	case errors.As(err, &we):
		return false // retrying the network does not make room on the disk
	}
	return true // network errors: dropped connections, resets, stalls
}

// retrier paces the tries of one request: Client.Attempts failures in a row
// at most, waiting Client.Backoff after the first, then twice as long after
// each further one, or what the server asks if it asks for longer.
type retrier struct {
	c        *Client
	failures int
	wait     time.Duration
}

func (c *Client) retrier() *retrier { return &retrier{c: c, wait: c.Backoff} }

// progress starts a new run of failures: the last try gained bytes.
func (r *retrier) progress() { r.failures, r.wait = 0, r.c.Backoff }

// pause takes the error of a failed try and waits before the next one. It
// returns an error instead when there must be no next one: ctx's error once
// ctx ended (whatever err says: the user's cancel is no network failure),
// err itself when it is not temporary, or err saying how many tries failed.
func (r *retrier) pause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !temporary(err) {
		return err
	}
	r.failures++
	if r.failures >= r.c.Attempts {
		return fmt.Errorf("%w: gave up after %d tries: %w", ErrUnreachable, r.failures, err)
	}
	wait := r.wait
	var se *StatusError
	if errors.As(err, &se) {
		wait = max(wait, min(se.retryAfter, maxRetryAfter))
	}
	r.wait *= 2
	return r.c.sleep(ctx, wait)
}

// sleep waits for d, or until ctx ends (its error then).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date
// (which may be past: a negative wait). It is 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// watchdog abandons a request that has gone quiet: the request is made with
// its ctx, which ends when Client.Stall passes without news. The clock runs
// from watch until the headers come, then between reads of the body that
// bring bytes. It is a timer reset on news because a response body has no
// read deadline, and http.Client.Timeout bounds the whole transfer, which
// for a model file may rightly take hours.
type watchdog struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	stall  time.Duration
	timer  *time.Timer // nil when Client.Stall is 0: no limit
}

// watch starts a watchdog for one request made under ctx. Call stop when
// done with the request.
func (c *Client) watch(ctx context.Context) *watchdog {
	w := &watchdog{stall: c.Stall}
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	if c.Stall > 0 {
		w.timer = time.AfterFunc(c.Stall, func() { w.cancel(errStalled) })
	}
	return w
}

func (w *watchdog) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.cancel(nil)
}

// alive restarts the clock: the server was heard from.
func (w *watchdog) alive() {
	if w.timer != nil {
		w.timer.Reset(w.stall)
	}
}

// body returns r, a response body, calling alive whenever a read brings
// bytes.
func (w *watchdog) body(r io.Reader) io.Reader { return &watchedBody{w: w, r: r} }

type watchedBody struct {
	w *watchdog
	r io.Reader
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.w.alive()
	}
	return n, err
}

// err returns the error of a failed request or read: errStalled, saying for
// how long, if the watchdog abandoned the request, else err as it is.
func (w *watchdog) err(err error) error {
	if context.Cause(w.ctx) == errStalled {
		return fmt.Errorf("%w for %v", errStalled, w.stall)
	}
	return err
}
