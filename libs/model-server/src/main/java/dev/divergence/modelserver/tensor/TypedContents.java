package dev.divergence.modelserver.tensor;

import com.google.protobuf.ByteString;
import dev.divergence.proto.triton.InferTensorContents;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts between {@link Tensor}'s raw form and the typed repeated fields of
 * InferTensorContents. FP16 and BF16 have no typed field in Triton's protocol, so they can only
 * travel raw.
 */
public final class TypedContents {

    private TypedContents() {
    }

    /** @throws TensorFormatException when the matching field is absent or holds the wrong count */
    public static Tensor decode(TensorType type, long[] shape, InferTensorContents contents) {
        long expected = Tensor.elementCount(shape);
        Tensor tensor = switch (type) {
            case FP32 -> {
                requireCount(contents.getFp32ContentsCount(), expected, "fp32_contents");
                float[] values = new float[contents.getFp32ContentsCount()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = contents.getFp32Contents(i);
                }
                yield Tensor.fp32(shape, values);
            }
            case INT64 -> {
                requireCount(contents.getInt64ContentsCount(), expected, "int64_contents");
                yield Tensor.int64(shape, contents.getInt64ContentsList().stream().mapToLong(Long::longValue).toArray());
            }
            case INT32 -> {
                requireCount(contents.getIntContentsCount(), expected, "int_contents");
                yield Tensor.int32(shape, contents.getIntContentsList().stream().mapToInt(Integer::intValue).toArray());
            }
            case BOOL -> {
                requireCount(contents.getBoolContentsCount(), expected, "bool_contents");
                boolean[] values = new boolean[contents.getBoolContentsCount()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = contents.getBoolContents(i);
                }
                yield Tensor.bool(shape, values);
            }
            case BYTES -> {
                requireCount(contents.getBytesContentsCount(), expected, "bytes_contents");
                List<byte[]> elements = new ArrayList<>();
                for (ByteString element : contents.getBytesContentsList()) {
                    elements.add(element.toByteArray());
                }
                yield Tensor.bytes(shape, elements);
            }
            case FP16, BF16 -> throw new TensorFormatException(type.wireName()
                    + " has no typed contents field; send it in raw_input_contents");
        };
        return tensor;
    }

    public static InferTensorContents encode(Tensor tensor) {
        InferTensorContents.Builder out = InferTensorContents.newBuilder();
        switch (tensor.type()) {
            case FP32 -> {
                for (float v : tensor.toFloats()) {
                    out.addFp32Contents(v);
                }
            }
            case INT64 -> {
                for (long v : tensor.toLongs()) {
                    out.addInt64Contents(v);
                }
            }
            case INT32 -> {
                for (int v : tensor.toInts()) {
                    out.addIntContents(v);
                }
            }
            case BOOL -> {
                for (boolean v : tensor.toBooleans()) {
                    out.addBoolContents(v);
                }
            }
            case BYTES -> {
                for (byte[] v : tensor.toByteElements()) {
                    out.addBytesContents(ByteString.copyFrom(v));
                }
            }
            case FP16, BF16 -> throw new TensorFormatException(tensor.type().wireName() + " has no typed contents field");
        }
        return out.build();
    }

    private static void requireCount(int found, long expected, String field) {
        if (found != expected) {
            throw new TensorFormatException("has " + found + " elements in " + field + " but the shape needs " + expected);
        }
    }
}
