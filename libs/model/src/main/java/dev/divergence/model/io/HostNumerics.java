package dev.divergence.model.io;

import dev.divergence.model.InvalidModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian dtype conversions done in Java for dtypes the engine cannot create. */
final class HostNumerics {

    private HostNumerics() {
    }

    static byte[] bf16ToF32(byte[] bf16) {
        ByteBuffer in = ByteBuffer.wrap(bf16).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(bf16.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            out.putInt((in.getShort() & 0xFFFF) << 16);
        }
        return out.array();
    }

    /** Round-to-nearest-even, NaN kept quiet: the conversion PyTorch uses for float32 to bfloat16. */
    static byte[] f32ToBf16(byte[] f32) {
        ByteBuffer in = ByteBuffer.wrap(f32).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(f32.length / 2).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            int bits = in.getInt();
            int bf;
            if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x007FFFFF) != 0) {
                bf = (bits >>> 16) | 0x0040;
            } else {
                int rounding = 0x7FFF + ((bits >>> 16) & 1);
                bf = (bits + rounding) >>> 16;
            }
            out.putShort((short) bf);
        }
        return out.array();
    }

    static byte[] i16ToI32(byte[] i16) {
        ByteBuffer in = ByteBuffer.wrap(i16).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(i16.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            out.putInt(in.getShort());
        }
        return out.array();
    }

    static byte[] i32ToI16(String name, byte[] i32) {
        ByteBuffer in = ByteBuffer.wrap(i32).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(i32.length / 2).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            int v = in.getInt();
            if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
                throw new InvalidModelException(name, "value " + v + " does not fit in I16");
            }
            out.putShort((short) v);
        }
        return out.array();
    }
}
