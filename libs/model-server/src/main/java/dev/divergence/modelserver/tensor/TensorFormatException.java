package dev.divergence.modelserver.tensor;

/** Tensor bytes or typed contents that do not match the declared type and shape. */
public final class TensorFormatException extends RuntimeException {

    public TensorFormatException(String message) {
        super(message);
    }
}
