package dev.divergence.inference.models;

/**
 * The Triton repository entries behind one catalog model. A language model has two: Triton's
 * sequence batcher demands a correlation id on every request of a model that has one, so
 * stateless work (scoring, next-token distributions of many prefixes, dynamically batched) and
 * stateful decoding (one KV cache per sequence) cannot share an entry.
 */
public final class TritonNames {

    /** Suffix of the decoding entry; "__" because a catalog name never contains it. */
    public static final String DECODING_SUFFIX = "__decode";

    private TritonNames() {}

    /** Stateless entry: classifiers, and language-model scoring with dynamic batching. */
    public static String stateless(String model) {
        return model;
    }

    /** Stateful entry of a language model: sequence batching, KV cache per sequence_id. */
    public static String decoding(String model) {
        return model + DECODING_SUFFIX;
    }
}
