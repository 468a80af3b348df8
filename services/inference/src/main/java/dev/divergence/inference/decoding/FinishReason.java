package dev.divergence.inference.decoding;

/** Why decoding ended. */
public enum FinishReason {
    /** the model's end-of-sequence token was generated (kept as the last token) */
    EOS,
    /** one of the request's stop texts appeared in the output (kept in it) */
    STOP_SEQUENCE,
    MAX_TOKENS,
    /** the model's context cannot take another token */
    CONTEXT_FULL,
    /** the client went away or cancelled */
    CANCELLED
}
