package dev.divergence.model.generation;

/** Why generation ended. */
public enum StopReason {
    /** an eos token or a configured stop token was generated */
    STOP_TOKEN,
    /** a configured stop sequence was generated */
    STOP_SEQUENCE,
    /** max_new_tokens reached */
    MAX_TOKENS,
    /** the model's context (max_position_embeddings) is full */
    CONTEXT_FULL
}
