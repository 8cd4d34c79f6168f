// Package advise tells a user which quantization level of a model to run on
// their computer. For one model file (Read) and every level of quant.Mixes it
// predicts the file size, the memory needed at a context length, the
// generation speed and the quality, gives each level a verdict in plain
// words, and recommends one (Advise).
//
// # File size
//
// Exact: quant's plan gives each tensor the type llama-quantize would, and
// gguf.Type.RowBytes its size; the header is the model's own (see Read).
//
// # Memory
//
// What the nibble process holds at its peak, with the context full:
//
//	memory = file + state + ProcessBytes + TokenizerPerHeaderByte · header
//
// The terms are:
//
//   - file: the model file. Nibble maps it and the system reads pages in as
//     they are used; every token reads all weights but the embeddings, and
//     the embedding rows of the tokens seen. Counting the whole file
//     overestimates a short chat with a model whose output matrix is not its
//     embedding table by at most that table (TinyLlama: 6 % of the file).
//   - state: model.EstimateMemory, the KV cache and run buffers of one
//     conversation — exactly what the engine allocates.
//   - ProcessBytes (26 MiB): the process itself, runtime and code.
//   - TokenizerPerHeaderByte (9): the tokenizer's tables, which grow with
//     the vocabulary in the file's header (0.4 MiB for a 2,048-token
//     vocabulary, 5.5 MiB for TinyLlama's 32,000 tokens, 34 MiB for 128,256
//     byte-level BPE tokens and their merges).
//
// The two constants were fitted to the peak resident memory (hw.PeakRSS) of
// the nibble program running `nibble run` on linux/amd64 with a prompt that
// fills the context (see TestAdviseMemoryMatchesPeakRSS in app/): the shared
// 5.8 M-parameter model in five types at 64 and 256 positions, and small
// synthetic models with the SentencePiece and byte-level BPE vocabularies of
// TinyLlama, Llama 3 and Qwen2 (32,000 to 151,936 tokens) at 128 and 1,024
// positions. Predictions are within 5 % of every measurement. The process
// term will differ somewhat on macOS and Windows, whose programs load other
// system libraries; it matters only for models of a few hundred megabytes.
//
// # Speed
//
// Generating a token reads every weight once, so it is bound by memory
// bandwidth: tokens/s ≈ bandwidth ÷ bytes read per token (Size.TokenBytes).
// The bandwidth is given, or a default per platform (DefaultBandwidth); a
// speed Nibble's benchmark measured on one level replaces it by the
// bandwidth that speed implies, which also accounts for the engine's own
// efficiency. Speeds are for the start of a conversation; reading the KV
// cache slows generation as the context fills.
//
// # Quality
//
// The mean KL divergence of each level's next-token distribution from the
// 16-bit model's, as llama.cpp measured it on Llama-3-8B, until a
// measurement on this model replaces it (Options.KLD); the same-top-token
// rate and the words follow from it (SameTopToken, QualityOf).
package advise
