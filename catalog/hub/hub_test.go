package hub

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeHub imitates the hub: resolve URLs that redirect to a second server,
// its CDN, which serves the bytes with Range support and can misbehave.
type fakeHub struct {
	hub, cdn *httptest.Server
	repo     string
	files    map[string][]byte
	etag     string // X-Linked-Etag to publish; default the true sha256

	mu           sync.Mutex
	ranges       []string // the Range header of each GET the CDN saw
	auth         []string // the Authorization header of each request the hub saw
	cdnAuth      []string // the Authorization header of each GET the CDN saw
	deny         int      // answer every request at the hub with this code (0: never)
	stallHeads   int      // leave this many HEADs at the hub without an answer first
	fail5xx      int      // answer this many GETs with failCode first
	failCode     int      // 0: 503
	retryAfter   string   // Retry-After of those answers, if not ""
	stallHeaders bool     // leave the next GET at the CDN without an answer
	dropAt       int64    // drop the connection of the next GET after this many body bytes (0: never)
	stallAt      int64    // stop sending the next GET's body after this many bytes (0: never)
	noRanges     bool     // ignore Range and send the whole file

	ended chan struct{} // closed when the test ends, releasing stalled answers
}

func newFakeHub(t *testing.T, files map[string][]byte) *fakeHub {
	h := &fakeHub{repo: "org/model", files: files, ended: make(chan struct{})}
	h.cdn = httptest.NewServer(http.HandlerFunc(h.serveCDN))
	h.hub = httptest.NewServer(http.HandlerFunc(h.serveHub))
	t.Cleanup(h.hub.Close)
	t.Cleanup(h.cdn.Close)
	t.Cleanup(func() { close(h.ended) }) // first: Close waits for stalled handlers
	return h
}

// stall sends nothing more until the client gives up or the test ends.
func (h *fakeHub) stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-h.ended:
	}
}

func (h *fakeHub) serveHub(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.auth = append(h.auth, r.Header.Get("Authorization"))
	stall := r.Method == http.MethodHead && h.stallHeads > 0
	if stall {
		h.stallHeads--
	}
	deny := h.deny
	h.mu.Unlock()
	if stall {
		h.stall(r)
		return
	}
	if deny != 0 {
		http.Error(w, "no", deny)
		return
	}
	if r.URL.Path == "/api/models/"+h.repo {
		var sib []map[string]string
		for name := range h.files {
			sib = append(sib, map[string]string{"rfilename": name})
		}
		json.NewEncoder(w).Encode(map[string]any{"id": h.repo, "siblings": sib})
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/"+h.repo+"/resolve/main/")
	data, found := h.files[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(data)
	etag := hex.EncodeToString(sum[:])
	if h.etag != "" {
		etag = h.etag
	}
	w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
	http.Redirect(w, r, h.cdn.URL+"/blobs/"+name+"?signature=x", http.StatusFound)
}

func (h *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	data := h.files[strings.TrimPrefix(r.URL.Path, "/blobs/")]
	h.mu.Lock()
	h.ranges = append(h.ranges, r.Header.Get("Range"))
	h.cdnAuth = append(h.cdnAuth, r.Header.Get("Authorization"))
	fail := h.fail5xx > 0
	if fail {
		h.fail5xx--
	}
	failCode, retryAfter := cmp.Or(h.failCode, http.StatusServiceUnavailable), h.retryAfter
	dropAt, stallAt, stallHeaders := h.dropAt, h.stallAt, h.stallHeaders
	h.dropAt, h.stallAt, h.stallHeaders = 0, 0, false
	noRanges := h.noRanges
	h.mu.Unlock()
	if fail {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, "busy", failCode)
		return
	}
	if stallHeaders {
		h.stall(r)
		return
	}
	start := 0
	if rg, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes="); ok && !noRanges {
		start, _ = strconv.Atoi(strings.TrimSuffix(rg, "-"))
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(data)-1, len(data)))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)-start))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	}
	body := data[start:]
	if stallAt > 0 {
		w.Write(body[:stallAt])
		w.(http.Flusher).Flush()
		h.stall(r)
		return
	}
	if dropAt > 0 {
		w.Write(body[:dropAt])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	// Small writes, so that a cancel lands mid-body.
	for len(body) > 0 {
		n := min(len(body), 64<<10)
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		body = body[n:]
	}
}

