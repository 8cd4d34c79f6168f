package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/session"
	"nibble/ui"
)

const screenshotsUsage = `Usage: nibble screenshots DIR [--sizes 1280x800,1024x640]

A developer command: opens the window over the catalog, shows every screen
at each size and saves what it draws as PNG files in DIR (welcome, library,
make it fit, chat, settings; SCREEN-WIDTHxHEIGHT.png), taken from the
screen with ImageMagick's import. When the catalog has
no chat yet it first makes one: two questions to the catalog's smallest
file and its real answers. The catalog must hold a model.

'make screenshots' runs it under Xvfb over a prepared catalog in a
temporary $NIBBLE_HOME and writes docs/screenshots.
`

// screenshotsQuestions are what the prepared chat asks.
var screenshotsQuestions = []string{"Tell me a story about a little cat.", "What happened next?"}

type screenshotsOptions struct {
	dir   string
	sizes []fyne.Size
}

func runScreenshotsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := screenshotsOptions{sizes: []fyne.Size{{Width: 1280, Height: 800}, {Width: 1024, Height: 640}}}
	fs := newFlagSet("screenshots", stderr, func(w io.Writer) { fmt.Fprint(w, screenshotsUsage) })
	fs.Func("sizes", "window sizes, WIDTHxHEIGHT separated by commas (default 1280x800,1024x640)", func(s string) error {
		o.sizes = nil
		for _, f := range strings.Split(s, ",") {
			w, h, ok := strings.Cut(strings.TrimSpace(f), "x")
			wi, err1 := strconv.Atoi(w)
			hi, err2 := strconv.Atoi(h)
			if !ok || err1 != nil || err2 != nil || wi <= 0 || hi <= 0 {
				return fmt.Errorf("%q is not WIDTHxHEIGHT", f)
			}
			o.sizes = append(o.sizes, fyne.NewSize(float32(wi), float32(hi)))
		}
		return nil
	})
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	o.dir = pos[0]
	return runScreenshots(ctx, o, stdout, stderr)
}

func runScreenshots(ctx context.Context, o screenshotsOptions, stdout, stderr io.Writer) error {
	c, err := openCatalog(stderr)
	if err != nil {
		return err
	}
	defer c.Close()
	chats, err := c.Chats()
	if err != nil {
		return err
	}
	if len(chats) == 0 {
		if err := prepareChat(ctx, c, stderr); err != nil {
			return fmt.Errorf("preparing a chat: %w", err)
		}
	}
	grab := func(title string) ([]byte, error) {
		out, err := exec.Command("import", "-window", title, "png:-").Output()
		if err != nil {
			return nil, fmt.Errorf("taking a picture with ImageMagick's import (apt: imagemagick): %w", err)
		}
		return out, nil
	}
	if err := ui.Screenshots(service.New(c, nil), o.dir, o.sizes, grab); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved the screens in %s\n", o.dir)
	return nil
}

// prepareChat adds a chat with the catalog's smallest file:
// screenshotsQuestions and the model's answers, as the chat screen saves
// them.
func prepareChat(ctx context.Context, c *catalog.Catalog, stderr io.Writer) error {
	entries, err := c.List()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("the catalog has no models")
	}
	var e catalog.Entry
	var v catalog.Variant
	for _, x := range entries {
		for _, y := range x.Variants {
			if v.Path == "" || y.Size < v.Size {
				e, v = x, y
			}
		}
	}
	m, err := session.Open(v.Path, session.Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	settings := service.DefaultGeneration()
	settings.Seed = 7 // the same answers every time
	ch, err := c.NewChat(catalog.Chat{ModelID: e.Model.ID, VariantID: v.ID, Title: screenshotsQuestions[0], Settings: settings})
	if err != nil {
		return err
	}
	params := service.GenerationParams(settings)
	params.MaxTokens = 60
	conv := m.NewConversation("")
	for _, q := range screenshotsQuestions {
		fmt.Fprintf(stderr, "asking %s: %s\n", e.Model.Ref(v), q)
		if _, err := c.AddMessage(ch.ID, catalog.Message{Role: "user", Content: q}); err != nil {
			return err
		}
		answer, _, err := conv.Send(ctx, q, params, func(string) {})
		if err != nil {
			return err
		}
		if _, err := c.AddMessage(ch.ID, catalog.Message{Role: "assistant", Content: strings.TrimSpace(answer)}); err != nil {
			return err
		}
	}
	return nil
}
