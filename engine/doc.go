// Package engine is Nibble's inference engine. Its sub-packages own the
// pieces: gguf reads and writes model files; refdata locates the llama.cpp
// reference data tests compare against.
package engine
