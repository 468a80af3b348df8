package dev.divergence.modelserver.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {

    private static final long[] FOUR = {2, 2};

    @Test
    void fp32RawIsLittleEndianAndKeepsNanPayloadsAndNegativeZero() {
        float oddNan = Float.intBitsToFloat(0x7FC0_1234);
        Tensor tensor = Tensor.fp32(FOUR, 1.0f, -0.0f, oddNan, Float.NEGATIVE_INFINITY);
        assertThat(tensor.raw().substring(0, 4).toByteArray()).containsExactly(0x00, 0x00, (byte) 0x80, 0x3F);
        float[] back = Tensor.ofRaw(TensorType.FP32, FOUR, tensor.raw()).toFloats();
        assertThat(Float.floatToRawIntBits(back[1])).isEqualTo(0x8000_0000);
        assertThat(Float.floatToRawIntBits(back[2])).isEqualTo(0x7FC0_1234);
        assertThat(TypedContents.decode(TensorType.FP32, FOUR, TypedContents.encode(tensor)).raw()).isEqualTo(tensor.raw());
    }

    @Test
    void halfPrecisionPatternsRoundTripBitExact() {
        byte[] pattern = {0x00, 0x3C, 0x01, (byte) 0x80, (byte) 0xFF, 0x7B, 0x01, 0x7E}; // 1.0, -tiny subnormal, 65504, NaN
        for (TensorType type : List.of(TensorType.FP16, TensorType.BF16)) {
            Tensor tensor = Tensor.ofRaw(type, FOUR, ByteString.copyFrom(pattern));
            Tensor again = Tensor.floats(type, FOUR, tensor.toFloats());
            assertThat(again.raw().toByteArray()).as(type.name()).containsExactly(pattern);
        }
        assertThat(Tensor.fp16(new long[] {1}, 1.0f).raw().toByteArray()).containsExactly(0x00, 0x3C);
        assertThat(Tensor.bf16(new long[] {1}, 1.0f).raw().toByteArray()).containsExactly((byte) 0x80, 0x3F);
        // BF16 rounds to nearest even: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 and goes to 1
        assertThat(Tensor.bf16(new long[] {1}, 1.00390625f).toFloats()).containsExactly(1.0f);
    }

    @Test
    void integersAndBooleansRoundTripThroughRawAndTypedForms() {
        Tensor int64 = Tensor.int64(FOUR, Long.MIN_VALUE, -1, 0, Long.MAX_VALUE);
        Tensor int32 = Tensor.int32(FOUR, Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE);
        Tensor bool = Tensor.bool(FOUR, true, false, false, true);
        for (Tensor tensor : List.of(int64, int32, bool)) {
            Tensor typed = TypedContents.decode(tensor.type(), FOUR, TypedContents.encode(tensor));
            assertThat(typed.raw()).as(tensor.type().name()).isEqualTo(tensor.raw());
        }
        assertThat(int32.toLongs()).containsExactly(Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE);
        assertThat(bool.raw().toByteArray()).containsExactly(1, 0, 0, 1);
    }

    @Test
    void bytesAreLengthPrefixedLittleEndian() {
        Tensor tensor = Tensor.bytes(new long[] {3}, List.of("ab".getBytes(StandardCharsets.UTF_8), new byte[0], new byte[] {0, (byte) 0xFF}));
        assertThat(tensor.raw().toByteArray()).containsExactly(2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0, 2, 0, 0, 0, 0, (byte) 0xFF);
        assertThat(TypedContents.decode(TensorType.BYTES, new long[] {3}, TypedContents.encode(tensor)).raw()).isEqualTo(tensor.raw());
        assertThat(tensor.toByteElements()).hasSize(3);
    }

    @Test
    void sizesThatDoNotMatchTheShapeAreRejected() {
        assertThatThrownBy(() -> Tensor.ofRaw(TensorType.FP32, FOUR, ByteString.copyFrom(new byte[15])))
                .isInstanceOf(TensorFormatException.class).hasMessageContaining("needs 16");
        assertThatThrownBy(() -> Tensor.ofRaw(TensorType.BYTES, new long[] {1}, ByteString.copyFrom(new byte[] {5, 0, 0, 0, 1})))
                .isInstanceOf(TensorFormatException.class);
        assertThatThrownBy(() -> TypedContents.decode(TensorType.FP16, FOUR, TypedContents.encode(Tensor.fp32(FOUR, 1, 2, 3, 4))))
                .isInstanceOf(TensorFormatException.class).hasMessageContaining("raw");
    }
}
