package dev.divergence.modelserver.tensor;

/** FP16 and BF16 bit patterns from and to FP32, both rounding to nearest even like PyTorch. */
public final class HalfFloats {

    private HalfFloats() {
    }

    public static short toFp16(float value) {
        return Float.floatToFloat16(value);
    }

    public static float fromFp16(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** BF16 is the upper half of an FP32; the dropped half rounds to nearest even, NaN stays NaN. */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040); // keep it a quiet NaN after truncation
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    public static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