func (h *fakeHub) client() *Client {
	c := New("secret")
	c.Endpoint = h.hub.URL
	c.Backoff = time.Millisecond
	c.FreeSpace = func(context.Context, string) (uint64, error) { return 1 << 40, nil }
	return c
}

func (h *fakeHub) seenRanges() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ranges...)
}

// checkAuth asserts that the hub got the token and the CDN never did.
func (h *fakeHub) checkAuth(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.auth) == 0 || h.auth[0] != "Bearer secret" {
		t.Errorf("hub saw Authorization %q, want the token", h.auth)
	}
	for _, a := range h.cdnAuth {
		if a != "" {
			t.Errorf("the CDN saw Authorization %q: the token left the hub", a)
		}
	}
}

// testStall is Client.Stall in tests that make the server go quiet.
const testStall = 200 * time.Millisecond

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// checkDone asserts that path is the complete file and that no partial file
// is left beside it.
func checkDone(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s: %d bytes, not the served file's %d", path, len(got), len(want))
	}
	part := filepath.Join(filepath.Dir(path), PartName(filepath.Base(path)))
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file %s left behind (%v)", part, err)
	}
}

const fileName = "model-Q4_K_M.gguf"

func TestDownload(t *testing.T) {
	data := randomBytes(2 << 20)
	tests := []struct {
		name       string
		setup      func(h *fakeHub, c *Client)
		wantRanges []string
	}{
		{"plain", func(h *fakeHub, c *Client) {}, []string{""}},
		{"dropped connection resumes", func(h *fakeHub, c *Client) { h.dropAt = 300000 }, []string{"", "bytes=300000-"}},
		{"5xx retried", func(h *fakeHub, c *Client) { h.fail5xx = 2 }, []string{"", "", ""}},
		{"429 retried", func(h *fakeHub, c *Client) { h.fail5xx, h.failCode = 1, http.StatusTooManyRequests }, []string{"", ""}},
		{"range ignored restarts", func(h *fakeHub, c *Client) { h.dropAt = 1000; h.noRanges = true }, []string{"", "bytes=1000-"}},
		{"stalled body resumes", func(h *fakeHub, c *Client) { h.stallAt, c.Stall = 300000, testStall }, []string{"", "bytes=300000-"}},
		{"stalled headers retried", func(h *fakeHub, c *Client) { h.stallHeaders, c.Stall = true, testStall }, []string{"", ""}},
		{"stalled resolve retried", func(h *fakeHub, c *Client) { h.stallHeads, c.Stall = 1, testStall }, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHub(t, map[string][]byte{fileName: data})
			c := h.client()
			tt.setup(h, c)
			dir := t.TempDir()
			var last Progress
			path, err := c.Download(context.Background(), h.repo, fileName, dir, func(p Progress) { last = p })
			if err != nil {
				t.Fatal(err)
			}
			checkDone(t, path, data)
			if path != filepath.Join(dir, fileName) {
				t.Errorf("path %s, want %s", path, filepath.Join(dir, fileName))
			}
			if got := h.seenRanges(); strings.Join(got, ",") != strings.Join(tt.wantRanges, ",") {
				t.Errorf("CDN saw ranges %q, want %q", got, tt.wantRanges)
			}
			if last.Done != int64(len(data)) || last.Total != int64(len(data)) {
				t.Errorf("last progress %+v, want %d of %d", last, len(data), len(data))
			}
			h.checkAuth(t)
		})
	}
}

