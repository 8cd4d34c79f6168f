package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"nibble/engine/hw"
)

// DefaultEndpoint is the hub's base URL when HF_ENDPOINT is not set.
const DefaultEndpoint = "https://huggingface.co"

// Client talks to one hub. The zero value is not usable: start from New.
type Client struct {
	// Endpoint is the hub's base URL, without a trailing slash.
	Endpoint string
	// Token, if not empty, is sent as "Authorization: Bearer TOKEN": gated
	// and private repos need it. It goes to the Endpoint's host only, never
	// to a host the hub redirects to (its CDN), which must not see it.
	Token string
	// Revision is the branch, tag or commit files are taken from.
	Revision string
	// HTTP sends the requests. Its transport takes proxies from the
	// environment when it is the default one.
	HTTP *http.Client
	// Attempts bounds the tries in a row that fail without a byte gained
	// (network errors, stalls, 5xx and 429 answers) before Download or
	// Resolve gives up.
	Attempts int
	// Backoff is the wait after the first failed try; it doubles after
	// each further one. A 429 or 503 answer with a Retry-After header
	// waits what the server asks instead, if longer (a minute at most).
	Backoff time.Duration
	// Stall is how long a request may go without a byte from the server,
	// waiting for its headers or between chunks of its body, before it is
	// abandoned and counted as a failed try like a dropped connection.
	// 0 waits forever.
	Stall time.Duration
	// FreeSpace tells the bytes free on the disk holding dir; tests replace
	// it to imitate a full disk.
	FreeSpace func(ctx context.Context, dir string) (uint64, error)

	// wrapWrites, if not nil, stands between Download and its partial
	// file: tests make writes fail as on a full disk.
	wrapWrites func(io.Writer) io.Writer
	// sleep waits between tries; tests replace it to see the waits
	// without waiting.
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a client of the hub at HF_ENDPOINT (or DefaultEndpoint),
// sending token if not empty, on revision "main", with 5 attempts starting
// at a 1 s backoff, abandoning requests silent for 30 s.
func New(token string) *Client {
	endpoint := strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/")
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	return &Client{
		Endpoint:  endpoint,
		Token:     token,
		Revision:  "main",
		HTTP:      &http.Client{},
		Attempts:  5,
		Backoff:   time.Second,
		Stall:     30 * time.Second,
		FreeSpace: hostFreeSpace,
		sleep:     sleep,
	}
}

func hostFreeSpace(ctx context.Context, dir string) (uint64, error) {
	d, err := hw.Host().Disk(ctx, dir)
	return d.Free, err
}

// File is a file of a repo as the hub describes it.
type File struct {
	Repo, Name string
	// Size is the file's length in bytes.
	Size int64
	// SHA256 is the file's checksum in lower-case hex, which the hub
	// publishes for files kept in Git LFS (every model file); "" for small
	// files kept in git, which Download then checks by size only.
	SHA256 string
}

// StatusError is an answer of the hub other than success.
type StatusError struct {
	URL  string
	Code int

	retryAfter time.Duration // what a 429 or 503 answer asked to wait
}

// newStatusError describes resp's failure. The URL loses its query: a CDN's
// holds a signature that has no place in a message.
func newStatusError(resp *http.Response) *StatusError {
	u := *resp.Request.URL
	u.RawQuery = ""
	e := &StatusError{URL: u.Redacted(), Code: resp.StatusCode}
	if e.Code == http.StatusTooManyRequests || e.Code == http.StatusServiceUnavailable {
		e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

func (e *StatusError) Error() string {
	switch e.Code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Sprintf("%s: access denied (%d): the repo may be gated or private; accept its terms on the hub and give an access token", e.URL, e.Code)
	case http.StatusNotFound:
		return fmt.Sprintf("%s: not found on the hub", e.URL)
	}
	return fmt.Sprintf("%s: the hub answered %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// temporary tells whether trying again later may succeed.
func (e *StatusError) temporary() bool {
	return e.Code >= 500 || e.Code == http.StatusTooManyRequests || e.Code == http.StatusRequestTimeout
}

// resolveURL is where the hub serves a file of repo.
func (c *Client) resolveURL(repo, file string) string {
	return c.Endpoint + "/" + repo + "/resolve/" + url.PathEscape(c.Revision) + "/" + escapePath(file)
}

// escapePath escapes each element of a slash-separated path.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func (c *Client) newRequest(ctx context.Context, method, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	if c.Token != "" && c.onHub(req.URL) {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("User-Agent", "nibble")
	return req, nil
}

// onHub tells whether u is on the Endpoint's host, the only one that may
// see the token.
func (c *Client) onHub(u *url.URL) bool {
	hub, err := url.Parse(c.Endpoint)
	return err == nil && u.Host == hub.Host
}

// do sends req with c.HTTP, following redirects (at most 10) unless follow
// is false. A redirect off the hub's host drops the token: Go's own policy
// would keep it for the hub's subdomains and for other ports, and a CDN can
// be either.
func (c *Client) do(req *http.Request, follow bool) (*http.Response, error) {
	hc := *c.HTTP
	hc.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if !follow {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if !c.onHub(next.URL) {
			next.Header.Del("Authorization")
		}
		return nil
	}
	return hc.Do(req)
}

// Resolve asks the hub for a file's size and checksum (a HEAD request, as
// huggingface_hub makes). The hub answers an LFS file with a redirect to its
// CDN carrying X-Linked-Size and X-Linked-Etag, which are read there and
// then; a redirect without them (a renamed repo) is followed. A request
// that fails for now (see Download) is tried again.
func (c *Client) Resolve(ctx context.Context, repo, file string) (File, error) {
	u := c.resolveURL(repo, file)
	for hop := 0; hop < 10; hop++ {
		resp, err := c.head(ctx, u)
		if err != nil {
			return File{}, fmt.Errorf("ask the hub about %s/%s: %w", repo, file, err)
		}
		h := resp.Header
		if size := h.Get("X-Linked-Size"); size != "" {
			return fileFrom(repo, file, size, h.Get("X-Linked-Etag"))
		}
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400 && h.Get("Location") != "":
			next, err := resp.Request.URL.Parse(h.Get("Location"))
			if err != nil {
				return File{}, fmt.Errorf("ask the hub about %s/%s: bad redirect: %w", repo, file, err)
			}
			u = next.String()
		case resp.StatusCode == http.StatusOK:
			// A file kept in git: its ETag is a git hash, not a SHA-256.
			return fileFrom(repo, file, h.Get("Content-Length"), "")
		default:
			return File{}, newStatusError(resp)
		}
	}
	return File{}, fmt.Errorf("ask the hub about %s/%s: too many redirects", repo, file)
}

// head asks for u's headers without following a redirect, trying again when
// that fails for now. An error answer (4xx, 5xx) is a StatusError.
func (c *Client) head(ctx context.Context, u string) (*http.Response, error) {
	r := c.retrier()
	for {
		resp, err := c.headOnce(ctx, u)
		if err == nil {
			return resp, nil
		}
		if err := r.pause(ctx, err); err != nil {
			return nil, err
		}
	}
}

func (c *Client) headOnce(ctx context.Context, u string) (*http.Response, error) {
	w := c.watch(ctx)
	defer w.stop()
	req, err := c.newRequest(w.ctx, http.MethodHead, u)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, false)
	if err != nil {
		return nil, w.err(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, newStatusError(resp)
	}
	return resp, nil
}

func fileFrom(repo, name, size, etag string) (File, error) {
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 {
		return File{}, fmt.Errorf("the hub gave %s/%s a bad size %q", repo, name, size)
	}
	f := File{Repo: repo, Name: name, Size: n}
	etag = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	if isSHA256(etag) {
		f.SHA256 = strings.ToLower(etag)
	}
	return f, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range strings.ToLower(s) {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Files lists the file names of a repo (the hub API's
// GET /api/models/REPO, its "siblings"). It tries once: a request silent
// for Client.Stall fails.
func (c *Client) Files(ctx context.Context, repo string) ([]string, error) {
	u := c.Endpoint + "/api/models/" + repo
	if c.Revision != "main" {
		u += "/revision/" + url.PathEscape(c.Revision)
	}
	w := c.watch(ctx)
	defer w.stop()
	req, err := c.newRequest(w.ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, true)
	if err != nil {
		return nil, fmt.Errorf("list the files of %s: %w", repo, w.err(err))
	}
	defer resp.Body.Close()
	w.alive()
	if resp.StatusCode != http.StatusOK {
		return nil, newStatusError(resp)
	}
	var info struct {
		Siblings []struct {
			Name string `json:"rfilename"`
		} `json:"siblings"`
	}
	if err := json.NewDecoder(io.LimitReader(w.body(resp.Body), 64<<20)).Decode(&info); err != nil {
		return nil, fmt.Errorf("list the files of %s: %w", repo, w.err(err))
	}
	names := make([]string, len(info.Siblings))
	for i, s := range info.Siblings {
		names[i] = s.Name
	}
	return names, nil
}

// HomeDir is huggingface_hub's folder for this user, which holds its cache
// (hub/) and the token of `huggingface-cli login` (token): $HF_HOME, else
// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface, on every system.
func HomeDir() (string, error) {
	if d := os.Getenv("HF_HOME"); d != "" {
		return d, nil
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "huggingface"), nil
}
