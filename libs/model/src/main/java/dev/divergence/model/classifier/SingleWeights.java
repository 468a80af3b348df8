package dev.divergence.model.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import dev.divergence.model.Parameters;

/** Layers evaluated with one parameter set. */
public record SingleWeights(Parameters params) implements LayerWeights {

    @Override
    public NDArray linear(NDArray x, String prefix) {
        return Linear.linear(x, params.get(prefix + ".weight"), params.get(prefix + ".bias")).singletonOrThrow();
    }

    @Override
    public NDArray conv2d(NDArray x, String prefix, int stride, int padding) {
        return Conv2d.conv2d(x, params.get(prefix + ".weight"), params.get(prefix + ".bias"),
                new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1)).singletonOrThrow();
    }
}
