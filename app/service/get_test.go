package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"nibble/catalog"
	"nibble/catalog/hub"
	"nibble/engine/refdata"
	"nibble/engine/sample"
	"nibble/engine/session"
)

const (
	ts5mRepo     = "org/ts5m-hf"
	ts5mGGUFRepo = "org/ts5m-GGUF"
	shard1       = "model-00001-of-00002.safetensors"
	shard2       = "model-00002-of-00002.safetensors"
)

// ts5mFiles are the files of the shared HF folder, all of which Get takes.
var ts5mFiles = []string{"config.json", "generation_config.json", shard1, shard2, "model.safetensors.index.json",
	"special_tokens_map.json", "tokenizer.model", "tokenizer_config.json"}

// junkFiles are files of the repo that Get must never ask for: other
// formats of the weights, a model card, a tokenizer in a subfolder.
var junkFiles = []string{"README.md", "pytorch_model.bin", "onnx/model.onnx", "original/tokenizer.model"}

// ts5m is the shared HF model as a curated model with no ready GGUF file:
// its shape as in ../shared/testdata/README.md.
func ts5m() CuratedModel {
	return CuratedModel{
		ID: "ts5m-stories", Name: "TS5M Stories", GGUFRepo: ts5mGGUFRepo, SafetensorsRepo: ts5mRepo, Params: 5770496,
		Arch: "llama", Tokenizer: "spm", Layers: 6, Heads: 8, KVHeads: 4, HeadDim: 32, Embd: 256, FFN: 768,
		Vocab: 2048, Context: 256, RopeBase: 10000,
	}
}

// fakeHub imitates the Hugging Face hub serving one repo, at HF_ENDPOINT:
// the listing (GET /api/models/REPO) and resolve URLs answering as the hub
// does — LFS files with X-Linked-Size and X-Linked-Etag, JSON files kept in
// git with their Content-Length — with Range support. It counts what it
// serves.
type fakeHub struct {
	files map[string][]byte
	// gguf are the files of ts5mGGUFRepo, none unless a test adds them.
	gguf map[string][]byte

	mu     sync.Mutex
	stall  string              // the next GET of this file stops half-way until the client leaves
	asked  map[string]int      // requests (HEAD or GET) per file
	ranges map[string][]string // the Range header of each GET, per file
	served map[string]int64    // body bytes sent, per file
}

// newFakeHub serves the shared HF folder's files but those in leave out,
// and junkFiles, as ts5mRepo.
func newFakeHub(t *testing.T, leaveOut ...string) *fakeHub {
	dir := refdata.Path(t, "hf/ts5m")
	h := &fakeHub{files: map[string][]byte{}, gguf: map[string][]byte{}}
	for _, name := range ts5mFiles {
		if slices.Contains(leaveOut, name) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h.files[name] = data
	}
	for _, name := range junkFiles {
		h.files[name] = []byte("not for Nibble: " + name)
	}
	h.reset()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Setenv("HF_ENDPOINT", srv.URL)
	t.Setenv("HF_TOKEN", "")
	return h
}

// reset forgets what was served.
func (h *fakeHub) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked, h.ranges, h.served = map[string]int{}, map[string][]string{}, map[string]int64{}
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	repo, files := ts5mRepo, h.files
	if strings.Contains(r.URL.Path, "/"+ts5mGGUFRepo+"/") || strings.HasSuffix(r.URL.Path, "/"+ts5mGGUFRepo) {
		repo, files = ts5mGGUFRepo, h.gguf
	}
	if r.URL.Path == "/api/models/"+repo {
		var siblings []map[string]string
		for _, name := range slices.Sorted(maps.Keys(files)) {
			siblings = append(siblings, map[string]string{"rfilename": name})
		}
		json.NewEncoder(w).Encode(map[string]any{"id": repo, "siblings": siblings})
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/"+repo+"/resolve/main/")
	data, found := files[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	h.mu.Lock()
	h.asked[name]++
	stall := r.Method == http.MethodGet && h.stall == name
	if r.Method == http.MethodGet {
		h.ranges[name] = append(h.ranges[name], r.Header.Get("Range"))
	}
	if stall {
		h.stall = ""
	}
	h.mu.Unlock()
	if !strings.HasSuffix(name, ".json") {
		sum := sha256.Sum256(data)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
	}
	cw := countingWriter{w, func(n int) {
		h.mu.Lock()
		h.served[name] += int64(n)
		h.mu.Unlock()
	}}
	if stall {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		cw.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	http.ServeContent(cw, r, name, time.Time{}, bytes.NewReader(data))
}

// askedFiles returns the files asked for, sorted.
func (h *fakeHub) askedFiles() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.asked))
}

