package dev.divergence.math;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Loads the shared reference values (src/test/resources/reference/divergences.json) and compares to them. */
public final class Reference {

    private static final JsonNode ROOT = load();

    private Reference() {
    }

    private static JsonNode load() {
        try (InputStream in = Reference.class.getResourceAsStream("/reference/divergences.json")) {
            return JsonMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode root() {
        return ROOT;
    }

    /** A number, or one of the strings "Infinity", "-Infinity", "NaN" the file uses for non-finite values. */
    public static double number(JsonNode node) {
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return Double.parseDouble(node.asString());
    }

    public static double[] vector(JsonNode node) {
        double[] v = new double[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = number(node.get(i));
        }
        return v;
    }

    public static double[][] matrix(JsonNode node) {
        double[][] m = new double[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(node.get(i));
        }
        return m;
    }

    /**
     * Relative comparison: exact for infinities and zero, |actual - expected| <= rel * |expected|
     * otherwise. A reference value of exactly 0 must be reproduced exactly.
     */
    public static void assertClose(String what, double actual, double expected, double rel) {
        if (Double.isInfinite(expected) || expected == 0.0) {
            assertThat(actual).as(what).isEqualTo(expected);
            return;
        }
        assertThat(Math.abs(actual - expected))
                .as("%s: actual %s vs expected %s", what, actual, expected)
                .isLessThanOrEqualTo(rel * Math.abs(expected));
    }
}
