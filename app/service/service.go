package service

import (
	"context"
	"sync"

	"nibble/catalog"
	"nibble/engine/hw"
)

// Service is an open catalog and what the app knows about this computer.
// It is safe for concurrent use by several goroutines.
type Service struct {
	Catalog *catalog.Catalog

	probe   func(context.Context) hw.Report
	live    bool // probe is this computer's: re-read its memory available
	hwOnce  sync.Once
	hwReady hw.Report

	// freeSpace, if not nil, replaces the hub client's FreeSpace: tests
	// imitate a full disk with it.
	freeSpace func(ctx context.Context, dir string) (uint64, error)

	chatMu sync.Mutex
	chat   *chatModel // the model open for chats, or nil (see ChatModel)
}

// New returns a Service over the open catalog c. probe reports the hardware
// (nil: hw.Probe with the catalog's models folder, for the free disk space);
// tests pass their own to play other computers, whose memory available then
// stays what their report says.
func New(c *catalog.Catalog, probe func(context.Context) hw.Report) *Service {
	live := probe == nil
	if live {
		probe = func(ctx context.Context) hw.Report {
			dir, _ := c.ModelsDir()
			return hw.Probe(ctx, hw.Options{ModelsDir: dir})
		}
	}
	return &Service{Catalog: c, probe: probe, live: live}
}

// Hardware returns this computer's report. The first call probes it (which
// may take a second: it asks the GPU tools); later calls reuse that probe
// but read the memory available again, which changes as programs come and
// go.
func (s *Service) Hardware(ctx context.Context) hw.Report {
	first := false
	s.hwOnce.Do(func() { s.hwReady, first = s.probe(ctx), true })
	r := s.hwReady
	if !first && s.live && r.RAM.Total != 0 {
		if m, err := hw.ReadMemory(); err == nil {
			r.RAM.Available = m.Available
		}
	}
	return r
}
