package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// homeTree makes a home folder holding models the way Ollama, LM Studio,
// the Hugging Face cache and a browser leave them, and points the
// environment at it.
func homeTree(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	for _, v := range []string{"OLLAMA_MODELS", "HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"} {
		t.Setenv(v, "")
	}
	at := func(parts ...string) string { return filepath.Join(append([]string{home}, parts...)...) }
	model := func(path string, seed uint64) string {
		m := tinyLlama
		m.seed = seed
		return writeModel(t, path, m)
	}
	write := func(path, content string) {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Ollama: manifests name their model layer's blob.
	ollama := at(".ollama", "models")
	manifest := func(rel, layers string) {
		write(filepath.Join(ollama, "manifests", filepath.FromSlash(rel)),
			`{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:00"},"layers":[`+layers+`]}`)
	}
	layer := func(mediaType, sum string) string {
		return fmt.Sprintf(`{"mediaType":%q,"digest":"sha256:%s","size":1}`, mediaType, sum)
	}
	tmp := filepath.Join(ollama, "blobs", "tmp")
	for i, rel := range []string{"registry.ollama.ai/library/llama3.2/1b", "registry.ollama.ai/someone/coder/latest"} {
		sum := model(tmp, uint64(10+i))
		os.Rename(tmp, filepath.Join(ollama, "blobs", "sha256-"+sum))
		manifest(rel, layer("application/vnd.ollama.image.template", strings.Repeat("a", 64))+","+
			layer("application/vnd.ollama.image.model", sum))
	}
	manifest("registry.ollama.ai/library/gone/latest", layer("application/vnd.ollama.image.model", strings.Repeat("b", 64)))
	manifest("registry.ollama.ai/library/sneaky/latest", layer("application/vnd.ollama.image.model", "../../../etc/passwd"))
	write(filepath.Join(ollama, "manifests", "registry.ollama.ai", "library", "broken", "latest"), "{not json")

	// LM Studio, today's folder and the older one.
	model(at(".lmstudio", "models", "bartowski", "Llama-GGUF", "Llama-Q4_K_M.gguf"), 20)
	model(at(".lmstudio", "models", "bartowski", "Llama-GGUF", "mmproj-Llama-f16.gguf"), 21)
	model(at(".lmstudio", "models", "pub", "big", "big-00002-of-00002.gguf"), 22)
	model(at(".lmstudio", "models", "pub", "big", "big-00001-of-00002.gguf"), 23)
	model(at(".lmstudio", "models", "pub", "half", "half-00001-of-00002.gguf"), 24)
	model(at(".cache", "lm-studio", "models", "TheBloke", "X-GGUF", "x.Q4_0.gguf"), 25)

	// The Hugging Face cache: snapshots link to blobs, two revisions to
	// the same one.
	repo := at(".cache", "huggingface", "hub", "models--Qwen--Qwen2-0.5B-GGUF")
	sum := model(filepath.Join(repo, "blobs", "tmp"), 30)
	os.Rename(filepath.Join(repo, "blobs", "tmp"), filepath.Join(repo, "blobs", sum))
	for _, rev := range []string{"rev1", "rev2"} {
		os.MkdirAll(filepath.Join(repo, "snapshots", rev), 0o755)
		if err := os.Symlink(filepath.Join("..", "..", "blobs", sum), filepath.Join(repo, "snapshots", rev, "qwen2-0_5b-q8_0.gguf")); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	write(filepath.Join(repo, "refs", "main"), "rev2")
	write(at(".cache", "huggingface", "hub", "datasets--a--b", "snapshots", "r", "x.gguf"), "GGUF")

	// Downloads: only its own *.gguf that are GGUF files; a link to a model
	// found elsewhere counts once.
	model(at("Downloads", "phi.gguf"), 40)
	write(at("Downloads", "notes.gguf"), "not a model")
	model(at("Downloads", "sub", "deep.gguf"), 41)
	os.Symlink(at(".lmstudio", "models", "bartowski", "Llama-GGUF", "Llama-Q4_K_M.gguf"), at("Downloads", "llama.gguf"))
	return home
}

func TestDiscover(t *testing.T) {
	home := homeTree(t)
	loc, err := DefaultLocations()
	if err != nil {
		t.Fatal(err)
	}
	if loc.Ollama[0] != filepath.Join(home, ".ollama", "models") ||
		loc.HuggingFace != filepath.Join(home, ".cache", "huggingface", "hub") ||
		loc.Downloads != filepath.Join(home, "Downloads") ||
		!slices.Equal(loc.LMStudio, []string{filepath.Join(home, ".lmstudio", "models"), filepath.Join(home, ".cache", "lm-studio", "models")}) {
		t.Errorf("locations %+v", loc)
	}
	found, err := Discover(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range found {
		if !strings.HasPrefix(c.Paths[0], home) {
			continue // a real Ollama service's store on this machine
		}
		var size int64
		var rels []string
		for _, p := range c.Paths {
			size += fileSize(t, p)
			rel, _ := filepath.Rel(home, p)
			rels = append(rels, filepath.ToSlash(rel))
		}
		if size != c.Size {
			t.Errorf("%s: size %d, want %d", c.Name, c.Size, size)
		}
		got = append(got, fmt.Sprintf("%s|%s|%d|%s", c.Source, c.Name, c.Parts, strings.Join(rels, ",")))
	}
	blob := func(i int) string {
		m := tinyLlama
		m.seed = uint64(10 + i)
		return ".ollama/models/blobs/sha256-" + writeModel(t, filepath.Join(t.TempDir(), "m.gguf"), m)
	}
	want := []string{
		"Ollama|llama3.2:1b|0|" + blob(0),
		"Ollama|someone/coder:latest|0|" + blob(1),
		"LM Studio|TheBloke/X-GGUF/x.Q4_0|0|.cache/lm-studio/models/TheBloke/X-GGUF/x.Q4_0.gguf",
		"LM Studio|bartowski/Llama-GGUF/Llama-Q4_K_M|0|.lmstudio/models/bartowski/Llama-GGUF/Llama-Q4_K_M.gguf",
		"LM Studio|pub/big/big|2|.lmstudio/models/pub/big/big-00001-of-00002.gguf,.lmstudio/models/pub/big/big-00002-of-00002.gguf",
		"LM Studio|pub/half/half|2|.lmstudio/models/pub/half/half-00001-of-00002.gguf",
		"Hugging Face|Qwen/Qwen2-0.5B-GGUF/qwen2-0_5b-q8_0|0|.cache/huggingface/hub/models--Qwen--Qwen2-0.5B-GGUF/snapshots/rev1/qwen2-0_5b-q8_0.gguf",
		"Downloads|phi|0|Downloads/phi.gguf",
	}
	if !slices.Equal(got, want) {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Discover(ctx, loc); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Discover: %v", err)
	}
}

func TestDefaultLocationsFromEnvironment(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	for _, tc := range []struct {
		env           map[string]string
		ollama, hfHub string
	}{
		{map[string]string{}, filepath.Join(home, ".ollama", "models"), filepath.Join(home, ".cache", "huggingface", "hub")},
		{map[string]string{"OLLAMA_MODELS": "/big/ollama", "XDG_CACHE_HOME": "/c"}, "/big/ollama", filepath.Join("/c", "huggingface", "hub")},
		{map[string]string{"HF_HOME": "/hf", "XDG_CACHE_HOME": "/c"}, filepath.Join(home, ".ollama", "models"), filepath.Join("/hf", "hub")},
		{map[string]string{"HF_HUB_CACHE": "/hub", "HF_HOME": "/hf"}, filepath.Join(home, ".ollama", "models"), "/hub"},
	} {
		for _, v := range []string{"OLLAMA_MODELS", "HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"} {
			t.Setenv(v, tc.env[v])
		}
		loc, err := DefaultLocations()
		if err != nil {
			t.Fatal(err)
		}
		if loc.Ollama[0] != tc.ollama || loc.HuggingFace != tc.hfHub {
			t.Errorf("%v: Ollama %v, Hugging Face %q; want %q, %q", tc.env, loc.Ollama, loc.HuggingFace, tc.ollama, tc.hfHub)
		}
		if _, ok := tc.env["OLLAMA_MODELS"]; !ok && runtime.GOOS == "linux" && len(loc.Ollama) != 2 {
			t.Errorf("no Ollama service store on Linux: %v", loc.Ollama)
		}
	}
}
