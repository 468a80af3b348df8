package dev.divergence.inference.decoding;

/**
 * One sequence being decoded on a backend that keeps its state (KV cache) between calls: the
 * prompt once, then one token at a time; every call answers the next-token logits. Decoding
 * talks to models only through this, so the same loop runs against Triton, the embedded server
 * or an in-process session.
 */
public interface LogitsStream extends AutoCloseable {

    /** Feeds the prompt (at least one token); returns the logits of the token after it. */
    float[] prefill(long[] promptIds);

    /** Feeds one more token; returns the logits of the token after it. */
    float[] step(long token);

    /** Ends the sequence and frees what the backend holds for it; safe to call more than once. */
    @Override
    void close();
}
