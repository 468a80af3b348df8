package dev.divergence.modelserver.client;

import dev.divergence.proto.triton.InferParameter;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Java values of Triton's InferParameter and back. The five kinds map to {@link Boolean},
 * {@link Long} (int64), {@link String}, {@link Double} and {@link UnsignedLong} (uint64, whose
 * values above 2^63 - 1 a Java long would show as negative). A parameter without a kind, which is
 * how a kind newer than this client's protos arrives, is an error rather than a silent default.
 */
public final class InferParameters {

    /** A uint64 parameter: {@code bits} holds the unsigned value's 64 bits. */
    public record UnsignedLong(long bits) {

        public BigInteger toBigInteger() {
            return new BigInteger(Long.toUnsignedString(bits));
        }

        @Override
        public String toString() {
            return Long.toUnsignedString(bits);
        }
    }

    private InferParameters() {
    }

    public static Object value(String name, InferParameter parameter) {
        return switch (parameter.getParameterChoiceCase()) {
            case BOOL_PARAM -> parameter.getBoolParam();
            case INT64_PARAM -> parameter.getInt64Param();
            case STRING_PARAM -> parameter.getStringParam();
            case DOUBLE_PARAM -> parameter.getDoubleParam();
            case UINT64_PARAM -> new UnsignedLong(parameter.getUint64Param());
            case PARAMETERCHOICE_NOT_SET -> throw new IllegalArgumentException("parameter '" + name
                    + "' has no value of a kind this client knows (bool, int64, string, double, uint64)");
        };
    }

    /** Every parameter of a request or response as its Java value, in the map's order. */
    public static Map<String, Object> values(Map<String, InferParameter> parameters) {
        Map<String, Object> out = new LinkedHashMap<>();
        parameters.forEach((name, parameter) -> out.put(name, value(name, parameter)));
        return out;
    }

    public static InferParameter of(String name, Object value) {
        InferParameter.Builder parameter = InferParameter.newBuilder();
        switch (value) {
            case Boolean b -> parameter.setBoolParam(b);
            case Long l -> parameter.setInt64Param(l);
            case Integer i -> parameter.setInt64Param(i);
            case String s -> parameter.setStringParam(s);
            case Double d -> parameter.setDoubleParam(d);
            case UnsignedLong u -> parameter.setUint64Param(u.bits());
            case null, default -> throw new IllegalArgumentException("parameter '" + name
                    + "' must be a Boolean, Long, Integer, String, Double or UnsignedLong, got " + value);
        }
        return parameter.build();
    }
}
