package dev.divergence.model.classifier;

import ai.djl.ndarray.NDArray;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;

/**
 * Layers evaluated as if sample i used the merged weights lambda_i * A + (1 - lambda_i) * B,
 * without materialising per-sample weights: linear and convolution layers are linear in their
 * parameters, so W(x) h = lambda W_a h + (1 - lambda) W_b h (biases included, because the two
 * coefficients sum to one). Costs two layer evaluations instead of B weight copies.
 *
 * @param lambda per-sample coefficients [B] of {@code a}
 */
public record PerSampleMixedWeights(Parameters a, Parameters b, NDArray lambda) implements LayerWeights {

    public PerSampleMixedWeights {
        if (lambda.getShape().dimension() != 1) {
            throw new InvalidModelException("lambda", "expected shape [batch], got " + lambda.getShape());
        }
    }

    @Override
    public NDArray linear(NDArray x, String prefix) {
        return mix(new SingleWeights(a).linear(x, prefix), new SingleWeights(b).linear(x, prefix));
    }

    @Override
    public NDArray conv2d(NDArray x, String prefix, int stride, int padding) {
        return mix(new SingleWeights(a).conv2d(x, prefix, stride, padding), new SingleWeights(b).conv2d(x, prefix, stride, padding));
    }

    private NDArray mix(NDArray fromA, NDArray fromB) {
        long batch = fromA.getShape().get(0);
        if (lambda.getShape().get(0) != batch) {
            throw new InvalidModelException("lambda", "has " + lambda.getShape().get(0) + " coefficients for a batch of " + batch);
        }
        long[] shape = new long[fromA.getShape().dimension()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = batch;
        NDArray l = lambda.reshape(shape);
        // fromB + lambda * (fromA - fromB) == lambda * fromA + (1 - lambda) * fromB
        return fromB.add(fromA.sub(fromB).mul(l));
    }
}
