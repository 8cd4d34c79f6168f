// Package safetensors reads Hugging Face safetensors files, the format most
// models are published in, and the folders that hold them (one
// model.safetensors, or shards listed by model.safetensors.index.json).
//
// It owns the file layout only, like engine/gguf does for GGUF: the header
// and where each tensor's bytes are. Turning those tensors into a GGUF model
// is quant/hfconvert's job.
//
// A file is an 8-byte little-endian header length N, N bytes of JSON
// ({name: {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}}), then the data; offsets are relative to
// the end of the header. Open maps the file read-only and checks the whole
// header before returning (length bounded by MaxHeaderBytes and the file,
// strict JSON without duplicate or unknown keys, a supported dtype, shape
// matching the byte range, ranges inside the data and not overlapping), so a
// File that opened never points outside the file. Bad input gives an error
// wrapping ErrCorrupt or ErrDType, never a panic.
package safetensors
