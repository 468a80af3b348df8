package dev.divergence.math.provenance;

import dev.divergence.math.Checks;

/**
 * Token counts of a reference corpus over a vocabulary (one count per token id, the array's length is the
 * vocabulary size |V|), and their Laplace-smoothed frequencies f(x) = (count(x) + 1) / (N + |V|) with N the total
 * count: the token frequency distribution of DC-PDD (Zhang et al., EMNLP 2024, section 3.2). Smoothing keeps
 * f(x) > 0 for tokens the reference corpus never saw, so -log f(x) is finite. Immutable.
 */
public final class TokenFrequencies {

    private final long[] counts;
    private final long total;
    private final double logDenominator;

    private TokenFrequencies(long[] counts, long total) {
        this.counts = counts;
        this.total = total;
        this.logDenominator = Math.log((double) total + counts.length);
    }

    /** Copies the counts; each must be >= 0, and there must be at least one token id. */
    public static TokenFrequencies ofCounts(long[] counts) {
        Checks.notNull(counts, "counts");
        if (counts.length == 0) {
            throw Checks.bad("counts", "must not be empty (one count per token id of the vocabulary)");
        }
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) {
                throw Checks.badAt("counts", i, "must not be negative but is " + counts[i]);
            }
            total = Math.addExact(total, counts[i]);
        }
        return new TokenFrequencies(counts.clone(), total);
    }

    public int vocabularySize() {
        return counts.length;
    }

    /** N, the number of tokens of the reference corpus. */
    public long total() {
        return total;
    }

    public long count(int tokenId) {
        return counts[checkId(tokenId, "tokenId")];
    }

    /** f(x) = (count(x) + 1) / (N + |V|). */
    public double smoothedFrequency(int tokenId) {
        return (counts[checkId(tokenId, "tokenId")] + 1.0) / ((double) total + counts.length);
    }

    /** -log f(x) = log(N + |V|) - log(count(x) + 1), in nats; > 0 whenever |V| > 1. */
    public double negativeLogFrequency(int tokenId) {
        return logDenominator - Math.log(counts[checkId(tokenId, "tokenId")] + 1.0);
    }

    int checkId(int tokenId, String argument) {
        if (tokenId < 0 || tokenId >= counts.length) {
            throw Checks.bad(argument, "must be a token id in [0, " + counts.length + ") but is " + tokenId);
        }
        return tokenId;
    }
}