// askedFor returns the requests made for file name.
func (h *fakeHub) askedFor(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.asked[name]
}

// fetched returns the body bytes served of file name and the Range
// headers of its GETs.
func (h *fakeHub) fetched(name string) (int64, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.served[name], slices.Clone(h.ranges[name])
}

// countingWriter tells add the bytes of the body written.
type countingWriter struct {
	http.ResponseWriter
	add func(int)
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.add(n)
	return n, err
}

// getRecorder records a Get's progress.
type getRecorder struct {
	phases    []GetPhase // each phase once, in the order seen
	downloads []hub.Progress
}

func (r *getRecorder) progress(p GetProgress) {
	if len(r.phases) == 0 || r.phases[len(r.phases)-1] != p.Phase {
		r.phases = append(r.phases, p.Phase)
	}
	if p.Phase == Downloading {
		r.downloads = append(r.downloads, p.Download)
	}
}

// getThrough runs s.Get of m at level, failing the test unless it
// succeeds through phases, and returns what it got and its progress.
func getThrough(t *testing.T, s *Service, m CuratedModel, level string, phases []GetPhase) (catalog.Model, catalog.Variant, getRecorder) {
	t.Helper()
	var rec getRecorder
	model, v, err := s.Get(t.Context(), m, level, rec.progress)
	if err != nil {
		t.Fatalf("Get %s: %v", level, err)
	}
	if !slices.Equal(rec.phases, phases) {
		t.Errorf("Get %s went through phases %v, want %v", level, rec.phases, phases)
	}
	return model, v, rec
}

// checkDownloadProgress fails unless the download progress rose from
// first bytes to all total bytes, never going back.
func checkDownloadProgress(t *testing.T, ps []hub.Progress, first, total int64) {
	t.Helper()
	if len(ps) == 0 {
		t.Fatal("no download progress")
	}
	if ps[0].Done != first {
		t.Errorf("download progress starts at %d bytes, want %d", ps[0].Done, first)
	}
	for i, p := range ps {
		if p.Total != total || p.Done > total || i > 0 && p.Done < ps[i-1].Done {
			t.Fatalf("download progress %d: %+v after %+v, total %d", i, p, ps[max(i-1, 0)], total)
		}
	}
	if last := ps[len(ps)-1]; last.Done != total || last.Speed <= 0 {
		t.Errorf("download progress ends at %+v, want all %d bytes at some speed", last, total)
	}
}

// sizeOf is the bytes of the named files of h.
func (h *fakeHub) sizeOf(names ...string) int64 {
	var n int64
	for _, name := range names {
		n += int64(len(h.files[name]))
	}
	return n
}

