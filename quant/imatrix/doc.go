// Package imatrix owns the importance matrix of llama.cpp: for every weight
// matrix of a model, how large each of its input columns is on typical text,
// which the quantizer uses to spend its precision where the activations are
// large (llama.cpp's tools/imatrix and the quant_weights of ggml-quants.c).
//
// The importance of column j of weight W is the mean, over the calibration
// tokens, of x_j², where x is the float32 input row that multiplies W (before
// it is encoded as the weight's activation type, Q8_0 or Q8_K for quantized
// weights). Collect computes it as llama-imatrix does (c392e50 and later): the
// text is tokenized once with BOS, cut into chunks of Options.Ctx tokens,
// each chunk evaluated from an empty cache with its first token replaced by
// BOS, every token's logits computed (so that every token passes through the
// last layer too), in micro-batches of 512 tokens; every token of every chunk
// counts, not only the scored half that perplexity uses. It collects the
// inputs of the matrices named blk.* (and output.weight with
// Options.ProcessOutput, llama-imatrix --process-output); never the token
// embeddings, which are looked up, not multiplied; and, as llama-imatrix,
// no micro-batch of fewer than 16 tokens. Sums are float32, added token by
// token in order, as llama.cpp's.
//
// A Matrix is the collected data: per weight, the sums of x² per column and
// the number of tokens they are over (Entry). Read and Write handle both of
// llama.cpp's file formats, so files go both ways with llama.cpp:
//
//   - GGUF (llama.cpp from mid-2025 on, the default of llama-imatrix since):
//     metadata general.type = "imatrix", imatrix.datasets (array of
//     strings), imatrix.chunk_count and imatrix.chunk_size (uint32); per
//     weight NAME, an F32 tensor NAME.in_sum2 of shape [columns, matrices]
//     holding the sums of x², and an F32 tensor NAME.counts of shape
//     [1, matrices] holding the tokens each matrix saw (matrices is 1 for a
//     2-D weight, the number of experts for a 3-D one). Other tensors (newer
//     llama.cpp adds NAME.in_sum, the plain sums) are ignored when reading.
//   - legacy ".dat" (llama.cpp before mid-2025, c392e50 included; still
//     written by llama-imatrix --output-format dat), little-endian: int32
//     entry count; per entry int32 name length, the name's bytes, int32
//     ncall, int32 nval and nval float32 values, each the mean of x² times
//     ncall; then int32 chunk count and int32 length plus the bytes of the
//     calibration file's name. ncall is the number of chunks (ceil(tokens /
//     chunk size), as llama.cpp writes it since mid-2025; c392e50 counted
//     micro-batches, the same number for chunks of up to 512 tokens, and the
//     importance does not depend on it). The format does not record the chunk
//     size: reading one assumes 512, llama-imatrix's default, as llama.cpp
//     assumes its own -c.
//
// Write picks the format by the file name: GGUF if it ends in ".gguf", the
// legacy format otherwise. The quantizer calls Read(path) and then, for each
// tensor it quantizes, (*Matrix).Weights(name): exactly the quant_weights
// llama-quantize derives from either format (sum/count per matrix, 1 for a
// matrix that saw no token; legacy: value/ncall), or nil when the file has no
// entry for the tensor.
package imatrix
