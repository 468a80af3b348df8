package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.divergence.model.ComputePrecision;
import dev.divergence.model.Parameters;

/** The decoder's ops on one parameter set: the plain forward. */
record SingleDecoderWeights(Parameters params, boolean tiedEmbeddings) implements DecoderWeights {

    static final String EMBEDDING = "model.embed_tokens.weight";

    @Override
    public NDArray embed(NDArray ids) {
        return Embedding.embedding(ids, params.get(EMBEDDING), SparseFormat.DENSE).singletonOrThrow();
    }

    @Override
    public NDArray linear(ComputePrecision compute, NDArray x, String[] weightAndBias) {
        NDArray bias = params.contains(weightAndBias[1]) ? params.get(weightAndBias[1]) : null;
        return compute.linear(x, params.get(weightAndBias[0]), bias);
    }

    @Override
    public NDArray scale(NDArray normalized, String name) {
        return normalized.mul(params.get(name));
    }

    @Override
    public NDArray head(ComputePrecision compute, NDArray hidden) {
        return compute.linear(hidden, params.get(tiedEmbeddings ? EMBEDDING : "lm_head.weight"), null);
    }
}
