package dev.divergence.modelserver.tensor;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor as Triton carries it in raw_input_contents / raw_output_contents: an element type, a
 * shape, and the elements flattened row-major in little-endian bytes without padding (BYTES as
 * a 4-byte little-endian length before each element). Keeping the raw form makes round trips
 * bit-exact: NaN payloads, negative zeros and half-precision patterns pass through untouched.
 */
public final class Tensor {

    private final TensorType type;
    private final long[] shape;
    private final ByteString raw;

    private Tensor(TensorType type, long[] shape, ByteString raw) {
        this.type = type;
        this.shape = shape.clone();
        this.raw = raw;
    }

    /**
     * Wraps raw bytes after checking that they hold exactly the elements the shape asks for.
     *
     * @throws TensorFormatException when the byte count (or the BYTES framing) does not match
     */
    public static Tensor ofRaw(TensorType type, long[] shape, ByteString raw) {
        long count = elementCount(shape);
        if (type == TensorType.BYTES) {
            long found = countByteElements(raw);
            if (found != count) {
                throw new TensorFormatException("holds " + found + " BYTES elements but shape " + Arrays.toString(shape)
                        + " needs " + count);
            }
        } else if (raw.size() != count * type.elementBytes()) {
            throw new TensorFormatException("has " + raw.size() + " bytes but " + type.wireName() + " "
                    + Arrays.toString(shape) + " needs " + count * type.elementBytes());
        }
        return new Tensor(type, shape, raw);
    }

    public static Tensor fp32(long[] shape, float... values) {
        ByteBuffer buffer = buffer(values.length * 4L);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return ofRaw(TensorType.FP32, shape, ByteString.copyFrom(buffer.flip()));
    }

    /** FP16 elements rounded from FP32 values. */
    public static Tensor fp16(long[] shape, float... values) {
        ByteBuffer buffer = buffer(values.length * 2L);
        for (float v : values) {
            buffer.putShort(HalfFloats.toFp16(v));
        }
        return ofRaw(TensorType.FP16, shape, ByteString.copyFrom(buffer.flip()));
    }

    /** BF16 elements rounded from FP32 values. */
    public static Tensor bf16(long[] shape, float... values) {
        ByteBuffer buffer = buffer(values.length * 2L);
        for (float v : values) {
            buffer.putShort(HalfFloats.toBf16(v));
        }
        return ofRaw(TensorType.BF16, shape, ByteString.copyFrom(buffer.flip()));
    }

    /** Floating-point elements of {@code type} (FP32, FP16 or BF16) rounded from FP32 values. */
    public static Tensor floats(TensorType type, long[] shape, float... values) {
        return switch (type) {
            case FP32 -> fp32(shape, values);
            case FP16 -> fp16(shape, values);
            case BF16 -> bf16(shape, values);
            default -> throw new IllegalArgumentException(type + " is not a floating-point type");
        };
    }

    public static Tensor int64(long[] shape, long... values) {
        ByteBuffer buffer = buffer(values.length * 8L);
        for (long v : values) {
            buffer.putLong(v);
        }
        return ofRaw(TensorType.INT64, shape, ByteString.copyFrom(buffer.flip()));
    }

    public static Tensor int32(long[] shape, int... values) {
        ByteBuffer buffer = buffer(values.length * 4L);
        for (int v : values) {
            buffer.putInt(v);
        }
        return ofRaw(TensorType.INT32, shape, ByteString.copyFrom(buffer.flip()));
    }

    public static Tensor bool(long[] shape, boolean... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) (values[i] ? 1 : 0);
        }
        return ofRaw(TensorType.BOOL, shape, ByteString.copyFrom(bytes));
    }

    public static Tensor bytes(long[] shape, List<byte[]> elements) {
        ByteString.Output out = ByteString.newOutput();
        ByteBuffer length = buffer(4);
        for (byte[] element : elements) {
            length.clear();
            out.write(length.putInt(element.length).array(), 0, 4);
            out.write(element, 0, element.length);
        }
        return ofRaw(TensorType.BYTES, shape, out.toByteString());
    }

    public TensorType type() {
        return type;
    }

    public long[] shape() {
        return shape.clone();
    }

    public ByteString raw() {
        return raw;
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** FP32, FP16 or BF16 elements widened to FP32. */
    public float[] toFloats() {
        ByteBuffer in = littleEndian();
        float[] out = new float[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (type) {
                case FP32 -> in.getFloat();
                case FP16 -> HalfFloats.fromFp16(in.getShort());
                case BF16 -> HalfFloats.fromBf16(in.getShort());
                default -> throw new IllegalStateException(type + " tensor read as floats");
            };
        }
        return out;
    }

    /** INT64 or INT32 elements widened to INT64. */
    public long[] toLongs() {
        ByteBuffer in = littleEndian();
        long[] out = new long[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (type) {
                case INT64 -> in.getLong();
                case INT32 -> in.getInt();
                default -> throw new IllegalStateException(type + " tensor read as integers");
            };
        }
        return out;
    }

    public int[] toInts() {
        requireType(TensorType.INT32);
        ByteBuffer in = littleEndian();
        int[] out = new int[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = in.getInt();
        }
        return out;
    }

    public boolean[] toBooleans() {
        requireType(TensorType.BOOL);
        byte[] bytes = raw.toByteArray();
        boolean[] out = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i] != 0;
        }
        return out;
    }

    public List<byte[]> toByteElements() {
        requireType(TensorType.BYTES);
        ByteBuffer in = littleEndian();
        List<byte[]> out = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] element = new byte[in.getInt()];
            in.get(element);
            out.add(element);
        }
        return out;
    }

    public static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new TensorFormatException("has negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException e) {
                throw new TensorFormatException("has more elements than a 64-bit count holds in shape " + Arrays.toString(shape));
            }
        }
        return count;
    }

    private void requireType(TensorType expected) {
        if (type != expected) {
            throw new IllegalStateException(type + " tensor read as " + expected);
        }
    }

    private ByteBuffer littleEndian() {
        return raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long countByteElements(ByteString raw) {
        ByteBuffer in = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long count = 0;
        while (in.hasRemaining()) {
            if (in.remaining() < 4) {
                throw new TensorFormatException("has a truncated BYTES length prefix");
            }
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new TensorFormatException("has a BYTES element of length " + length + " with only "
                        + in.remaining() + " bytes left");
            }
            in.position(in.position() + length);
            count++;
        }
        return count;
    }

    private static ByteBuffer buffer(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String toString() {
        return type.wireName() + Arrays.toString(shape);
    }
}
