package state

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"nibble/app/service"
	"nibble/catalog/hub"
	"nibble/quant/advise"
	"nibble/quant/hfconvert"
)

// TestGetModelList checks the list on an 8 GB computer with 60 % free: best first, each
// offer's recommended level chosen with its size and badge, and the
// download not offered until a downloader is set.
func TestGetModelList(t *testing.T) {
	g := NewGetModel(newService(t, computerWith(8<<30, 8<<30*6/10)))
	if err := g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	offers := g.Offers()
	if len(offers) < 9 {
		t.Fatalf("%d offers, want the 9 curated models", len(offers))
	}
	if offers[0].Name != "Mistral 7B Instruct v0.3" || offers[0].Badge != advise.RunsWell {
		t.Errorf("first offer %s (%s), want Mistral 7B, which runs well at %s", offers[0].Name, offers[0].Badge, offers[0].Level)
	}
	last := offers[len(offers)-1]
	if last.Name != "Qwen2.5 7B Instruct" || last.Badge != advise.Tight {
		t.Errorf("last offer %s (%s), want Qwen2.5 7B, which only just fits", last.Name, last.Badge)
	}
	for i, o := range offers {
		if o.Level == "" || !strings.Contains(o.Size, "to download") || o.Description == "" || !strings.Contains(o.Details, "parameters") {
			t.Errorf("offer %d %+v: level, size, description or details missing", i, o)
		}
		if !slices.Contains(g.Levels(i), o.Level) {
			t.Errorf("offer %s: chosen level %s is not among its levels %v", o.Name, o.Level, g.Levels(i))
		}
	}
}

// TestGetModelDownload checks that Get passes the chosen level to the
// downloader and reports its error.
func TestGetModelDownload(t *testing.T) {
	g := NewGetModel(newService(t, laptop))
	var got []string
	fail := errors.New("network down")
	g.Download = func(ctx context.Context, m service.CuratedModel, level string, progress func(service.GetProgress)) error {
		got = append(got, m.ID+":"+level)
		return fail
	}
	if err := g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(g.Offers(), func(o Offer) bool { return o.Name == "TinyLlama 1.1B Chat" })
	if err := g.Choose(i, "Q4_0"); err != nil {
		t.Fatal(err)
	}
	if err := g.Choose(i, "IQ1_S"); err == nil {
		t.Error("Choose accepted a level Nibble does not have")
	}
	if err := g.Get(context.Background(), i); !errors.Is(err, fail) {
		t.Errorf("Get: %v; want the downloader's error", err)
	}
	if want := []string{"tinyllama-1.1b-chat:Q4_0"}; !slices.Equal(got, want) {
		t.Errorf("downloader called with %v, want %v", got, want)
	}
	if i, _ := g.Downloading(); i != -1 {
		t.Errorf("Downloading = %d after the download ended", i)
	}
}

// TestGetModelProgressAndCancel follows a download's progress through its
// phases in words, then cancels it.
func TestGetModelProgressAndCancel(t *testing.T) {
	g := NewGetModel(newService(t, laptop))
	steps, applied := make(chan service.GetProgress), make(chan bool)
	g.Download = func(ctx context.Context, m service.CuratedModel, level string, progress func(service.GetProgress)) error {
		for p := range steps {
			progress(p)
			applied <- true
		}
		<-ctx.Done()
		return ctx.Err()
	}
	if err := g.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- g.Get(context.Background(), 0) }()
	for _, tc := range []struct {
		p    service.GetProgress
		text string
		frac float64
	}{
		{service.GetProgress{}, "Connecting…", 0},
		{service.GetProgress{Download: hub.Progress{Done: 300 << 20, Total: 1200 << 20, Speed: 5 << 20, Left: 3 * time.Minute}},
			"Downloading · 300 MB of 1.2 GB · 5.0 MB/s · about 3 minutes left", 0.25},
		{service.GetProgress{Phase: service.Converting, Convert: hfconvert.Progress{Tensor: 2, Tensors: 10, BytesDone: 50, BytesTotal: 100}},
			"Converting the original for Nibble… part 3 of 10 · 50 B of 100 B", 0.5},
		{service.GetProgress{Phase: service.Making, Make: service.VariantProgress{Studying: true, Chunk: 1, Chunks: 4}},
			"Studying the model on a sample text", 0.25},
	} {
		steps <- tc.p
		<-applied
		i, p := g.Downloading()
		if i != 0 || !strings.HasPrefix(p.Text(), tc.text) || p.Fraction() != tc.frac {
			t.Errorf("offer %d: %q (%.2f), want offer 0: %q… (%.2f)", i, p.Text(), p.Fraction(), tc.text, tc.frac)
		}
	}
	close(steps)
	g.Cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Get after Cancel: %v, want context.Canceled", err)
	}
	if i, _ := g.Downloading(); i != -1 {
		t.Errorf("Downloading = %d after Cancel", i)
	}
}
