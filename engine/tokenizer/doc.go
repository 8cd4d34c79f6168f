// Package tokenizer turns text into token ids and back, exactly as llama.cpp
// (commit c392e50) does for the same GGUF file.
//
// It owns the vocabulary read from a GGUF file's tokenizer.ggml.* metadata
// and the algorithms over it:
//
//   - SentencePiece-style vocabularies (tokenizer.ggml.model "llama": Llama 2,
//     Mistral, Phi-3, TinyStories models): the dummy-prefix space, spaces
//     escaped as ▁ (U+2581), llama.cpp's bigram merge by score and the
//     <0xXX> byte fallback (spm.go);
//   - byte-level BPE vocabularies (tokenizer.ggml.model "gpt2": GPT-2,
//     Llama 3, Qwen 2/2.5/3, DeepSeek, Falcon, SmolLM): the pre-tokenizer
//     named by tokenizer.ggml.pre (pretokenize.go), GPT-2's byte↔unicode
//     mapping and merges by rank (bpe.go);
//   - special tokens: splitting text on their texts before tokenizing
//     (special.go), BOS/EOS and the set of end-of-generation tokens
//     (load.go);
//   - detokenization, whole or streamed without ever cutting a UTF-8
//     character in two (decode.go).
//
// A Tokenizer is immutable once built and safe for concurrent use.
package tokenizer
