package dev.divergence.modelserver.tensor;

import dev.divergence.proto.triton.DataType;
import java.util.Optional;

/**
 * The tensor element types this platform exchanges, with the two spellings Triton uses for each:
 * the short wire name of the inference RPCs ("FP32") and the config.pbtxt enum (TYPE_FP32).
 */
public enum TensorType {
    FP32("FP32", DataType.TYPE_FP32, 4),
    FP16("FP16", DataType.TYPE_FP16, 2),
    BF16("BF16", DataType.TYPE_BF16, 2),
    INT64("INT64", DataType.TYPE_INT64, 8),
    INT32("INT32", DataType.TYPE_INT32, 4),
    BOOL("BOOL", DataType.TYPE_BOOL, 1),
    /** Variable-length byte strings; raw form is a 4-byte little-endian length before each element. */
    BYTES("BYTES", DataType.TYPE_STRING, -1);

    private final String wireName;
    private final DataType configType;
    private final int elementBytes;

    TensorType(String wireName, DataType configType, int elementBytes) {
        this.wireName = wireName;
        this.configType = configType;
        this.elementBytes = elementBytes;
    }

    public String wireName() {
        return wireName;
    }

    public DataType configType() {
        return configType;
    }

    /** Bytes per element, or -1 for BYTES whose elements vary in size. */
    public int elementBytes() {
        return elementBytes;
    }

    public boolean isFloatingPoint() {
        return this == FP32 || this == FP16 || this == BF16;
    }

    public boolean isInteger() {
        return this == INT64 || this == INT32;
    }

    public static Optional<TensorType> fromWire(String name) {
        for (TensorType type : values()) {
            if (type.wireName.equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    public static Optional<TensorType> fromConfig(DataType type) {
        for (TensorType t : values()) {
            if (t.configType == type) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The wire name of any config type, including those this platform does not compute with. */
    public static String wireNameOf(DataType type) {
        return switch (type) {
            case TYPE_STRING -> "BYTES";
            case TYPE_INVALID, UNRECOGNIZED -> "INVALID";
            default -> type.name().substring("TYPE_".length());
        };
    }
}
