package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/engine/hw"
)

// ErrChecksum is returned, wrapped, when a downloaded file's SHA-256 differs
// from the hub's: the download is deleted and must start again.
var ErrChecksum = errors.New("downloaded file does not match the hub's checksum")

// ErrNoSpace is returned, wrapped, when the disk is too full for the
// download, found before it starts or while writing.
var ErrNoSpace = errors.New("not enough free disk space")

// Progress is the state of a download, given to Download's callback.
type Progress struct {
	// Done and Total are bytes; Done counts what an earlier, interrupted
	// download had already fetched.
	Done, Total int64
	// Speed is in bytes per second over this call's transfer so far.
	Speed float64
	// Left is the time to the end at that speed; 0 while unknown.
	Left time.Duration
}

// NewProgress returns the Progress of a transfer that has done of total
// bytes, fetched of them since start (the rest were there before): its
// Speed over those, and the time Left at that speed.
func NewProgress(done, total, fetched int64, start time.Time) Progress {
	p := Progress{Done: done, Total: total}
	if elapsed := time.Since(start).Seconds(); elapsed > 0 && fetched > 0 {
		p.Speed = float64(fetched) / elapsed
		p.Left = time.Duration(float64(total-done) / p.Speed * float64(time.Second))
	}
	return p
}

// PartName is the name of the file a download of name is written to until it
// is complete and verified: hidden, and unlike the catalog's temporary files
// (".NAME.tmp-*") kept by catalog.Reconcile so that it can resume.
func PartName(name string) string { return "." + name + ".part" }

// partPath is where a download of file into dir keeps its bytes until done.
func partPath(dir, file string) string { return filepath.Join(dir, PartName(path.Base(file))) }

// Partial tells how many bytes of file an interrupted Download into dir has
// kept (in dir/PartName(BASE)), for offering to resume it: the next Download
// of file into dir starts from there. It is 0, with a nil error, when there
// is no partial download.
func Partial(dir, file string) (int64, error) {
	st, err := os.Stat(partPath(dir, file))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look for a partial download of %s: %w", file, err)
	}
	return st.Size(), nil
}

// Discard deletes what an interrupted Download of file into dir has kept, so
// that the next one starts from 0 and the disk gets the room back. No
// partial download is not an error. It must not run during a Download of the
// same file into dir.
func Discard(dir, file string) error {
	err := os.Remove(partPath(dir, file))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("discard the partial download of %s: %w", file, err)
	}
	return nil
}

// Download fetches file of repo into dir (created if needed) and returns the
// path of the complete, verified file there: dir/BASE, BASE being file's
// last path element. If that file already exists with the hub's size and
// checksum, it is returned as it is; a different file there is an error.
//
// The bytes go to dir/PartName(BASE) first (see Partial and Discard).
// Download resumes from it when an earlier call was interrupted (re-reading
// it for the checksum) and, within one call, after a try that failed for
// now: a dropped connection, a server silent for Client.Stall, a 5xx or 429
// answer. It makes Client.Attempts tries in a row without progress, waiting
// Client.Backoff, then twice as long, between them, or longer when a busy
// server says so (Retry-After). A server that ignores the Range request sends
// the whole file again and the download restarts from 0. Other answers
// (401, 403, 404: a StatusError) are not tried again. When ctx ends,
// Download stops, returning ctx's error, and keeps the partial file for a
// later call.
//
// Before starting it checks that the disk has room for the bytes still to
// come (ErrNoSpace). If the disk fills up anyway, it stops with ErrNoSpace
// and keeps the partial file, to resume once room is made. If the finished
// file's SHA-256 differs from the hub's, it deletes the partial file and
// returns ErrChecksum. The file is renamed into place only when complete
// and verified.
//
// progress, if not nil, is called from Download's goroutine after each
// chunk (often: throttle drawing), first with the bytes already there.
// Two Downloads of the same file into the same dir at once are not
// supported.
func (c *Client) Download(ctx context.Context, repo, file, dir string, progress func(Progress)) (string, error) {
	info, err := c.Resolve(ctx, repo, file)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("download %s: %w", file, err)
	}
	final := filepath.Join(dir, path.Base(file))
	if _, err := os.Stat(final); err == nil {
		if err := verify(final, info); err != nil {
			return "", fmt.Errorf("download %s: %s is in the way: %w", file, final, err)
		}
		return final, nil
	}
	part := partPath(dir, file)
	d := &download{c: c, info: info, progress: progress, hash: sha256.New()}
	if err := d.open(part); err != nil {
		return "", fmt.Errorf("download %s: %w", file, err)
	}
	err = d.run(ctx, dir)
	if cerr := d.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		err = d.check()
		if err != nil {
			os.Remove(part)
		}
	} else if d.done == 0 {
		os.Remove(part) // nothing to resume
	}
	if err == nil {
		err = os.Rename(part, final)
	}
	if err != nil {
		return "", fmt.Errorf("download %s from %s: %w", file, repo, err)
	}
	return final, nil
}

// download is one Download in progress: the partial file, the checksum of
// its bytes so far and the counts for the progress.
type download struct {
	c        *Client
	info     File
	progress func(Progress)
	f        *os.File
	out      io.Writer // f, or what Client.wrapWrites made of it
	hash     hash.Hash
	done     int64 // bytes in f, all of them hashed
	start    time.Time
	fetched  int64 // bytes this call received, for the speed
}

