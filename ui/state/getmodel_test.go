package state

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"nibble/app/service"
	"nibble/quant/advise"
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
	g.Download = func(ctx context.Context, m service.CuratedModel, level string) error {
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
		t.Error("Choose accepted a level with no file")
	}
	if err := g.Get(context.Background(), i); !errors.Is(err, fail) || !errors.Is(g.GetErr(), fail) {
		t.Errorf("Get: %v, GetErr %v; want the downloader's error", err, g.GetErr())
	}
	if want := []string{"tinyllama-1.1b-chat:Q4_0"}; !slices.Equal(got, want) {
		t.Errorf("downloader called with %v, want %v", got, want)
	}
	if g.Downloading() != -1 {
		t.Errorf("Downloading = %d after the download ended", g.Downloading())
	}
}
