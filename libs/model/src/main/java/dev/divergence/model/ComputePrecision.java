package dev.divergence.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import java.util.Locale;

/**
 * The arithmetic precision of a model's matrix products, in the manner of PyTorch's autocast:
 * weights stay float32 (the master copy the optimiser updates), each matrix product casts its
 * operands to the compute type and its result back to float32, and everything else (norms,
 * softmax, residual sums, losses) runs in float32. Gradients flow through the casts, so training
 * with {@link #FP16} updates the float32 weights.
 *
 * <p>{@link #FP16} is what CUDA tensor cores want; libtorch also runs it on CPU, which is where
 * it is tested (ComputePrecisionTest): the golden Llama config's logits stay within 1% of the
 * largest float32 logit (0.1% measured; float16 keeps 11 significant bits) and gradients point
 * the way float32's do (cosine > 0.99). Not included: dynamic loss scaling, which long float16
 * training runs use against gradient underflow. bfloat16 is not offered: DJL 0.36's PyTorch
 * bindings have no code for it (a cast aborts the JVM), so it could be neither used nor tested.
 */
public enum ComputePrecision {
    FP32(DataType.FLOAT32),
    FP16(DataType.FLOAT16);

    private final DataType computeType;

    ComputePrecision(DataType computeType) {
        this.computeType = computeType;
    }

    public DataType computeType() {
        return computeType;
    }

    /** {@code fp32} / {@code float32} or {@code fp16} / {@code float16} / {@code half}, any case. */
    public static ComputePrecision parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "fp32", "float32" -> FP32;
            case "fp16", "float16", "half" -> FP16;
            case "bf16", "bfloat16" -> throw new InvalidModelException("precision",
                    "bf16 is not available through DJL's PyTorch bindings; use fp16 or fp32");
            default -> throw new InvalidModelException("precision", "expected fp32 or fp16, got '" + value + "'");
        };
    }

    /** {@code a @ b} computed in this precision, returned as float32. */
    public NDArray matMul(NDArray a, NDArray b) {
        if (this == FP32) {
            return a.matMul(b);
        }
        return toFloat32(cast(a).matMul(cast(b)));
    }

    /** {@code x @ w^T (+ bias)} computed in this precision, returned as float32. */
    public NDArray linear(NDArray x, NDArray weight, NDArray biasOrNull) {
        if (this == FP32) {
            return (biasOrNull == null ? Linear.linear(x, weight) : Linear.linear(x, weight, biasOrNull)).singletonOrThrow();
        }
        NDList out = biasOrNull == null ? Linear.linear(cast(x), cast(weight))
                : Linear.linear(cast(x), cast(weight), cast(biasOrNull));
        return toFloat32(out.singletonOrThrow());
    }

    /**
     * A cast autograd can see through. DJL's {@code toType} runs under a no-grad guard (the
     * gradient would stop at every cast); cumprod over a new axis of length 1 with a result type
     * is the identity with a cast that records its backward (the gradient cast back to the
     * source type).
     */
    private NDArray cast(NDArray a) {
        return a.expandDims(-1).cumProd(-1, computeType).squeeze(-1);
    }

    private static NDArray toFloat32(NDArray a) {
        return a.expandDims(-1).cumProd(-1, DataType.FLOAT32).squeeze(-1);
    }
}
