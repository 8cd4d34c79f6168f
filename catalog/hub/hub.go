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
	// and private repos need it. Go's client drops it when the hub
	// redirects to another host (its CDN), which must not see it.
	Token string
	// Revision is the branch, tag or commit files are taken from.
	Revision string
	// HTTP sends the requests. Its transport takes proxies from the
	// environment when it is the default one.
	HTTP *http.Client
	// Attempts bounds the tries in a row that fail without a byte gained
	// (network errors, 5xx answers) before Download gives up.
	Attempts int
	// Backoff is the wait after the first failed try; it doubles after
	// each further one.
	Backoff time.Duration
	// FreeSpace tells the bytes free on the disk holding dir; tests replace
	// it to imitate a full disk.
	FreeSpace func(ctx context.Context, dir string) (uint64, error)

	// wrapWrites, if not nil, stands between Download and its partial
	// file: tests make writes fail as on a full disk.
	wrapWrites func(io.Writer) io.Writer
}

// New returns a client of the hub at HF_ENDPOINT (or DefaultEndpoint),
// sending token if not empty, on revision "main", with 5 attempts starting
// at a 1 s backoff.
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
		FreeSpace: hostFreeSpace,
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
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("User-Agent", "nibble")
	return req, nil
}

// Resolve asks the hub for a file's size and checksum (a HEAD request, as
// huggingface_hub makes). The hub answers an LFS file with a redirect to its
// CDN carrying X-Linked-Size and X-Linked-Etag, which are read there and
// then; a redirect without them (a renamed repo) is followed.
func (c *Client) Resolve(ctx context.Context, repo, file string) (File, error) {
	noFollow := *c.HTTP
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u := c.resolveURL(repo, file)
	for hop := 0; hop < 10; hop++ {
		req, err := c.newRequest(ctx, http.MethodHead, u)
		if err != nil {
			return File{}, err
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			return File{}, fmt.Errorf("ask the hub about %s/%s: %w", repo, file, err)
		}
		resp.Body.Close()
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
			return File{}, &StatusError{URL: u, Code: resp.StatusCode}
		}
	}
	return File{}, fmt.Errorf("ask the hub about %s/%s: too many redirects", repo, file)
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
// GET /api/models/REPO, its "siblings").
func (c *Client) Files(ctx context.Context, repo string) ([]string, error) {
	u := c.Endpoint + "/api/models/" + repo
	if c.Revision != "main" {
		u += "/revision/" + url.PathEscape(c.Revision)
	}
	req, err := c.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list the files of %s: %w", repo, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{URL: u, Code: resp.StatusCode}
	}
	var info struct {
		Siblings []struct {
			Name string `json:"rfilename"`
		} `json:"siblings"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&info); err != nil {
		return nil, fmt.Errorf("list the files of %s: %w", repo, err)
	}
	names := make([]string, len(info.Siblings))
	for i, s := range info.Siblings {
		names[i] = s.Name
	}
	return names, nil
}

// errorsIsTemporary tells whether a failed try is worth another.
func errorsIsTemporary(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.temporary()
	}
	return true // network errors: dropped connections, timeouts, resets
}
