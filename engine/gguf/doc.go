// Package gguf reads and writes GGUF files, the model format of llama.cpp,
// Ollama and LM Studio (spec: github.com/ggml-org/ggml docs/gguf.md).
//
// It owns the file layout only: the header, metadata key/value pairs, tensor
// infos and where each tensor's bytes are. It does not interpret tensor
// contents; the quant package says what the bytes of each Type mean.
//
// Open maps a file read-only (versions 2 and 3, little-endian) and validates
// its whole layout up front, so a File that opened never points outside the
// file; damaged or hostile input gives an error wrapping ErrNotGGUF,
// ErrVersion, ErrTruncated, ErrUnknownType or ErrCorrupt, never a panic.
// Create returns a Writer that streams a v3 file tensor by tensor and puts it
// in place atomically on Commit.
package gguf
