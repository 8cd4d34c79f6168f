package imatrix

import "nibble/quant"

// Importance returns m as the quantizer takes it (quant.Options.Importance),
// recording file as the matrix's name in the output's metadata, as
// llama-quantize does; the dataset recorded is m's first (llama-quantize
// records one, and the legacy format holds one).
func (m *Matrix) Importance(file string) *quant.Importance {
	im := &quant.Importance{Weights: m.Weights, File: file, Entries: len(m.Entries), Chunks: m.Chunks}
	if len(m.Datasets) > 0 {
		im.Dataset = m.Datasets[0]
	}
	return im
}
