package service

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"nibble/catalog"
	"nibble/catalog/hub"
	"nibble/engine/safetensors"
	"nibble/quant/hfconvert"
)

// tokenizerFiles are the files besides config.json and the weights that a
// conversion reads from a Hugging Face model folder (hftokenizer), and
// generation_config.json, which it does not read yet but which belongs to
// the model as its authors describe it; each is taken when the repo has it.
var tokenizerFiles = []string{"tokenizer.json", "tokenizer.model", "tokenizer_config.json",
	"special_tokens_map.json", "added_tokens.json", "generation_config.json"}

// getting is a Get making its level: what its steps share.
type getting struct {
	s        *Service
	hub      *hub.Client
	m        CuratedModel
	level    string
	models   string // the models folder
	dir      string // where the original weights are downloaded (downloadDir)
	progress func(GetProgress)
}

// convertOriginal downloads the original weights of g.m into g.dir (see
// originalFiles), converts them to float type typ and deletes g.dir.
// Before downloading it checks that the disk has room for the downloads
// still missing, the converted file and then extra bytes. A failed or
// cancelled call keeps g.dir, so that the next one resumes.
func (g *getting) convertOriginal(ctx context.Context, typ string, extra uint64) (*catalog.Import, error) {
	converted, err := fileBytes(g.m, typ)
	if err != nil {
		return nil, err
	}
	files, err := originalFiles(ctx, g.hub, g.m.SafetensorsRepo, g.dir)
	if err != nil {
		return nil, err
	}
	// A bound: the download folder is deleted before the level is made.
	if err := g.checkSpace(ctx, missingBytes(g.dir, files)+converted+extra); err != nil {
		return nil, err
	}
	if err := downloadAll(ctx, g.hub, g.m.SafetensorsRepo, g.dir, files, g.progress); err != nil {
		return nil, err
	}
	im, err := g.s.convert(ctx, g.dir, g.m.Name, typ, func(p hfconvert.Progress) {
		g.progress(GetProgress{Phase: Converting, Convert: p})
	})
	if err != nil {
		return nil, err
	}
	removeDownload(g.dir) // as large as the model, and converted now
	return im, nil
}

// checkSpace returns an error wrapping hub.ErrNoSpace, saying how much is
// needed and free, when the models folder's disk has less than need bytes
// free.
func (g *getting) checkSpace(ctx context.Context, need uint64) error {
	free, err := g.hub.FreeSpace(ctx, g.models)
	if err != nil {
		return err
	}
	if need > free {
		return fmt.Errorf("%w: getting %s at %s needs %s and %s has %s free", hub.ErrNoSpace, g.m.Name, g.level,
			humanize.IBytes(need), g.models, humanize.IBytes(free))
	}
	return nil
}

// downloadDir is where the files of Hugging Face repo "owner/name" are
// downloaded to be converted: models/.download/owner/name. It is stable,
// so that a later Get resumes, a folder, which catalog.Reconcile leaves
// alone, and named after the repo like a clone of it, from which the
// conversion takes the model's general.name when config.json does not say.
func downloadDir(models, repo string) (string, error) {
	rel := filepath.FromSlash(repo)
	if strings.Count(repo, "/") != 1 || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%q is not a Hugging Face repo (owner/name)", repo)
	}
	return filepath.Join(models, ".download", rel), nil
}

// removeDownload deletes download folder dir, and its parents if that
// leaves them empty. It is best effort: what remains only takes room.
func removeDownload(dir string) {
	os.RemoveAll(dir)
	os.Remove(filepath.Dir(dir))
	os.Remove(filepath.Dir(filepath.Dir(dir)))
}

