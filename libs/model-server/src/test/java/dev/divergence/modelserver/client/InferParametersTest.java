package dev.divergence.modelserver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.divergence.modelserver.client.InferParameters.UnsignedLong;
import dev.divergence.proto.triton.InferParameter;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelInferResponse;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** The client reads and writes all five InferParameter kinds of Triton's protocol. */
class InferParametersTest {

    @Test
    void responseParametersOfEveryKindReadAsTheirValues() {
        ModelInferResponse response = ModelInferResponse.newBuilder().setModelName("m")
                .putParameters("flag", InferParameter.newBuilder().setBoolParam(true).build())
                .putParameters("count", InferParameter.newBuilder().setInt64Param(-7).build())
                .putParameters("note", InferParameter.newBuilder().setStringParam("x").build())
                .putParameters("ratio", InferParameter.newBuilder().setDoubleParam(0.125).build())
                .putParameters("id", InferParameter.newBuilder().setUint64Param(-1L).build())
                .build();
        InferResult result = InferResult.from(response);
        assertThat(result.parameters()).containsEntry("flag", true).containsEntry("count", -7L).containsEntry("note", "x")
                .containsEntry("ratio", 0.125).containsEntry("id", new UnsignedLong(-1L));
        assertThat(((UnsignedLong) result.parameters().get("id")).toBigInteger())
                .isEqualTo(BigInteger.TWO.pow(64).subtract(BigInteger.ONE));
    }

    @Test
    void aParameterOfAKindThisClientDoesNotKnowIsAnErrorNotADefault() throws InvalidProtocolBufferException {
        // field 15 is no kind of ours: it parses as an InferParameter with no kind set
        InferParameter unknownKind = InferParameter.parseFrom(new byte[] {(byte) (15 << 3), 1});
        ModelInferResponse response = ModelInferResponse.newBuilder().putParameters("future", unknownKind).build();
        assertThatThrownBy(() -> InferResult.from(response)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("future");
    }

    @Test
    void requestParametersOfEveryKindTravelAsTheirKind() {
        ModelInferRequest request = InferRequest.to("m").parameter("priority", new UnsignedLong(-2L)).parameter("timeout", 5)
                .parameter("temperature", 0.5).parameter("flag", false).parameter("tag", "t").toProto();
        assertThat(request.getParametersOrThrow("priority").getUint64Param()).isEqualTo(-2L);
        assertThat(request.getParametersOrThrow("timeout").getInt64Param()).isEqualTo(5);
        assertThat(request.getParametersOrThrow("temperature").getDoubleParam()).isEqualTo(0.5);
        assertThat(request.getParametersOrThrow("flag").getParameterChoiceCase()).isEqualTo(InferParameter.ParameterChoiceCase.BOOL_PARAM);
        assertThat(request.getParametersOrThrow("tag").getStringParam()).isEqualTo("t");
        assertThatThrownBy(() -> InferRequest.to("m").parameter("bad", 1.5f)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad");
    }
}
