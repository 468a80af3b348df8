package dev.divergence.model.classifier;

import ai.djl.ndarray.NDArray;

/**
 * How a network evaluates its parameterised layers. Writing the classifiers against this
 * interface lets one forward pass run with a single parameter set or with a per-sample mix of
 * two (T³), without duplicating the architecture.
 */
public interface LayerWeights {

    /** x [B, in] (or [B, ..., in]) times {@code prefix.weight} [out, in] plus {@code prefix.bias}. */
    NDArray linear(NDArray x, String prefix);

    /** 2-D convolution of x [B, C, H, W] with {@code prefix.weight} [O, C, k, k] and {@code prefix.bias}. */
    NDArray conv2d(NDArray x, String prefix, int stride, int padding);
}
