package catalog

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"nibble/catalog/hub"
)

// Source is where Discover found a model.
type Source string

// The places Discover looks, in the order it lists them.
const (
	SourceOllama      Source = "Ollama"
	SourceLMStudio    Source = "LM Studio"
	SourceHuggingFace Source = "Hugging Face"
	SourceDownloads   Source = "Downloads"
)

var sourceOrder = []Source{SourceOllama, SourceLMStudio, SourceHuggingFace, SourceDownloads}

// Candidate is a GGUF model found on this computer, not imported.
type Candidate struct {
	// Name is a display name in the source's terms: "llama3.2:1b" (Ollama),
	// "PUBLISHER/REPO/FILE" (LM Studio), "ORG/NAME/FILE" (Hugging Face),
	// "FILE" (Downloads), FILE without ".gguf" nor part number.
	Name   string
	Source Source
	// Paths is the file; for a split model, the parts found, in order.
	Paths []string
	// Parts is a split model's part count as its file names say
	// ("-00001-of-00003": 3; fewer Paths means parts are missing), 0 for a
	// single file.
	Parts int
	Size  int64 // bytes, all parts
}

// Locations are the folders Discover looks in; empty ones are skipped.
type Locations struct {
	Ollama      []string // Ollama models folders, holding manifests/ and blobs/
	LMStudio    []string // LM Studio models folders, holding PUBLISHER/REPO/*.gguf
	HuggingFace string   // the Hugging Face hub cache, holding models--ORG--NAME/
	Downloads   string   // searched for *.gguf, not its subfolders
}

// DefaultLocations returns where the usual tools keep models for this user,
// the same on Linux, macOS and Windows under the home folder:
// $OLLAMA_MODELS or ~/.ollama/models (and, on Linux, the Ollama service's
// /usr/share/ollama/.ollama/models); ~/.lmstudio/models and the older
// ~/.cache/lm-studio/models; $HF_HUB_CACHE, $HF_HOME/hub,
// $XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub; ~/Downloads.
func DefaultLocations() (Locations, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Locations{}, err
	}
	var loc Locations
	if d := os.Getenv("OLLAMA_MODELS"); d != "" {
		loc.Ollama = []string{d}
	} else {
		loc.Ollama = []string{filepath.Join(home, ".ollama", "models")}
		if runtime.GOOS == "linux" {
			loc.Ollama = append(loc.Ollama, "/usr/share/ollama/.ollama/models")
		}
	}
	loc.LMStudio = []string{
		filepath.Join(home, ".lmstudio", "models"),
		filepath.Join(home, ".cache", "lm-studio", "models"),
	}
	if loc.HuggingFace = os.Getenv("HF_HUB_CACHE"); loc.HuggingFace == "" {
		hf, err := hub.HomeDir()
		if err != nil {
			return Locations{}, err
		}
		loc.HuggingFace = filepath.Join(hf, "hub")
	}
	loc.Downloads = filepath.Join(home, "Downloads")
	return loc, nil
}