// open opens the partial file and hashes what an earlier call left in it.
func (d *download) open(part string) error {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	d.f, d.out = f, f
	if d.c.wrapWrites != nil {
		d.out = d.c.wrapWrites(f)
	}
	n, err := io.Copy(d.hash, f)
	if err != nil {
		f.Close()
		return fmt.Errorf("read the partial download: %w", err)
	}
	d.done = n
	if n > d.info.Size { // not this file's: a different revision
		return d.restart()
	}
	return nil
}

// restart empties the partial file.
func (d *download) restart() error {
	if err := d.f.Truncate(0); err != nil {
		return err
	}
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	d.hash.Reset()
	d.done = 0
	return nil
}

func (d *download) run(ctx context.Context, dir string) error {
	free, err := d.c.FreeSpace(ctx, dir)
	if err != nil {
		return err
	}
	if need := d.info.Size - d.done; uint64(need) > free {
		return fmt.Errorf("%w: %s needs %s more and %s has %s free", ErrNoSpace, d.info.Name,
			humanize.IBytes(uint64(need)), dir, humanize.IBytes(free))
	}
	d.start = time.Now()
	d.report()
	r := d.c.retrier()
	for d.done < d.info.Size {
		before := d.done
		err := d.fetch(ctx)
		if err == nil {
			continue
		}
		if d.done > before {
			r.progress()
		}
		if err := r.pause(ctx, err); err != nil {
			return err
		}
	}
	if err := d.f.Sync(); err != nil {
		return &writeError{err} // the file system may find the disk full only now
	}
	return nil
}

// fetch asks for the bytes from d.done on and appends what comes to the
// partial file, until the end or an error.
func (d *download) fetch(ctx context.Context) error {
	w := d.c.watch(ctx)
	defer w.stop()
	u := d.c.resolveURL(d.info.Repo, d.info.Name)
	req, err := d.c.newRequest(w.ctx, http.MethodGet, u)
	if err != nil {
		return err
	}
	if d.done > 0 {
		// Go's client keeps this header when the hub redirects to its CDN.
		req.Header.Set("Range", "bytes="+strconv.FormatInt(d.done, 10)+"-")
	}
	resp, err := d.c.do(req, true)
	if err != nil {
		return w.err(err)
	}
	defer resp.Body.Close()
	w.alive()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != d.done {
			// Not the bytes asked for: start again rather than guess.
			if err := d.restart(); err != nil {
				return &writeError{err}
			}
			return fmt.Errorf("the server sent a range from an unexpected offset (%q)", resp.Header.Get("Content-Range"))
		}
	case http.StatusOK:
		if d.done > 0 { // the Range was ignored: the whole file comes
			if err := d.restart(); err != nil {
				return &writeError{err}
			}
		}
	default:
		return newStatusError(resp)
	}
	body := w.body(resp.Body)
	buf := make([]byte, 256<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if d.done+int64(n) > d.info.Size {
				return fmt.Errorf("the server sent more than the file's %d bytes", d.info.Size)
			}
			if _, err := d.out.Write(buf[:n]); err != nil {
				// Whatever part of the chunk reached the file is right
				// where it belongs: a later call re-reads it for the hash.
				return &writeError{err}
			}
			d.hash.Write(buf[:n])
			d.done += int64(n)
			d.fetched += int64(n)
			d.report()
		}
		if rerr == io.EOF {
			if d.done < d.info.Size {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if rerr != nil {
			return w.err(rerr)
		}
	}
}

// rangeStart reads the first byte's offset from "bytes START-END/TOTAL".
func rangeStart(cr string) (int64, bool) {
	s, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	s, _, ok = strings.Cut(s, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func (d *download) report() {
	if d.progress == nil {
		return
	}
	d.progress(NewProgress(d.done, d.info.Size, d.fetched, d.start))
}

// check compares the finished download with the hub's checksum.
func (d *download) check() error {
	if d.info.SHA256 == "" {
		return nil // a file kept in git: its size was checked as it came
	}
	if got := hex.EncodeToString(d.hash.Sum(nil)); got != d.info.SHA256 {
		return fmt.Errorf("%w: got sha256 %s, want %s; the download was deleted, try again", ErrChecksum, got, d.info.SHA256)
	}
	return nil
}

// verify checks a file already at the final name against the hub's.
func verify(name string, info File) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != info.Size {
		return fmt.Errorf("it has %d bytes, the hub's file %d", n, info.Size)
	}
	if info.SHA256 != "" && hex.EncodeToString(h.Sum(nil)) != info.SHA256 {
		return fmt.Errorf("its sha256 differs from the hub's")
	}
	return nil
}

// writeError is a failure to write the partial file: retrying the network
// does not help.
type writeError struct{ err error }

func (e *writeError) Error() string {
	if hw.DiskFull(e.err) {
		return fmt.Sprintf("%v: the disk is full; the part downloaded is kept, make room and try again to resume (%v)", ErrNoSpace, e.err)
	}
	return "write the download: " + e.err.Error()
}

func (e *writeError) Unwrap() []error {
	if hw.DiskFull(e.err) {
		return []error{ErrNoSpace, e.err}
	}
	return []error{e.err}
}
