package dev.divergence.inference.models;

/** What a servable model computes, which decides the APIs it can answer. */
public enum ModelKind {
    /** Decoder-only LM: generation, continuation log-probs, next-token distributions. */
    LANGUAGE_MODEL,
    /** Feature vector to class probabilities. */
    CLASSIFIER
}