// TestGet: a model with no ready file is downloaded from its original
// weights (only the files the conversion reads, each once), converted and
// quantized; the catalog keeps the original, later levels are made from it
// without the hub, a level the catalog has is returned as it is, and a
// float level is a conversion of its own.
func TestGet(t *testing.T) {
	h := newFakeHub(t)
	s, _ := newService(t)
	models, _ := s.Catalog.ModelsDir()
	m := ts5m()
	var source catalog.Variant // the F16 conversion, once made
	for _, step := range []struct {
		level  string
		phases []GetPhase
		hub    bool     // whether the hub is asked
		levels []string // the model's levels in the catalog after
	}{
		{"Q4_K_M", []GetPhase{Downloading, Converting, Making}, true, []string{"F16", "Q4_K_M"}},
		{"Q8_0", []GetPhase{Making}, false, []string{"F16", "Q4_K_M", "Q8_0"}},
		{"q4_k_m", nil, false, []string{"F16", "Q4_K_M", "Q8_0"}},
		{"F16", nil, false, []string{"F16", "Q4_K_M", "Q8_0"}},
		{"F32", []GetPhase{Downloading, Converting}, true, []string{"F16", "F32", "Q4_K_M", "Q8_0"}},
	} {
		h.reset()
		model, v, rec := getThrough(t, s, m, step.level, step.phases)
		if model.DisplayName != m.Name || !strings.EqualFold(v.Level, step.level) || v.Missing || !v.Owned {
			t.Errorf("Get %s: model %q, variant %+v", step.level, model.DisplayName, v)
		}
		e, err := s.Catalog.Lookup(model.Name)
		if err != nil {
			t.Fatal(err)
		}
		var levels []string
		for _, v := range e.Variants {
			levels = append(levels, v.Level)
			if v.Level == "F16" {
				source = v
			}
		}
		if slices.Sort(levels); !slices.Equal(levels, step.levels) {
			t.Errorf("after Get %s the catalog has levels %v, want %v", step.level, levels, step.levels)
		}
		if !Unquantized(v.Level) && v.QuantizedFrom != source.ID {
			t.Errorf("Get %s: made from variant %d, want the F16 original %d", step.level, v.QuantizedFrom, source.ID)
		}
		asked := h.askedFiles()
		if !step.hub {
			if len(asked) > 0 {
				t.Errorf("Get %s asked the hub for %v", step.level, asked)
			}
			continue
		}
		if want := slices.Sorted(slices.Values(ts5mFiles)); !slices.Equal(asked, want) {
			t.Errorf("Get %s asked the hub for %v, want %v", step.level, asked, want)
		}
		for _, name := range ts5mFiles {
			if got, _ := h.fetched(name); got != h.sizeOf(name) {
				t.Errorf("Get %s: %d bytes of %s served, want %d: each once", step.level, got, name, h.sizeOf(name))
			}
		}
		// The index is fetched first, to learn the shards.
		checkDownloadProgress(t, rec.downloads, h.sizeOf("model.safetensors.index.json"), h.sizeOf(ts5mFiles...))
		if _, err := os.Stat(filepath.Join(models, ".download")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Get %s left its download folder: %v", step.level, err)
		}
	}

	q4, err := s.Catalog.Lookup(catalog.NameOf(m.Name) + ":q4_k_m")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := session.Open(q4.Variants[0].Path, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	text, st, err := sess.Complete(t.Context(), "Once upon a time", session.Params{MaxTokens: 8, Sampling: sample.Params{Temperature: 0}}, func(string) {})
	if err != nil || st.GeneratedTokens == 0 || strings.TrimSpace(text) == "" {
		t.Errorf("generating with the Q4_K_M Get made: %q, %d tokens, %v", text, st.GeneratedTokens, err)
	}
}

// TestGetResumes: a Get cancelled in the middle of the second shard keeps
// what it fetched, which catalog.Reconcile leaves alone, and the next Get
// goes on from there: the first shard is not fetched again and the second
// is asked for from where it stopped.
func TestGetResumes(t *testing.T) {
	h := newFakeHub(t)
	h.stall = shard2
	s, _ := newService(t)
	models, _ := s.Catalog.ModelsDir()
	dir := filepath.Join(models, ".download", "org", "ts5m-hf")
	total := h.sizeOf(ts5mFiles...)
	half := h.sizeOf(shard2) / 2

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, _, err := s.Get(ctx, ts5m(), "Q8_0", func(p GetProgress) {
		if p.File == shard2 && p.Download.Done == total-h.sizeOf(shard2)+half {
			cancel() // all the hub sends of it
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get: %v", err)
	}
	if r, err := s.Catalog.Reconcile(); err != nil || len(r.Removed)+len(r.Orphans) > 0 {
		t.Errorf("Reconcile during the download: %+v, %v", r, err)
	}
	part, err := os.Stat(filepath.Join(dir, hub.PartName(shard2)))
	if err != nil {
		t.Fatalf("the partial second shard is gone: %v", err)
	}
	kept := part.Size()
	if kept != half {
		t.Fatalf("partial second shard has %d of %d bytes, want the %d sent", kept, h.sizeOf(shard2), half)
	}
	if e, err := s.Catalog.List(); err != nil || len(e) != 0 {
		t.Errorf("the catalog after a cancelled Get: %+v, %v", e, err)
	}
	if n, err := s.Downloaded(ts5m(), "Q8_0"); n != total-h.sizeOf(shard2)+kept || err != nil {
		t.Errorf("Downloaded after the cancelled Get: %d, %v; want %d", n, err, total-h.sizeOf(shard2)+kept)
	}

	if got, ranges := h.fetched(shard1); got != h.sizeOf(shard1) || len(ranges) != 1 {
		t.Errorf("first shard: %d bytes served in %d GETs, want its %d bytes once", got, len(ranges), h.sizeOf(shard1))
	}
	h.reset()
	var rec getRecorder
	if _, _, err := s.Get(t.Context(), ts5m(), "Q8_0", rec.progress); err != nil {
		t.Fatalf("resumed Get: %v", err)
	}
	if got, _ := h.fetched(shard1); got != 0 || h.askedFor(shard1) != 1 {
		t.Errorf("resumed Get: first shard served %d bytes in %d requests, want none but the one for its size", got, h.askedFor(shard1))
	}
	if _, ranges := h.fetched(shard2); !slices.Equal(ranges, []string{fmt.Sprintf("bytes=%d-", kept)}) {
		t.Errorf("resumed Get: second shard asked for with ranges %q, want from byte %d on", ranges, kept)
	}
	checkDownloadProgress(t, rec.downloads, total-h.sizeOf(shard2)+kept, total)
	if n, err := s.Downloaded(ts5m(), "Q8_0"); n != 0 || err != nil {
		t.Errorf("Downloaded after the Get: %d, %v; want nothing left", n, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the download folder is still there after the conversion: %v", err)
	}
}

// TestGetNoSpace: when the disk cannot hold the download, the conversion
// and the level, Get says so before fetching any weights.
func TestGetNoSpace(t *testing.T) {
	h := newFakeHub(t)
	s, _ := newService(t)
	s.freeSpace = func(context.Context, string) (uint64, error) { return 10 << 20, nil }
	_, _, err := s.Get(t.Context(), ts5m(), "Q4_K_M", nil)
	// 11,580,689 bytes to download (all but the index, fetched first),
	// 11,596,800 converted to F16 and 3,559,936 at Q4_K_M: 25.5 MiB.
	if !errors.Is(err, hub.ErrNoSpace) || !strings.Contains(err.Error(), "needs 25 MiB") || !strings.Contains(err.Error(), "10 MiB free") {
		t.Fatalf("Get on a full disk: %v, want ErrNoSpace saying 25 MiB needed and 10 MiB free", err)
	}
	for _, name := range []string{shard1, shard2} {
		if got, _ := h.fetched(name); got > 0 {
			t.Errorf("%d bytes of %s fetched", got, name)
		}
	}
	if e, err := s.Catalog.List(); err != nil || len(e) != 0 {
		t.Errorf("the catalog after a failed Get: %+v, %v", e, err)
	}
}

// TestGetNotConvertible: a repo lacking what the conversion needs is
// refused with a message saying what, before any weights are fetched.
func TestGetNotConvertible(t *testing.T) {
	for _, tc := range []struct {
		name     string
		leaveOut []string
		says     string
	}{
		{"no config", []string{"config.json"}, "org/ts5m-hf has no config.json"},
		{"no tokenizer", []string{"tokenizer.model"}, "neither tokenizer.json nor tokenizer.model"},
		{"no weights", []string{shard1, shard2, "model.safetensors.index.json"}, "no model.safetensors nor model.safetensors.index.json"},
		{"shard missing", []string{shard2}, "names " + shard2 + ", which the repo does not have"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t, tc.leaveOut...)
			s, _ := newService(t)
			_, _, err := s.Get(t.Context(), ts5m(), "Q8_0", nil)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Get: %v, want an error saying %q", err, tc.says)
			}
			for _, name := range []string{shard1, shard2} {
				if got, _ := h.fetched(name); got > 0 {
					t.Errorf("%d bytes of %s fetched", got, name)
				}
			}
		})
	}
}

// TestGetReadyFile: a level with a ready file is downloaded under the
// curated model's name, taken from the repo's listing when the list's file
// name is out of date; a level whose listed file is gone is made from the
// original weights, into the same model of the catalog.
func TestGetReadyFile(t *testing.T) {
	h := newFakeHub(t)
	q8, err := os.ReadFile(refdata.Path(t, "models/ts5m-Q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	h.gguf["ts5m-stories-Q8_0.gguf"] = q8
	s, _ := newService(t)
	m := ts5m()
	m.Files = map[string]string{"Q8_0": "ts5m-old-name-q8_0.gguf", "Q4_0": "ts5m-q4_0.gguf"}
	for _, step := range []struct {
		level  string
		phases []GetPhase
		file   string // the file of the level, in the models folder
	}{
		{"Q8_0", []GetPhase{Downloading}, "ts5m-stories-Q8_0.gguf"},
		{"Q4_0", []GetPhase{Downloading, Converting, Making}, ""},
	} {
		model, v, _ := getThrough(t, s, m, step.level, step.phases)
		if step.file != "" && filepath.Base(v.Path) != step.file {
			t.Errorf("Get %s: file %s, want the repo's %s", step.level, v.Path, step.file)
		}
		if model.DisplayName != m.Name || v.Level != step.level {
			t.Errorf("Get %s: model %q, level %s; want %q", step.level, model.DisplayName, v.Level, m.Name)
		}
	}
	entries, err := s.Catalog.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || len(entries[0].Variants) != 3 {
		t.Errorf("the catalog holds %d models, want one with Q8_0, F16 and Q4_0: %+v", len(entries), entries)
	}
}

// TestDiscardDownload: what a cancelled Get kept, a ready file's partial
// download and the original's folder, is deleted.
func TestDiscardDownload(t *testing.T) {
	h := newFakeHub(t)
	h.stall = shard2
	h.gguf["ts5m-Q8_0.gguf"] = []byte("the first bytes of a GGUF file")
	s, _ := newService(t)
	models, _ := s.Catalog.ModelsDir()
	m := ts5m()
	m.Files = map[string]string{"Q8_0": "ts5m-Q8_0.gguf"}
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(models, hub.PartName("ts5m-Q8_0.gguf")), []byte("the first"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if _, _, err := s.Get(ctx, m, "Q4_0", func(p GetProgress) {
		if p.File == shard2 {
			cancel()
		}
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get: %v", err)
	}
	if n, err := s.Downloaded(m, "Q8_0"); n < int64(len("the first"))+h.sizeOf(shard1) || err != nil {
		t.Fatalf("Downloaded: %d, %v; want the partial file and the first shard at least", n, err)
	}
	if err := s.DiscardDownload(m, "Q8_0"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Downloaded(m, "Q8_0"); n != 0 || err != nil {
		t.Errorf("Downloaded after DiscardDownload: %d, %v; want 0", n, err)
	}
	if left, _ := os.ReadDir(models); len(left) != 0 {
		t.Errorf("the models folder still holds %v", left)
	}
}
