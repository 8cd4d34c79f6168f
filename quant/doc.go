// Package quant says what the bytes of every tensor type mean: the block
// layout of each ggml quantization type, a reference quantizer that produces
// the same bytes as llama.cpp's llama-quantize without an importance matrix,
// the importance-weighted quantizer llama-quantize --imatrix uses instead
// (importance.go), and a dequantizer. It also owns the mixes users pick
// (Q4_K_M, …: which tensor gets which type) and the pipeline that quantizes a
// whole GGUF file.
//
// One file per type: q4_0.go, q4_k.go, … hold the block layout, QuantizeX,
// QuantizeXWeighted where llama.cpp has a weighted search, and DequantizeX.
// The K-quant scale searches shared by several types live in kquant_asym.go
// (scale and min, used by Q2_K/Q4_K/Q5_K and the weighted Q4_1/Q5_1) and
// kquant_sym.go (scale only, used by Q3_K/Q6_K and the weighted Q4_0/Q5_0).
//
// Everything here is deterministic: the same input gives the same bytes on
// every CPU and GOARCH. Products are wrapped in explicit float32 conversions
// where llama.cpp's C compiler does not fuse them, because Go fuses x*y+z into
// a fused multiply-add on arm64 unless told not to.
package quant
