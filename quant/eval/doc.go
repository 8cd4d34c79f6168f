// Package eval measures how well a model predicts a text and how far a
// quantized variant's predictions are from its base model's, with the
// engine's forward pass.
//
// The method is llama.cpp's llama-perplexity (commit c392e50), so that its
// figures can be compared with llama.cpp's:
//
//   - the text is tokenized once, as one stream, with BOS when the
//     vocabulary adds one (NewText; like llama-perplexity's -f, one trailing
//     newline of the text is dropped);
//   - it is cut into floor(tokens / Context) chunks of Context tokens; the
//     first token of every chunk is replaced by BOS, and every chunk is
//     evaluated from an empty cache;
//   - only the second half of each chunk is scored: the predictions after
//     positions Context/2 … Context-2 (so every scored token has at least
//     half a context before it);
//   - perplexity is exp of the mean negative log-likelihood of the scored
//     tokens, and its "±" is llama-perplexity's: PPL · sqrt(var(NLL) /
//     (n-1)).
//
// Compare runs the base and the variant on each chunk in turn (the base's
// logits are never stored beyond the slice being compared) and reports
// llama-perplexity --kl-divergence's statistics: the KL divergence
// KL(base ‖ variant) of every scored position's next-token distribution
// (mean, median, 99th percentile, maximum), and how often both models'
// most likely token is the same. Like llama.cpp it compares against the
// base's log-probabilities as llama-perplexity --kl-divergence-base stores
// them, compressed to 16 bits per token (baseRow): the tail below e^-16 is
// dropped and log-probabilities are rounded to 1/65535 of the row's range,
// which moves the KLD of near-identical models by up to ~1e-5 but makes the
// figures those of llama.cpp's tables. The perplexities Compare reports are
// the exact ones, as Perplexity computes them.
//
// Compare also measures what perplexity misses, the compounding of small
// differences over a long answer: from prompts taken from the text, both
// models generate greedily, and agreement is the number of tokens the
// variant produces before it first departs from the base's continuation.
//
// Arithmetic follows llama-perplexity's where it matters for the printed
// digits (float32 where it computes in float, float64 where it sums in
// double, its percentile interpolation), and the engine's logits are those
// of llama.cpp's CPU backend bit for bit, so the figures agree with
// llama.cpp's to the last printed digit on the shared test model.
package eval
