package dev.divergence.math.diversity;

import dev.divergence.math.Checks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** N-gram counting shared by {@link DistinctN} and {@link NGramSimilarity}. */
final class NGrams {

    private NGrams() {
    }

    /** One n-gram: a window of a token sequence, compared by content. */
    static final class Key {
        private final int[] tokens;
        private final int from;
        private final int length;
        private final int hash;

        Key(int[] tokens, int from, int length) {
            this.tokens = tokens;
            this.from = from;
            this.length = length;
            int h = 1;
            for (int i = from; i < from + length; i++) {
                h = 31 * h + tokens[i];
            }
            this.hash = h;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.length == length && k.hash == hash
                    && Arrays.equals(tokens, from, from + length, k.tokens, k.from, k.from + k.length);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Number of n-grams of a sequence of the given length: 0 when it is shorter than n. */
    static int count(int length, int n) {
        return Math.max(0, length - n + 1);
    }

    /** Counts of each n-gram of one sequence (empty when the sequence is shorter than n). */
    static Map<Key, Integer> counts(int[] tokens, int n) {
        Map<Key, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.length; i++) {
            counts.merge(new Key(tokens, i, n), 1, Integer::sum);
        }
        return counts;
    }

    static void checkOrder(int n, String argument) {
        Checks.positive(n, argument);
    }

    static void checkSequences(List<int[]> sequences, String argument) {
        Checks.notNull(sequences, argument);
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i) == null) {
                throw Checks.badAt(argument, i, "must not be null");
            }
        }
    }

    /**
     * Maps string tokens to ids (first appearance order) so that the string API shares the integer code:
     * two tokens get the same id exactly when {@link String#equals} holds.
     */
    static List<int[]> encode(List<List<String>> sequences, String argument) {
        Checks.notNull(sequences, argument);
        Map<String, Integer> ids = new HashMap<>();
        List<int[]> encoded = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) {
            List<String> tokens = sequences.get(i);
            if (tokens == null) {
                throw Checks.badAt(argument, i, "must not be null");
            }
            int[] row = new int[tokens.size()];
            for (int t = 0; t < row.length; t++) {
                String token = tokens.get(t);
                if (token == null) {
                    throw Checks.bad(argument + "[" + i + "][" + t + "]", "must not be null");
                }
                row[t] = ids.computeIfAbsent(token, k -> ids.size());
            }
            encoded.add(row);
        }
        return encoded;
    }
}