// originalFiles chooses the files of Hugging Face repo that a conversion
// needs — config.json, the tokenizer's files and the safetensors weights:
// model.safetensors, or the index and the shards it names — and asks the
// hub for their sizes. Nothing else is taken (the weights in other
// formats, a README, images), nor anything in a subfolder (Llama's
// original/ holds a tokenizer.model of another kind). The index is
// downloaded into dir to learn the shards. A repo lacking any of them
// gives an error saying so.
func originalFiles(ctx context.Context, c *hub.Client, repo, dir string) ([]hub.File, error) {
	names, err := c.Files(ctx, repo)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, n := range names {
		listed[n] = true
	}
	switch {
	case !listed["config.json"]:
		return nil, fmt.Errorf("%s has no config.json: it is not a model Nibble can convert", repo)
	case !listed["tokenizer.json"] && !listed["tokenizer.model"]:
		return nil, fmt.Errorf("%s has neither tokenizer.json nor tokenizer.model: Nibble cannot convert its tokenizer", repo)
	}
	want := []string{"config.json"}
	for _, n := range tokenizerFiles {
		if listed[n] {
			want = append(want, n)
		}
	}
	switch {
	case listed[safetensors.IndexFile]:
		if _, err := c.Download(ctx, repo, safetensors.IndexFile, dir, nil); err != nil {
			return nil, err
		}
		index, err := safetensors.ReadIndex(dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", repo, err)
		}
		want = append(want, safetensors.IndexFile)
		for _, shard := range slices.Compact(slices.Sorted(maps.Values(index))) {
			if !listed[shard] {
				return nil, fmt.Errorf("%s: %s names %s, which the repo does not have", repo, safetensors.IndexFile, shard)
			}
			want = append(want, shard)
		}
	case listed["model.safetensors"]:
		want = append(want, "model.safetensors")
	default:
		return nil, fmt.Errorf("%s has no model.safetensors nor %s: Nibble converts safetensors weights only", repo, safetensors.IndexFile)
	}
	files := make([]hub.File, len(want))
	for i, n := range want {
		if files[i], err = c.Resolve(ctx, repo, n); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// onDisk is how many bytes of f are in download folder dir already: the
// whole file, or what an interrupted download left (hub.Partial).
func onDisk(dir string, f hub.File) int64 {
	if downloaded(dir, f) {
		return f.Size
	}
	n, _ := hub.Partial(dir, f.Name) // unreadable: fetched again
	return min(n, f.Size)
}

// downloaded tells whether f is in download folder dir complete: under its
// own name, which hub.Client.Download gives a file only once it is complete
// and verified. Checking its size, not its checksum again, spares a resumed
// Get reading gigabytes of shards before it goes on.
func downloaded(dir string, f hub.File) bool {
	info, err := os.Stat(filepath.Join(dir, path.Base(f.Name)))
	return err == nil && info.Size() == f.Size
}

// missingBytes is how many bytes of files are still to download into dir.
func missingBytes(dir string, files []hub.File) uint64 {
	var n int64
	for _, f := range files {
		n += f.Size - onDisk(dir, f)
	}
	return uint64(n)
}

// downloadAll downloads files of repo into dir one after the other
// (hub.Client.Download: each resumes), reporting them as one download: the
// bytes of all files together, with the speed and time left over what
// this call fetched.
func downloadAll(ctx context.Context, c *hub.Client, repo, dir string, files []hub.File, progress func(GetProgress)) error {
	var total, done int64
	have := make([]int64, len(files)) // bytes of each file on disk
	for i, f := range files {
		have[i] = onDisk(dir, f)
		total += f.Size
		done += have[i]
	}
	had, start := done, time.Now()
	report := func(i int, n int64) {
		done += n - have[i]
		have[i] = n
		p := hub.NewProgress(done, total, done-had, start) // over what this call fetched
		progress(GetProgress{Phase: Downloading, File: files[i].Name, Download: p})
	}
	report(0, have[0])
	for i, f := range files {
		if downloaded(dir, f) {
			continue
		}
		if _, err := c.Download(ctx, repo, f.Name, dir, func(p hub.Progress) { report(i, p.Done) }); err != nil {
			return err
		}
		report(i, f.Size)
	}
	return nil
}
