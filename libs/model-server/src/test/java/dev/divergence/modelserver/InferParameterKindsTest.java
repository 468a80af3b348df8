package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.divergence.proto.triton.InferParameter;
import io.grpc.Status;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server reads every InferParameter kind Triton defines (bool, int64, string, double, uint64)
 * as Triton does, and rejects the kinds a field does not take with INVALID_ARGUMENT naming it.
 */
class InferParameterKindsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void sequenceIdSentAsUint64IsTheUnsignedNumber() {
        // 2^64 - 1: Triton's largest correlation id, -1 as a Java long
        SequenceControl control = SequenceControl.from(Map.of("sequence_id", InferParameter.newBuilder().setUint64Param(-1L).build(),
                "sequence_start", InferParameter.newBuilder().setBoolParam(true).build()));
        assertThat(control.id()).isEqualTo("18446744073709551615");
        assertThat(control.start()).isTrue();
        // the same number as int64 or uint64 names the same sequence; 0 means none in both
        assertThat(SequenceControl.from(Map.of("sequence_id", InferParameter.newBuilder().setUint64Param(42).build())).id())
                .isEqualTo(SequenceControl.from(Map.of("sequence_id", InferParameter.newBuilder().setInt64Param(42).build())).id())
                .isEqualTo("42");
        assertThat(SequenceControl.from(Map.of("sequence_id", InferParameter.newBuilder().setUint64Param(0).build())).id()).isEmpty();
    }

    @Test
    void sequenceParametersOfAnotherKindAreInvalidArgumentsNamingTheField() throws InvalidProtocolBufferException {
        assertInvalid(Map.of("sequence_id", InferParameter.newBuilder().setDoubleParam(7.0).build()), "sequence_id", "double_param");
        assertInvalid(Map.of("sequence_start", InferParameter.newBuilder().setUint64Param(1).build()), "sequence_start", "uint64_param");
        // field 15 is no kind of ours: such a parameter parses with no kind set and must not read as "no sequence"
        InferParameter unknownKind = InferParameter.parseFrom(new byte[] {(byte) (15 << 3), 1});
        assertThat(unknownKind.getParameterChoiceCase()).isEqualTo(InferParameter.ParameterChoiceCase.PARAMETERCHOICE_NOT_SET);
        assertInvalid(Map.of("sequence_id", unknownKind), "sequence_id", "without a value kind");
    }

    @Test
    void restParametersBecomeTheKindsTritonsHttpFrontendGivesThem() {
        assertThat(RestEndpoint.parameter("p", JSON.readTree("true")).getBoolParam()).isTrue();
        assertThat(RestEndpoint.parameter("p", JSON.readTree("-3")).getInt64Param()).isEqualTo(-3);
        assertThat(RestEndpoint.parameter("p", JSON.readTree("9223372036854775807")).getInt64Param()).isEqualTo(Long.MAX_VALUE);
        InferParameter huge = RestEndpoint.parameter("p", JSON.readTree("18446744073709551615"));
        assertThat(huge.getParameterChoiceCase()).isEqualTo(InferParameter.ParameterChoiceCase.UINT64_PARAM);
        assertThat(Long.toUnsignedString(huge.getUint64Param())).isEqualTo("18446744073709551615");
        InferParameter fraction = RestEndpoint.parameter("p", JSON.readTree("0.25"));
        assertThat(fraction.getParameterChoiceCase()).isEqualTo(InferParameter.ParameterChoiceCase.DOUBLE_PARAM);
        assertThat(fraction.getDoubleParam()).isEqualTo(0.25);
        assertThat(RestEndpoint.parameter("p", JSON.readTree("\"x\"")).getStringParam()).isEqualTo("x");
        assertThatThrownBy(() -> RestEndpoint.parameter("priority", JSON.readTree("18446744073709551616")))
                .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageContaining("priority");
        assertThatThrownBy(() -> RestEndpoint.parameter("priority", JSON.readTree("-9223372036854775809")))
                .isInstanceOf(InferenceException.class).hasMessageContaining("priority");
        assertThatThrownBy(() -> RestEndpoint.parameter("priority", JSON.readTree("[1]")))
                .isInstanceOf(InferenceException.class).hasMessageContaining("priority");
    }

    private static void assertInvalid(Map<String, InferParameter> parameters, String field, String detail) {
        assertThatThrownBy(() -> SequenceControl.from(parameters))
                .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessageContaining(field).hasMessageContaining(detail);
    }
}
