package dev.divergence.model.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;

/**
 * Layers evaluated as if sample i used lambda_i A + (1 - lambda_i) B, with A's and B's weights held
 * concatenated along the output dimension ({@link InterpolationPair}): one matmul or convolution
 * computes both outputs [y_A, y_B], then one per-sample mix lambda_i y_A + (1 - lambda_i) y_B, which
 * equals the layer with the merged weights exactly in real arithmetic (the layer is linear in its
 * parameters and the two coefficients sum to one, so the biases mix too). In float32 the mix is two
 * products and one sum of the two outputs, whichever of the two ways below computes it.
 *
 * <p>The mix is the op count that matters on small models (each native op costs microseconds of
 * overhead): a convolution's [B, 2C, H, W] is viewed as [B, 2, C*H*W] and multiplied by the
 * coefficients [B, 1, 2] in one batched matmul; a linear layer's [B, 2K] is split into two views
 * and mixed in place (y_A *= lambda, y_B *= 1 - lambda, y_A += y_B), which creates no new arrays and
 * is cheaper than the batched matmul for narrow outputs (and dearer for wide feature maps).
 *
 * <p>The coefficients come as ready views (InterpolationPair keeps them per batch size, filled in
 * place), so a pass makes no native op for them.
 */
final class ConcatenatedMixedWeights implements LayerWeights {

    private final Parameters concatenated;
    private final String lastLayer;
    private final long batch;
    private final NDArray ofA;
    private final NDArray ofB;
    private final NDArray asBatchRows;

    /**
     * @param concatenated per tensor name, A's then B's entries along dimension 0
     * @param lastLayer the prefix of the layer that produces the logits (its mix is made contiguous)
     * @param ofA [B, 1]: per sample lambda_i
     * @param ofB [B, 1]: per sample 1 - lambda_i
     * @param asBatchRows [B, 1, 2]: per sample (lambda_i, 1 - lambda_i)
     */
    ConcatenatedMixedWeights(Parameters concatenated, String lastLayer, NDArray ofA, NDArray ofB, NDArray asBatchRows) {
        this.batch = ofA.getShape().get(0);
        if (!ofA.getShape().equals(new Shape(batch, 1)) || !ofB.getShape().equals(new Shape(batch, 1))
                || !asBatchRows.getShape().equals(new Shape(batch, 1, 2))) {
            throw new InvalidModelException("coefficients", "expected [batch, 1], [batch, 1] and [batch, 1, 2], got "
                    + ofA.getShape() + ", " + ofB.getShape() + " and " + asBatchRows.getShape());
        }
        this.concatenated = concatenated;
        this.lastLayer = lastLayer;
        this.ofA = ofA;
        this.ofB = ofB;
        this.asBatchRows = asBatchRows;
    }

    @Override
    public NDArray linear(NDArray x, String prefix) {
        NDArray both = Linear.linear(x, concatenated.get(prefix + ".weight"), concatenated.get(prefix + ".bias")).singletonOrThrow();
        // no shape checks here: each costs a native call, and InterpolationPair checked the batch and
        // Classifier.forward the features (the classifiers' linear layers take [batch, in])
        // split at the known half width: NDArray.split(sections, axis) would first ask libtorch for the
        // fresh array's shape (one more native call per layer)
        long half = concatenated.get(prefix + ".bias").getShape().get(0) / 2;
        NDList halves = JniUtils.split((PtNDArray) both, half, 1);
        // in place on views of the fresh layer output: lambda y_A + (1 - lambda) y_B, [B, K] with row stride 2K
        // (a hidden layer's ReLU makes it contiguous); the logits get the sum as a new contiguous array,
        // which a caller reading them would otherwise have copied (same operations, same rounding)
        NDArray scaledA = halves.get(0).muli(ofA);
        NDArray scaledB = halves.get(1).muli(ofB);
        return prefix.equals(lastLayer) ? scaledA.add(scaledB) : scaledA.addi(scaledB);
    }

    @Override
    public NDArray conv2d(NDArray x, String prefix, int stride, int padding) {
        NDArray both = Conv2d.conv2d(x, concatenated.get(prefix + ".weight"), concatenated.get(prefix + ".bias"),
                new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1)).singletonOrThrow();
        Shape shape = both.getShape();
        // [B, 2C, H, W] (per sample A's C maps then B's) as [B, 2, C*H*W]; [B, 1, 2] x that = [B, 1, C*H*W]
        return asBatchRows.batchMatMul(both.reshape(batch, 2, -1)).reshape(batch, shape.get(1) / 2, shape.get(2), shape.get(3));
    }
}
