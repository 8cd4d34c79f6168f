// Package synth writes random-weight models in the shapes of real ones
// (TinyLlama-1.1B, Llama-3.2-1B, Qwen2.5-0.5B, or a custom SPEC), so that
// the engine's speed and memory can be measured, and its loaders exercised,
// at real sizes where real weights cannot be downloaded.
//
// It owns the shapes (shape.go), their families' vocabularies, special
// tokens and chat templates (family.go), the procedural vocabularies
// themselves (vocab.go: a small BPE learned on a built-in text, corpus.go,
// then grown to the real size), the tensor list and metadata (model.go) and
// the stream of Gaussian weights (write.go).
//
// A file is what llama.cpp's convert_hf_to_gguf.py followed by
// llama-quantize would write for such a model: the same metadata keys,
// tensor names, shapes and order, and each tensor's type as quant's plan for
// the mix gives it, so llama.cpp loads it too. Weights are deterministic in
// the seed and mean nothing: the model talks gibberish, at full speed.
package synth
