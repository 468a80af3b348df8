package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import dev.divergence.model.ComputePrecision;
import java.util.Arrays;

/**
 * The decoder's ops as if row i used the weights lambda_i * A + (1 - lambda_i) * B. Each op is
 * linear in its parameters (a lookup row, a matrix product plus bias, an elementwise scale), so
 * its output under the merged weights is lambda_i op_A(x) + (1 - lambda_i) op_B(x): both are
 * evaluated on the same input and mixed per row; no merged weight set is ever made.
 */
record MixedDecoderWeights(DecoderWeights a, DecoderWeights b, NDArray lambda) implements DecoderWeights {

    @Override
    public NDArray embed(NDArray ids) {
        return mix(a.embed(ids), b.embed(ids));
    }

    @Override
    public NDArray linear(ComputePrecision compute, NDArray x, String[] weightAndBias) {
        return mix(a.linear(compute, x, weightAndBias), b.linear(compute, x, weightAndBias));
    }

    @Override
    public NDArray scale(NDArray normalized, String name) {
        return mix(a.scale(normalized, name), b.scale(normalized, name));
    }

    @Override
    public NDArray head(ComputePrecision compute, NDArray hidden) {
        return mix(a.head(compute, hidden), b.head(compute, hidden));
    }

    private NDArray mix(NDArray fromA, NDArray fromB) {
        long[] shape = new long[fromA.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[0] = lambda.getShape().get(0);
        // fromB + lambda * (fromA - fromB) == lambda * fromA + (1 - lambda) * fromB
        return fromB.add(fromA.sub(fromB).mul(lambda.reshape(shape)));
    }
}
