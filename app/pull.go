package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/catalog/hub"
)

const pullUsage = `Usage: nibble pull REPO[:FILE | :LEVEL]

Downloads a GGUF model file from the Hugging Face hub into Nibble's models
folder and adds it to the catalog, like 'ollama pull'.

  nibble pull Qwen/Qwen2.5-0.5B-Instruct-GGUF:qwen2.5-0.5b-instruct-q4_k_m.gguf
  nibble pull Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M

With a LEVEL, the repo's .gguf file whose name has that level is taken; with
nothing after the repo, its only .gguf file, or else its Q4_K_M one.

The download is checked against the SHA-256 the hub publishes before it is
put in place. An interrupted download (Ctrl-C, a lost connection) resumes
where it stopped when the same command is run again.

Gated repos (whose makers ask you to accept their terms on huggingface.co
first) and private ones need an access token: the one saved in Nibble's
Settings, else the one 'huggingface-cli login' saved. HF_TOKEN, when set,
comes before both.

Environment: HF_ENDPOINT, the hub's address (default https://huggingface.co);
HF_TOKEN, an access token; HF_TOKEN_PATH or HF_HOME, where huggingface-cli
keeps its token; HTTPS_PROXY.
`

func runPullCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pull", stderr, func(w io.Writer) { fmt.Fprint(w, pullUsage) })
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	return runPull(ctx, pos[0], stdout, stderr)
}

func runPull(ctx context.Context, ref string, stdout, stderr io.Writer) error {
	repo, want, _ := strings.Cut(ref, ":")
	if strings.Count(repo, "/") != 1 {
		return fmt.Errorf("nibble pull: %q is not a Hugging Face repo (OWNER/NAME)", repo)
	}
	dir, token, err := pullSettings(stderr)
	if err != nil {
		return err
	}
	client := hub.New(token)
	file := want
	if !strings.HasSuffix(strings.ToLower(want), ".gguf") {
		names, err := client.Files(ctx, repo)
		if err != nil {
			return err
		}
		if file, err = hub.PickGGUF(names, want); err != nil {
			if slices.Contains(names, "config.json") {
				err = fmt.Errorf("%w; it holds original weights: download the repo's files into a folder and run 'nibble convert FOLDER OUT.gguf --type LEVEL'", err)
			}
			return fmt.Errorf("nibble pull: %s: %w", repo, err)
		}
	}

	fmt.Fprintf(stderr, "pulling %s from %s\n", file, repo)
	bar := newProgressBar(stderr)
	path, err := client.Download(ctx, repo, file, dir, func(p hub.Progress) {
		bar.update(p.Done, p.Total, "downloading "+humanize.IBytes(uint64(p.Speed))+"/s")
	})
	bar.done()
	if err != nil {
		return err
	}
	// Move adopts the file where it is, in the models folder.
	err = runImport(ctx, importOptions{path: path, mode: catalog.Move}, stdout, stderr)
	if errors.Is(err, catalog.ErrExists) { // pulled before: nothing to do
		fmt.Fprintf(stdout, "%s is already in the catalog\n", path)
		return nil
	}
	return err
}

// pullSettings returns the catalog's models folder and the access token for
// the hub (service.HubToken, as the window takes it). The catalog is not
// kept open during the download: the window may open it meanwhile, and its
// Reconcile leaves the partial file alone.
func pullSettings(stderr io.Writer) (dir, token string, err error) {
	c, err := openCatalog(stderr)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	token, _ = service.New(c, nil).HubToken()
	dir, err = c.ModelsDir()
	return dir, token, err
}
