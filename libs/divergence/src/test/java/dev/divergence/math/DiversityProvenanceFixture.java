package dev.divergence.math;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference values of reference/diversity_provenance.json, written by
 * src/test/python/diversity_provenance_reference.py (numpy / scipy, independent of the Java code).
 */
public final class DiversityProvenanceFixture {

    private static final JsonNode ROOT = load();

    private DiversityProvenanceFixture() {
    }

    private static JsonNode load() {
        try (InputStream in = DiversityProvenanceFixture.class.getResourceAsStream("/reference/diversity_provenance.json")) {
            return JsonMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode section(String name) {
        return ROOT.get(name);
    }

    public static int[] ints(JsonNode node) {
        int[] v = new int[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asInt();
        }
        return v;
    }

    public static long[] longs(JsonNode node) {
        long[] v = new long[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asLong();
        }
        return v;
    }

    public static List<int[]> intRows(JsonNode node) {
        List<int[]> rows = new ArrayList<>();
        for (JsonNode row : node) {
            rows.add(ints(row));
        }
        return rows;
    }

    public static List<double[]> doubleRows(JsonNode node) {
        List<double[]> rows = new ArrayList<>();
        for (JsonNode row : node) {
            rows.add(Reference.vector(row));
        }
        return rows;
    }

    public static List<List<String>> stringRows(JsonNode node) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode row : node) {
            List<String> tokens = new ArrayList<>();
            for (JsonNode t : row) {
                tokens.add(t.asString());
            }
            rows.add(tokens);
        }
        return rows;
    }
}
