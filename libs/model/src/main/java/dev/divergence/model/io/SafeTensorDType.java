package dev.divergence.model.io;

import ai.djl.ndarray.types.DataType;
import dev.divergence.model.InvalidModelException;

/** The dtype codes of the safetensors header and their DJL counterparts. */
public enum SafeTensorDType {
    F64(8, DataType.FLOAT64),
    F32(4, DataType.FLOAT32),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.BFLOAT16),
    I64(8, DataType.INT64),
    I32(4, DataType.INT32),
    I16(2, DataType.INT16),
    I8(1, DataType.INT8),
    U8(1, DataType.UINT8),
    BOOL(1, DataType.BOOLEAN);

    private final int bytes;
    private final DataType djlType;

    SafeTensorDType(int bytes, DataType djlType) {
        this.bytes = bytes;
        this.djlType = djlType;
    }

    public int bytes() {
        return bytes;
    }

    public DataType djlType() {
        return djlType;
    }

    public static SafeTensorDType parse(String tensor, String code) {
        try {
            return valueOf(code);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidModelException(tensor, "unsupported safetensors dtype '" + code + "'");
        }
    }

    public static SafeTensorDType of(String tensor, DataType type) {
        for (SafeTensorDType d : values()) {
            if (d.djlType == type) {
                return d;
            }
        }
        throw new InvalidModelException(tensor, "dtype " + type + " cannot be stored in safetensors");
    }
}
