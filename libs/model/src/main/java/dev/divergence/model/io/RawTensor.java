package dev.divergence.model.io;

import java.util.Arrays;

/** A tensor as bytes: little-endian, row-major, exactly as safetensors stores it. */
public record RawTensor(SafeTensorDType dtype, long[] shape, byte[] data) {

    public RawTensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n * dtype.bytes() != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + n * dtype.bytes() + " bytes, got " + data.length);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawTensor t && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }
}
