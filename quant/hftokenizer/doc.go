// Package hftokenizer turns the tokenizer files of a Hugging Face model folder
// into the GGUF tokenizer metadata (tokenizer.ggml.*, tokenizer.chat_template)
// exactly as llama.cpp's convert_hf_to_gguf.py and gguf-py (commit c392e50)
// write it, so that a model converted by Nibble tokenizes like one converted
// by llama.cpp.
//
// Two kinds of tokenizer are read, chosen as the script chooses them:
//
//   - SentencePiece, from tokenizer.model (sentencepiece.go: a small reader
//     for the protobuf fields the script uses): tokenizer.ggml.model "llama",
//     pre "default", tokens, scores and token types as the script's
//     _create_vocab_sentencepiece makes them, with the added tokens of
//     added_tokens.json and tokenizer_config.json's added_tokens_decoder
//     (spm.go);
//   - byte-level BPE, from tokenizer.json when there is no tokenizer.model:
//     tokenizer.ggml.model "gpt2", tokens, token types and merges as the
//     script's get_vocab_base makes them (bpe.go), and the pre-tokenizer name
//     chosen as llama.cpp chooses it (pre.go): the script encodes a fixed
//     check text with the Hugging Face tokenizer and looks the SHA-256 of the
//     ids up in a table of known tokenizers. Here Nibble's own BPE tokenizer
//     (engine/tokenizer) encodes the text, with the pre-tokenizer that the
//     regexes of tokenizer.json describe, and the same table names the result.
//     The ids include the special tokens the tokenizer's post-processor adds,
//     as in the script: Meta's Llama 3 tokenizer.json adds BOS and is
//     "llama-bpe", a copy without that post-processor hashes like Smaug's and
//     is "smaug-bpe", exactly as llama.cpp would name it.
//
// Both then get gguf-py's SpecialVocab (special.go): the bos, eos, unk, sep,
// pad and mask ids from tokenizer_config.json (looked up in tokenizer.json's
// added tokens) and config.json, add_bos_token/add_eos_token, the merges, and the
// chat template; and the per-architecture extras of the script's set_vocab
// (metadata.go).
//
// Everything is deterministic; the functions are safe for concurrent use.
// Reading a large tokenizer.json (10 MB) and tokenizing the check text take
// about a second.
package hftokenizer
