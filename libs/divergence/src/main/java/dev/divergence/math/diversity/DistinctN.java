package dev.divergence.math.diversity;

import dev.divergence.math.Checks;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * distinct-n of Li et al. (2016, "A Diversity-Promoting Objective Function for Neural Conversation Models"):
 * the number of distinct n-grams divided by the total number of n-grams, in [0, 1].
 *
 * <ul>
 *   <li>{@link #corpus}: over the whole sample set (the paper's definition): distinct n-grams of all samples
 *       together over all n-grams of all samples.</li>
 *   <li>{@link #meanPerSample}: distinct-n of each sample on its own, averaged over samples.</li>
 * </ul>
 *
 * <p>Short sequences: a sequence with fewer than n tokens has no n-gram; it adds nothing to the corpus counts, and
 * its own per-sample value is 0 and still counts in the mean (an empty or truncated output is not diverse, and a
 * mean that skipped it would reward producing nothing). When no sample has an n-gram at all the corpus value is
 * 0 (0 distinct out of 0, reported as {@code distinct = total = 0}). An empty sample set is rejected.
 */
public final class DistinctN {

    private DistinctN() {
    }

    /** Corpus-level distinct-n with its counts; {@code ratio} = distinct / total, 0 when total is 0. */
    public record Ratio(long distinct, long total, double ratio) {
    }

    public static Ratio corpus(List<int[]> sequences, int n) {
        check(sequences, n);
        Set<NGrams.Key> distinct = new HashSet<>();
        long total = 0;
        for (int[] tokens : sequences) {
            for (int i = 0; i + n <= tokens.length; i++) {
                distinct.add(new NGrams.Key(tokens, i, n));
            }
            total += NGrams.count(tokens.length, n);
        }
        return new Ratio(distinct.size(), total, total == 0 ? 0.0 : (double) distinct.size() / total);
    }

    public static Ratio corpusOfStrings(List<List<String>> sequences, int n) {
        return corpus(NGrams.encode(sequences, "sequences"), n);
    }

    /** distinct-n of one sequence: 0 when it is shorter than n. */
    public static double ofSequence(int[] tokens, int n) {
        Checks.notNull(tokens, "tokens");
        NGrams.checkOrder(n, "n");
        int total = NGrams.count(tokens.length, n);
        return total == 0 ? 0.0 : (double) NGrams.counts(tokens, n).size() / total;
    }

    /** Mean over samples of each sample's own distinct-n (samples shorter than n count as 0). */
    public static double meanPerSample(List<int[]> sequences, int n) {
        check(sequences, n);
        double sum = 0;
        for (int[] tokens : sequences) {
            sum += ofSequence(tokens, n);
        }
        return sum / sequences.size();
    }

    public static double meanPerSampleOfStrings(List<List<String>> sequences, int n) {
        return meanPerSample(NGrams.encode(sequences, "sequences"), n);
    }

    private static void check(List<int[]> sequences, int n) {
        NGrams.checkSequences(sequences, "sequences");
        if (sequences.isEmpty()) {
            throw Checks.bad("sequences", "must not be empty");
        }
        NGrams.checkOrder(n, "n");
    }
}
