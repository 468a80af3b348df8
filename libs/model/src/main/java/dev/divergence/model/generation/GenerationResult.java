package dev.divergence.model.generation;

/**
 * The generated tokens (prompt excluded), why generation stopped, and the log-probability of
 * each chosen token under the distribution it was sampled from (after the logits processor,
 * temperature, top-k and top-p), which trainers use as behaviour-policy log-probs.
 */
public record GenerationResult(long[] tokens, StopReason stopReason, float[] sampledLogProbs) {
}