func TestDownloadFailures(t *testing.T) {
	data := randomBytes(1 << 20)
	tests := []struct {
		name    string
		setup   func(h *fakeHub, c *Client)
		want    error
		wantMsg string
		// wantCode, if not 0, is the StatusError's code, an answer that
		// must not be asked again.
		wantCode int
	}{
		{"wrong checksum", func(h *fakeHub, c *Client) { h.etag = strings.Repeat("ab", 32) }, ErrChecksum, "the download was deleted", 0},
		{"disk full", func(h *fakeHub, c *Client) {
			c.FreeSpace = func(context.Context, string) (uint64, error) { return 1000, nil }
		}, ErrNoSpace, "needs 1.0 MiB more", 0},
		{"5xx forever", func(h *fakeHub, c *Client) { h.fail5xx = 100 }, ErrUnreachable, "gave up after 5 tries", 0},
		{"stalled forever", func(h *fakeHub, c *Client) { h.stallHeads, c.Stall, c.Attempts = 100, testStall, 2 },
			errStalled, "gave up after 2 tries: the server sent nothing for 200ms", 0},
		{"unauthorized", func(h *fakeHub, c *Client) { h.deny = http.StatusUnauthorized }, nil, "access denied (401)", http.StatusUnauthorized},
		{"forbidden", func(h *fakeHub, c *Client) { h.deny = http.StatusForbidden }, nil, "access denied (403)", http.StatusForbidden},
		{"not found", func(h *fakeHub, c *Client) { h.files = map[string][]byte{} }, nil, "not found on the hub", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHub(t, map[string][]byte{fileName: data})
			c := h.client()
			tt.setup(h, c)
			dir := t.TempDir()
			_, err := c.Download(context.Background(), h.repo, fileName, dir, nil)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want %v mentioning %q", err, tt.want, tt.wantMsg)
			}
			var se *StatusError
			if tt.wantCode != 0 && (!errors.As(err, &se) || se.Code != tt.wantCode || len(h.auth) != 1) {
				t.Errorf("error %v after %d requests to the hub, want a StatusError %d after 1", err, len(h.auth), tt.wantCode)
			}
			if _, err := os.Stat(filepath.Join(dir, fileName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a file is in place after a failure (%v)", err)
			}
			if _, err := os.Stat(filepath.Join(dir, PartName(fileName))); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a partial file was left with nothing to resume (%v)", err)
			}
		})
	}
}

