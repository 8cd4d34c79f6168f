// Package engine is Nibble's inference engine, in pure Go. Its packages,
// from the file up:
//
//   - mmap: read-only file mappings for the readers below;
//   - gguf: reads (zero-copy, memory-mapped) and writes model files;
//   - safetensors: reads Hugging Face weight files and sharded folders;
//   - tokenizer: text ↔ token ids, SentencePiece and byte-level BPE;
//   - chat: renders a conversation with the model's Jinja chat template;
//   - kernels: the dot products of every weight type with its activations;
//   - model: the forward pass of each architecture family, and its KV cache;
//   - sample: picks the next token from the logits;
//   - session: opens a model and generates, streaming, across chat turns;
//   - hw: what this computer has (memory);
//   - refdata: locates the llama.cpp reference data tests compare against.
//
// Nothing here imports the catalog or the UI.
package engine
