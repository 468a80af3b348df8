package dev.divergence.model.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.lm.KvCache;
import dev.divergence.model.lm.LlamaModel;

/**
 * Incremental decoding of one sequence: {@link #prefill} the prompt once, then {@link #step}
 * one token at a time; each call returns the next-token logits. Holds its own KV cache, so a
 * server keeps one session per live sequence and closes it when the sequence ends.
 */
public final class DecodingSession implements AutoCloseable {

    private final LlamaModel model;
    private final NDManager manager;
    private final KvCache cache;

    public DecodingSession(LlamaModel model, NDManager parent) {
        this.model = model;
        this.manager = parent.newSubManager();
        this.cache = new KvCache(manager, model.config().numLayers(), 1);
    }

    public float[] prefill(long[] prompt) {
        if (prompt.length == 0) {
            throw new InvalidModelException("prompt", "must contain at least one token");
        }
        if (cache.length() != 0) {
            throw new IllegalStateException("prefill called twice on one decoding session");
        }
        return feed(prompt);
    }

    public float[] step(long token) {
        if (cache.length() == 0) {
            throw new IllegalStateException("step called before prefill");
        }
        return feed(new long[] {token});
    }

    /** Tokens consumed so far (prompt + steps). */
    public int length() {
        return cache.length();
    }

    public boolean contextFull() {
        return cache.length() >= model.config().maxPositionEmbeddings();
    }

    private float[] feed(long[] tokens) {
        int vocab = model.config().vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new InvalidModelException("input_ids[" + i + "]", "token id " + tokens[i] + " outside the vocabulary [0, " + vocab + ")");
            }
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray ids = step.create(tokens, new Shape(1, tokens.length));
            NDArray logits = model.forward(ids, null, cache);
            // a single step needs no indexing (and NDIndex parsing costs as much as a small op)
            return tokens.length == 1 ? logits.toFloatArray() : logits.get(0, tokens.length - 1).toFloatArray();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
