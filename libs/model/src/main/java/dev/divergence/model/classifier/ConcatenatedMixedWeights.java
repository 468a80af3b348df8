package dev.divergence.model.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;

/**
 * Layers evaluated as if sample i used lambda_i A + (1 - lambda_i) B, with A's and B's weights held
 * concatenated along the output dimension ({@link InterpolationPair}): one matmul or convolution
 * computes both outputs [y_A, y_B], one batched product with [lambda_i, 1 - lambda_i] mixes them:
 * lambda_i y_A + (1 - lambda_i) y_B = W(x) h exactly (the layer is linear in its parameters and the
 * coefficients sum to one, so the biases mix too). Four native ops per layer (the layer, two views,
 * the product) against six evaluations and element-wise ops in {@link PerSampleMixedWeights}.
 *
 * @param concatenated per tensor name, A's then B's entries along dimension 0
 * @param coefficients [B, 1, 2]: per sample (lambda_i, 1 - lambda_i)
 */
record ConcatenatedMixedWeights(Parameters concatenated, NDArray coefficients) implements LayerWeights {

    ConcatenatedMixedWeights {
        Shape s = coefficients.getShape();
        if (s.dimension() != 3 || s.get(1) != 1 || s.get(2) != 2) {
            throw new InvalidModelException("coefficients", "expected shape [batch, 1, 2], got " + s);
        }
    }

    @Override
    public NDArray linear(NDArray x, String prefix) {
        NDArray both = Linear.linear(x, concatenated.get(prefix + ".weight"), concatenated.get(prefix + ".bias")).singletonOrThrow();
        Shape shape = both.getShape();
        long out = shape.get(shape.dimension() - 1) / 2;
        long[] mixed = shape.getShape();
        mixed[mixed.length - 1] = out;
        return mix(both, new Shape(mixed));
    }

    @Override
    public NDArray conv2d(NDArray x, String prefix, int stride, int padding) {
        NDArray both = Conv2d.conv2d(x, concatenated.get(prefix + ".weight"), concatenated.get(prefix + ".bias"),
                new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1)).singletonOrThrow();
        Shape shape = both.getShape();
        return mix(both, new Shape(shape.get(0), shape.get(1) / 2, shape.get(2), shape.get(3)));
    }

    /**
     * both [B, 2K...] (A's K then B's, per sample contiguous) as [B, 2, K], times the coefficients
     * [B, 1, 2]: [B, 1, K] = lambda_i y_A + (1 - lambda_i) y_B, viewed as {@code mixedShape}.
     */
    private NDArray mix(NDArray both, Shape mixedShape) {
        long batch = both.getShape().get(0);
        if (coefficients.getShape().get(0) != batch) {
            throw new InvalidModelException("coefficients", "has " + coefficients.getShape().get(0) + " rows for a batch of " + batch);
        }
        return coefficients.batchMatMul(both.reshape(batch, 2, -1)).reshape(mixedShape);
    }
}
