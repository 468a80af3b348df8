package dev.divergence.math.diversity;

import dev.divergence.math.Checks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * N-gram similarity between samples, for self-similarity and for the {@link VendiScore} of a sample set.
 *
 * <p>The similarity of two token sequences at order n is the cosine similarity of their n-gram count vectors.
 * {@link #similarityMatrix} averages it over the orders 1..maxOrder, which is the kernel of the vendi-score
 * package's {@code ngram_vendi_score(sents, ns=[1..maxOrder])} (one cosine matrix per order, then their mean);
 * {@link #similarityMatrixOfOrder} uses one order only.
 *
 * <p>Sequences without n-grams of an order (shorter than n, or empty): at that order two such sequences have
 * similarity 1 (two empty bags are the same bag) and such a sequence and one with n-grams have similarity 0.
 * This keeps the diagonal at exactly 1 and the matrix positive semi-definite (it is the Gram matrix of the
 * normalised count vectors, with every empty bag mapped to one extra unit vector orthogonal to all counts), as
 * {@link VendiScore} expects. Here it differs from the vendi-score package, whose L2 normalisation leaves an
 * empty bag at the zero vector and so puts 0 on the diagonal.
 */
public final class NGramSimilarity {

    private NGramSimilarity() {
    }

    /** Mean over the orders 1..maxOrder of the cosine similarity of n-gram counts: symmetric, unit diagonal. */
    public static double[][] similarityMatrix(List<int[]> sequences, int maxOrder) {
        check(sequences, maxOrder, "maxOrder");
        int m = sequences.size();
        double[][] sum = new double[m][m];
        for (int order = 1; order <= maxOrder; order++) {
            double[][] k = ofOrder(sequences, order);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    sum[i][j] += k[i][j];
                }
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                sum[i][j] = i == j ? 1.0 : sum[i][j] / maxOrder;
            }
        }
        return sum;
    }

    public static double[][] similarityMatrixOfStrings(List<List<String>> sequences, int maxOrder) {
        return similarityMatrix(NGrams.encode(sequences, "sequences"), maxOrder);
    }

    /** Cosine similarity of the n-gram counts of one order: symmetric, unit diagonal. */
    public static double[][] similarityMatrixOfOrder(List<int[]> sequences, int order) {
        check(sequences, order, "order");
        return ofOrder(sequences, order);
    }

    /**
     * Self-similarity of a sample set: the mean of {@link #similarityMatrix} over all ordered pairs i != j (the
     * same as over unordered pairs, the matrix being symmetric). Needs at least two samples.
     */
    public static double selfSimilarity(List<int[]> sequences, int maxOrder) {
        check(sequences, maxOrder, "maxOrder");
        if (sequences.size() < 2) {
            throw Checks.bad("sequences", "self-similarity needs at least 2 samples but has " + sequences.size());
        }
        return meanOffDiagonal(similarityMatrix(sequences, maxOrder));
    }

    public static double selfSimilarityOfStrings(List<List<String>> sequences, int maxOrder) {
        return selfSimilarity(NGrams.encode(sequences, "sequences"), maxOrder);
    }

    /** Mean of the entries off the diagonal of a square matrix with at least two rows. */
    public static double meanOffDiagonal(double[][] matrix) {
        Checks.notNull(matrix, "matrix");
        int m = matrix.length;
        if (m < 2) {
            throw Checks.bad("matrix", "needs at least 2 rows but has " + m);
        }
        double sum = 0;
        for (int i = 0; i < m; i++) {
            Checks.notNull(matrix[i], "matrix[" + i + "]");
            Checks.sameLength(m, matrix[i].length, "matrix[" + i + "]");
            for (int j = 0; j < m; j++) {
                if (i != j) {
                    sum += matrix[i][j];
                }
            }
        }
        return sum / ((double) m * (m - 1));
    }

    private static double[][] ofOrder(List<int[]> sequences, int order) {
        int m = sequences.size();
        List<Map<NGrams.Key, Integer>> counts = new ArrayList<>(m);
        double[] norms = new double[m];
        for (int i = 0; i < m; i++) {
            Map<NGrams.Key, Integer> c = NGrams.counts(sequences.get(i), order);
            counts.add(c);
            long squares = 0; // exact: counts are integers
            for (int v : c.values()) {
                squares += (long) v * v;
            }
            norms[i] = Math.sqrt((double) squares);
        }
        double[][] k = new double[m][m];
        for (int i = 0; i < m; i++) {
            k[i][i] = 1.0;
            for (int j = 0; j < i; j++) {
                double s = cosine(counts.get(i), norms[i], counts.get(j), norms[j]);
                k[i][j] = s;
                k[j][i] = s;
            }
        }
        return k;
    }

    private static double cosine(Map<NGrams.Key, Integer> a, double normA, Map<NGrams.Key, Integer> b, double normB) {
        if (a.isEmpty() || b.isEmpty()) {
            return a.isEmpty() && b.isEmpty() ? 1.0 : 0.0;
        }
        Map<NGrams.Key, Integer> small = a.size() <= b.size() ? a : b;
        Map<NGrams.Key, Integer> large = small == a ? b : a;
        long dot = 0; // exact integer dot product
        for (Map.Entry<NGrams.Key, Integer> e : small.entrySet()) {
            Integer other = large.get(e.getKey());
            if (other != null) {
                dot += (long) e.getValue() * other;
            }
        }
        return dot / (normA * normB);
    }

    private static void check(List<int[]> sequences, int order, String orderName) {
        NGrams.checkSequences(sequences, "sequences");
        if (sequences.isEmpty()) {
            throw Checks.bad("sequences", "must not be empty");
        }
        NGrams.checkOrder(order, orderName);
    }
}
