package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import dev.divergence.model.ComputePrecision;

/**
 * The decoder's parameterised ops. {@link LlamaModel} is written against this interface so that
 * one forward pass runs with its own parameters or with a per-row mix of two parameter sets,
 * without a second copy of the architecture.
 */
interface DecoderWeights {

    /** Token embeddings [B, T, hidden] of {@code ids} [B, T]. */
    NDArray embed(NDArray ids);

    /** {@code x} times the weight {@code weightAndBias[0]}, plus the bias {@code weightAndBias[1]} when the model has one. */
    NDArray linear(ComputePrecision compute, NDArray x, String[] weightAndBias);

    /** RMSNorm's elementwise scale: {@code normalized} [B, ..., hidden] times the norm weight {@code name}. */
    NDArray scale(NDArray normalized, String name);

    /** The LM head (untied, or the token embedding when tied) applied to {@code hidden}. */
    NDArray head(ComputePrecision compute, NDArray hidden);
}