// Discover lists the GGUF models in loc without importing them: files that
// start with GGUF's magic bytes (vision projectors, "mmproj" files, left
// out), each once even when reached through several links, the parts of a
// split model ("NAME-00001-of-00003.gguf") grouped into one Candidate.
// Missing or unreadable folders and broken Ollama manifests are skipped. It
// returns ctx's error if cancelled. Cost: a walk of the folders and the first
// bytes of each GGUF file.
func Discover(ctx context.Context, loc Locations) ([]Candidate, error) {
	d := &discovery{ctx: ctx, seen: map[string]bool{}}
	for _, dir := range loc.Ollama {
		d.ollama(dir)
	}
	for _, dir := range loc.LMStudio {
		d.walk(dir, func(path, rel string) { d.add(SourceLMStudio, path, rel) })
	}
	d.huggingFace(loc.HuggingFace)
	if loc.Downloads != "" {
		entries, _ := os.ReadDir(loc.Downloads) // none if it cannot be read
		for _, e := range entries {
			d.add(SourceDownloads, filepath.Join(loc.Downloads, e.Name()), e.Name())
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return group(d.found), nil
}

// discovery is one Discover's state.
type discovery struct {
	ctx   context.Context
	seen  map[string]bool // resolved paths already found
	found []Candidate     // one per file
}

// add records the file at path as a candidate named after rel (its path
// from the source's folder, slash-separated; ".gguf" is removed) if it is a
// GGUF model not seen yet.
func (d *discovery) add(src Source, path, rel string) {
	base := strings.ToLower(filepath.Base(path))
	if (!strings.HasSuffix(base, ".gguf") && src != SourceOllama) || strings.Contains(base, "mmproj") {
		return
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil || d.seen[real] {
		return
	}
	st, err := os.Stat(real)
	if err != nil || !st.Mode().IsRegular() || !isGGUF(real) {
		return
	}
	d.seen[real] = true
	name := filepath.ToSlash(rel)
	if strings.EqualFold(filepath.Ext(name), ".gguf") {
		name = name[:len(name)-len(".gguf")]
	}
	d.found = append(d.found, Candidate{Name: name, Source: src, Paths: []string{path}, Size: st.Size()})
}

// walk calls fn for every file under root (not following links to
// folders), with its slash-separated path from root, skipping what it cannot
// read.
func (d *discovery) walk(root string, fn func(path, rel string)) {
	if root == "" {
		return
	}
	filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if d.ctx.Err() != nil {
			return d.ctx.Err()
		}
		if err != nil || e.IsDir() {
			return nil // an unreadable folder is skipped
		}
		rel, err := filepath.Rel(root, path)
		if err == nil {
			fn(path, filepath.ToSlash(rel))
		}
		return nil
	})
}

// ollamaDigest is a model layer's digest: the blob file name, ':' → '-'.
var ollamaDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ollama finds the models of the Ollama store in dir: every manifest
// (manifests/HOST/NAMESPACE/NAME/TAG) names its GGUF layer's blob.
func (d *discovery) ollama(dir string) {
	if dir == "" {
		return
	}
	d.walk(filepath.Join(dir, "manifests"), func(path, rel string) {
		parts := strings.Split(rel, "/")
		if len(parts) != 4 {
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return
		}
		var m struct {
			Layers []struct {
				MediaType string `json:"mediaType"`
				Digest    string `json:"digest"`
			} `json:"layers"`
		}
		if json.Unmarshal(data, &m) != nil {
			return
		}
		for _, l := range m.Layers {
			if l.MediaType == "application/vnd.ollama.image.model" && ollamaDigest.MatchString(l.Digest) {
				blob := filepath.Join(dir, "blobs", strings.Replace(l.Digest, ":", "-", 1))
				d.add(SourceOllama, blob, ollamaName(parts))
				return
			}
		}
	})
}

// ollamaName is how Ollama names the model of manifest HOST/NAMESPACE/NAME/TAG.
func ollamaName(p []string) string {
	switch {
	case p[0] == "registry.ollama.ai" && p[1] == "library":
		return p[2] + ":" + p[3]
	case p[0] == "registry.ollama.ai":
		return p[1] + "/" + p[2] + ":" + p[3]
	}
	return p[0] + "/" + p[1] + "/" + p[2] + ":" + p[3]
}

// huggingFace finds the GGUF files of the model repositories in the hub
// cache hub: models--ORG--NAME/snapshots/REVISION/**, links to blobs/.
func (d *discovery) huggingFace(hub string) {
	if hub == "" {
		return
	}
	repos, err := os.ReadDir(hub)
	if err != nil {
		return
	}
	for _, r := range repos {
		org, name, ok := strings.Cut(strings.TrimPrefix(r.Name(), "models--"), "--")
		if !ok || !strings.HasPrefix(r.Name(), "models--") {
			continue
		}
		snapshots := filepath.Join(hub, r.Name(), "snapshots")
		revs, err := os.ReadDir(snapshots)
		if err != nil {
			continue
		}
		for _, rev := range revs {
			d.walk(filepath.Join(snapshots, rev.Name()), func(path, rel string) {
				d.add(SourceHuggingFace, path, org+"/"+name+"/"+rel)
			})
		}
	}
}

// isGGUF tells whether the file at path starts with GGUF's magic bytes.
func isGGUF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && bytes.Equal(magic, []byte("GGUF"))
}

// splitPart matches the part number of a split model's name: llama.cpp's
// gguf-split writes NAME-00001-of-00003.gguf.
var splitPart = regexp.MustCompile(`^(.*)-([0-9]{5})-of-([0-9]{5})$`)

// group merges the parts of split models, found one Candidate per file,
// and sorts the result by source, then name.
func group(found []Candidate) []Candidate {
	type splitKey struct {
		src       Source
		dir, name string
		parts     int
	}
	var out []Candidate
	index := map[splitKey]int{}
	partOf := map[string]int{} // first path → part number, for sorting
	for _, c := range found {
		m := splitPart.FindStringSubmatch(c.Name)
		if m == nil {
			out = append(out, c)
			continue
		}
		part, _ := strconv.Atoi(m[2])
		total, _ := strconv.Atoi(m[3])
		k := splitKey{c.Source, filepath.Dir(c.Paths[0]), m[1], total}
		partOf[c.Paths[0]] = part
		i, ok := index[k]
		if !ok {
			index[k] = len(out)
			out = append(out, Candidate{Name: m[1], Source: c.Source, Parts: total})
			i = len(out) - 1
		}
		out[i].Paths = append(out[i].Paths, c.Paths[0])
		out[i].Size += c.Size
	}
	for _, c := range out {
		slices.SortFunc(c.Paths, func(a, b string) int { return cmp.Compare(partOf[a], partOf[b]) })
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		return cmp.Or(
			cmp.Compare(slices.Index(sourceOrder, a.Source), slices.Index(sourceOrder, b.Source)),
			cmp.Compare(a.Name, b.Name))
	})
	return out
}
