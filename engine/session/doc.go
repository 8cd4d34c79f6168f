// Package session is what the app and the CLI chat through: it opens a GGUF
// model with its tokenizer and chat template (checking first that it fits in
// memory), generates text as a stream of complete UTF-8 pieces, and keeps a
// conversation's KV cache across turns so that each new message costs only
// its own tokens. Cancel any generation through its context.
package session
