package dev.divergence.modelserver;

import dev.divergence.proto.triton.InferParameter;
import java.util.Map;

/**
 * The sequence flags of a request, from the parameters Triton clients send: sequence_id (int64,
 * uint64 or string, as Triton accepts it: correlation ids are unsigned 64-bit there; 0 and "" mean
 * none), sequence_start and sequence_end (bool). Any other kind, including one this server's protos
 * do not know (the parameter then arrives with no kind set), is INVALID_ARGUMENT naming the field.
 */
record SequenceControl(String id, boolean start, boolean end) {

    static final String SEQUENCE_ID = "sequence_id";
    static final String SEQUENCE_START = "sequence_start";
    static final String SEQUENCE_END = "sequence_end";

    static SequenceControl from(Map<String, InferParameter> parameters) {
        String id = "";
        InferParameter sequenceId = parameters.get(SEQUENCE_ID);
        if (sequenceId != null) {
            id = switch (sequenceId.getParameterChoiceCase()) {
                case INT64_PARAM -> sequenceId.getInt64Param() == 0 ? "" : Long.toString(sequenceId.getInt64Param());
                // the same number sent as int64 or uint64 names the same sequence
                case UINT64_PARAM -> sequenceId.getUint64Param() == 0 ? "" : Long.toUnsignedString(sequenceId.getUint64Param());
                case STRING_PARAM -> sequenceId.getStringParam();
                default -> throw InferenceException.invalidArgument("sequence_id must be an int64, uint64 or string parameter, got "
                        + kind(sequenceId));
            };
        }
        return new SequenceControl(id, flag(parameters, SEQUENCE_START), flag(parameters, SEQUENCE_END));
    }

    private static boolean flag(Map<String, InferParameter> parameters, String name) {
        InferParameter value = parameters.get(name);
        if (value == null) {
            return false;
        }
        if (value.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
            throw InferenceException.invalidArgument(name + " must be a bool parameter, got " + kind(value));
        }
        return value.getBoolParam();
    }

    private static String kind(InferParameter value) {
        return value.getParameterChoiceCase() == InferParameter.ParameterChoiceCase.PARAMETERCHOICE_NOT_SET
                ? "a parameter without a value kind this server knows"
                : value.getParameterChoiceCase().name().toLowerCase(java.util.Locale.ROOT);
    }
}