func TestDownloadCancelResumes(t *testing.T) {
	data := randomBytes(4 << 20)
	h := newFakeHub(t, map[string][]byte{fileName: data})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := h.client().Download(ctx, h.repo, fileName, dir, func(p Progress) {
		if p.Done >= 1<<20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	st, err := os.Stat(filepath.Join(dir, PartName(fileName)))
	if err != nil {
		t.Fatalf("no partial file kept: %v", err)
	}
	if st.Size() < 1<<20 || st.Size() >= int64(len(data)) {
		t.Fatalf("partial file has %d bytes, want at least 1 MiB and less than all", st.Size())
	}
	if _, err := os.Stat(filepath.Join(dir, fileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file is in place after a cancel (%v)", err)
	}

	var first Progress
	path, err := h.client().Download(context.Background(), h.repo, fileName, dir, func(p Progress) {
		if first.Total == 0 {
			first = p
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, path, data)
	ranges := h.seenRanges()
	if want := fmt.Sprintf("bytes=%d-", st.Size()); ranges[len(ranges)-1] != want {
		t.Errorf("the second download asked for %q, want %q", ranges[len(ranges)-1], want)
	}
	if first.Done != st.Size() {
		t.Errorf("the resumed download started its progress at %d, want %d", first.Done, st.Size())
	}

	// A third call finds the verified file in place and fetches nothing.
	n := len(h.seenRanges())
	again, err := h.client().Download(context.Background(), h.repo, fileName, dir, nil)
	if err != nil || again != path || len(h.seenRanges()) != n {
		t.Errorf("download of a file in place: %q, %v, %d more GETs; want %q, nil, 0", again, err, len(h.seenRanges())-n, path)
	}
}

func TestResolveAndFiles(t *testing.T) {
	data := randomBytes(1000)
	h := newFakeHub(t, map[string][]byte{fileName: data, "README.md": nil})
	c := h.client()
	f, err := c.Resolve(context.Background(), h.repo, fileName)
	sum := sha256.Sum256(data)
	want := File{Repo: h.repo, Name: fileName, Size: 1000, SHA256: hex.EncodeToString(sum[:])}
	if err != nil || f != want {
		t.Errorf("Resolve: %+v, %v; want %+v", f, err, want)
	}
	names, err := c.Files(context.Background(), h.repo)
	if err != nil || len(names) != 2 {
		t.Errorf("Files: %q, %v; want 2 names", names, err)
	}
}

func TestNewEndpoint(t *testing.T) {
	for _, tt := range []struct{ env, want string }{
		{"", DefaultEndpoint},
		{"https://mirror.example/", "https://mirror.example"},
	} {
		t.Setenv("HF_ENDPOINT", tt.env)
		if got := New("").Endpoint; got != tt.want {
			t.Errorf("HF_ENDPOINT=%q: endpoint %q, want %q", tt.env, got, tt.want)
		}
	}
}

// fullDisk fails writes with ENOSPC once limit bytes are written.
type fullDisk struct {
	w     io.Writer
	limit int64
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if int64(len(p)) > d.limit {
		n, _ := d.w.Write(p[:d.limit]) // a short write, as the OS makes
		d.limit = 0
		return n, &os.PathError{Op: "write", Path: "part", Err: syscall.ENOSPC}
	}
	d.limit -= int64(len(p))
	return d.w.Write(p)
}

func TestDownloadDiskFillsUp(t *testing.T) {
	data := randomBytes(2 << 20)
	h := newFakeHub(t, map[string][]byte{fileName: data})
	dir := t.TempDir()
	c := h.client()
	c.wrapWrites = func(w io.Writer) io.Writer { return &fullDisk{w: w, limit: 700000} }
	_, err := c.Download(context.Background(), h.repo, fileName, dir, nil)
	if !errors.Is(err, ErrNoSpace) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "make room and try again") {
		t.Fatalf("error %v, want ErrNoSpace saying the part is kept", err)
	}
	if len(h.seenRanges()) != 1 {
		t.Errorf("a write error was retried: the CDN saw %d requests", len(h.seenRanges()))
	}
	if _, err := os.Stat(filepath.Join(dir, fileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file is in place after a full disk (%v)", err)
	}
	part, err := os.ReadFile(filepath.Join(dir, PartName(fileName)))
	if err != nil {
		t.Fatalf("the partial download was not kept: %v", err)
	}
	if len(part) != 700000 || string(part) != string(data[:len(part)]) {
		t.Fatalf("partial file has %d bytes, want the file's first 700000", len(part))
	}

	path, err := h.client().Download(context.Background(), h.repo, fileName, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkDone(t, path, data)
	ranges := h.seenRanges()
	if want := fmt.Sprintf("bytes=%d-", len(part)); ranges[len(ranges)-1] != want {
		t.Errorf("the second download asked for %q, want %q", ranges[len(ranges)-1], want)
	}
}

func TestRetryAfter(t *testing.T) {
	data := randomBytes(1000)
	tests := []struct {
		name       string
		code       int
		retryAfter string
		fails      int
		want       []time.Duration
	}{
		{"no header: the backoff, doubling", http.StatusServiceUnavailable, "", 2, []time.Duration{time.Second, 2 * time.Second}},
		{"503 asks for longer", http.StatusServiceUnavailable, "7", 1, []time.Duration{7 * time.Second}},
		{"429 asks for longer", http.StatusTooManyRequests, "7", 1, []time.Duration{7 * time.Second}},
		{"never less than the backoff", http.StatusServiceUnavailable, "0", 1, []time.Duration{time.Second}},
		{"capped", http.StatusTooManyRequests, "3600", 1, []time.Duration{maxRetryAfter}},
		{"unreadable", http.StatusServiceUnavailable, "soon", 1, []time.Duration{time.Second}},
		{"only 429 and 503 ask", http.StatusInternalServerError, "7", 1, []time.Duration{time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHub(t, map[string][]byte{fileName: data})
			h.fail5xx, h.failCode, h.retryAfter = tt.fails, tt.code, tt.retryAfter
			c := h.client()
			c.Backoff = time.Second
			var waits []time.Duration
			c.sleep = func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}
			path, err := c.Download(context.Background(), h.repo, fileName, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			checkDone(t, path, data)
			if fmt.Sprint(waits) != fmt.Sprint(tt.want) {
				t.Errorf("waited %v, want %v", waits, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"1.5", 0},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second},
		{"Sun, 01 Mar 2026 11:59:00 GMT", -time.Minute},
		{"tomorrow", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.header, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestPartialAndDiscard(t *testing.T) {
	dir := t.TempDir()
	const file = "sub/" + fileName // a repo path: the partial file is named after its base
	check := func(when string, want int64) {
		t.Helper()
		if n, err := Partial(dir, file); n != want || err != nil {
			t.Errorf("%s: Partial = %d, %v; want %d, nil", when, n, err, want)
		}
	}

	check("no partial download", 0)
	if err := Discard(dir, file); err != nil {
		t.Errorf("Discard with no partial download: %v", err)
	}
	part := filepath.Join(dir, PartName(fileName))
	if err := os.WriteFile(part, make([]byte, 1234), 0o644); err != nil {
		t.Fatal(err)
	}
	check("a partial download", 1234)
	if err := Discard(dir, file); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Discard left %s (%v)", part, err)
	}
	check("after Discard", 0)
}

// TestDownloadCancelWhileStalled checks that the user's cancel is not taken
// for a stall, to be retried: it ends the download at once, keeping its part.
func TestDownloadCancelWhileStalled(t *testing.T) {
	data := randomBytes(1 << 20)
	h := newFakeHub(t, map[string][]byte{fileName: data})
	h.stallAt = 300000
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := h.client() // Stall 30 s: only the cancel can end the wait
	_, err := c.Download(ctx, h.repo, fileName, dir, func(p Progress) {
		if p.Done == 300000 { // the server has gone quiet: cancel in the silence
			time.AfterFunc(50*time.Millisecond, cancel)
		}
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, errStalled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n := len(h.seenRanges()); n != 1 {
		t.Errorf("the CDN saw %d GETs, want 1: a cancel is not retried", n)
	}
	if n, err := Partial(dir, fileName); n != 300000 || err != nil {
		t.Errorf("Partial = %d, %v; want the 300000 bytes received", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, fileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file is in place after a cancel (%v)", err)
	}
}

// TestResolveFollowsRedirects follows a renamed repo on the hub, then a move
// to another host: the token goes to the hub only.
func TestResolveFollowsRedirects(t *testing.T) {
	var mu sync.Mutex
	auth := map[string]string{} // the Authorization header each server saw, by path
	record := func(server string, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		auth[server+r.URL.Path] = r.Header.Get("Authorization")
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record("other", r)
		w.Header().Set("Content-Length", "42")
	}))
	defer other.Close()
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record("hub", r)
		switch r.URL.Path {
		case "/org/old/resolve/main/README.md":
			http.Redirect(w, r, "/org/new/resolve/main/README.md", http.StatusTemporaryRedirect)
		default:
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}
	}))
	defer hub.Close()

	c := New("secret")
	c.Endpoint = hub.URL
	f, err := c.Resolve(context.Background(), "org/old", "README.md")
	if want := (File{Repo: "org/old", Name: "README.md", Size: 42}); err != nil || f != want {
		t.Errorf("Resolve: %+v, %v; want %+v", f, err, want)
	}
	want := map[string]string{
		"hub/org/old/resolve/main/README.md":   "Bearer secret",
		"hub/org/new/resolve/main/README.md":   "Bearer secret",
		"other/org/new/resolve/main/README.md": "",
	}
	if fmt.Sprint(auth) != fmt.Sprint(want) {
		t.Errorf("Authorization seen: %q, want %q", auth, want)
	}
}
