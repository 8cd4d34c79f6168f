// Package gguf reads and writes GGUF files, the model format of llama.cpp,
// Ollama and LM Studio (spec: github.com/ggml-org/ggml docs/gguf.md).
//
// It owns the file layout only: the header, metadata key/value pairs, tensor
// infos and where each tensor's bytes are. It does not interpret tensor
// contents; the quant package says what the bytes of each Type mean.
package gguf
