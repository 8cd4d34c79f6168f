// Package sample picks the next token from a model's logits: greedy, or
// random with temperature, top-k, top-p, min-p and a repetition penalty,
// applied in llama.cpp's order (penalties, top-k, top-p, min-p, temperature,
// then a draw), with a seed that makes a run reproducible.
package sample
