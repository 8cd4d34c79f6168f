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
	hwOnce  sync.Once
	hwReady hw.Report

	chatMu sync.Mutex
	chat   *chatModel // the model open for chats, or nil (see ChatModel)
}

// New returns a Service over the open catalog c. probe reports the hardware
// (nil: hw.Probe with the catalog's models folder, for the free disk space);
// tests pass their own to play other computers.
func New(c *catalog.Catalog, probe func(context.Context) hw.Report) *Service {
	if probe == nil {
		probe = func(ctx context.Context) hw.Report {
			dir, _ := c.ModelsDir()
			return hw.Probe(ctx, hw.Options{ModelsDir: dir})
		}
	}
	return &Service{Catalog: c, probe: probe}
}

// Hardware returns this computer's report. The first call probes it (which
// may take a second: it asks the GPU tools); later calls reuse that probe
// but read the memory available again, which changes as programs come and
// go.
func (s *Service) Hardware(ctx context.Context) hw.Report {
	first := false
	s.hwOnce.Do(func() { s.hwReady, first = s.probe(ctx), true })
	r := s.hwReady
	if !first && r.RAM.Total != 0 {
		if m, err := hw.ReadMemory(); err == nil {
			r.RAM.Available = m.Available
		}
	}
	return r
}
