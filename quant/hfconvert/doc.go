// Package hfconvert turns a Hugging Face model folder (config.json,
// safetensors weights, tokenizer files) into a GGUF model, the way
// llama.cpp's convert_hf_to_gguf.py (c392e50) does, optionally quantized to
// any of quant's mixes in the same step.
//
// It lives under quant/ because it is a conversion pipeline that ends in
// quant's formats and QuantizeFile, like quant's own; reading safetensors is
// engine/safetensors' job (a file layout, like engine/gguf), and the
// tokenizer metadata is quant/hftokenizer's.
//
// What is reproduced, for LlamaForCausalLM (and MistralForCausalLM, which the
// script converts as llama), Qwen2ForCausalLM and Qwen3ForCausalLM:
//   - config.json → general.* (name, basename, finetune, version, size label
//     from the folder name or _name_or_path, metadata.py's heuristics) and the
//     {arch}.* hyperparameters, same keys, types, values and order;
//   - tensor names (tensor_mapping.py), llama's Q/K row permutation
//     (LlamaModel.permute), Llama 3 rope_freqs.weight (generate_extra_tensors,
//     written first), tied embeddings (no output.weight when the checkpoint
//     has no lm_head), and the order: the safetensors files in name order,
//     each file's tensors sorted by name;
//   - tensor types for --outtype f32/f16/bf16: 1-D tensors, norms and
//     anything not named *.weight stay F32, the rest get the chosen type,
//     converted with round-to-nearest-even like numpy and gguf-py.
//
// Not reproduced (yet): a model card's (README.md front matter) license,
// tags, languages, base models and datasets; Qwen3, which c392e50 predates,
// is converted with c392e50's base rules and master's architecture name
// (master's Qwen3Model adds no keys of its own for a plain checkpoint).
//
// Converting to a quantization mix writes the lossless float conversion to a
// temporary file beside the output and runs quant.QuantizeFile on it, so the
// result is by construction what `nibble quantize` makes of the converted
// model.
package hfconvert
