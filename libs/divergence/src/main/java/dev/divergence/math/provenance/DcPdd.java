package dev.divergence.math.provenance;

import dev.divergence.math.Checks;

import java.util.HashSet;
import java.util.Set;

/**
 * DC-PDD, the divergence-based calibration score for pretraining-data detection of Zhang, Zhang, Guo, de Rijke,
 * Fan and Cheng, "Pretraining Data Detection for Large Language Models: A Divergence-based Calibration Method"
 * (EMNLP 2024, arXiv:2409.14781), as defined in the paper and in the authors' scripts (github.com/zhang-wei-chao/DC-PDD).
 *
 * <p>For a text x_1..x_n scored by the model M (p_i = p(x_i | x_&lt;i; M), the probability of the observed token)
 * and a reference corpus with Laplace-smoothed token frequencies f ({@link TokenFrequencies}):
 * <ol>
 *   <li>alpha_i = -p_i log f(x_i): the token's term of the cross-entropy between the token probability
 *       distribution and the token frequency distribution;</li>
 *   <li>only the first occurrence of each token id counts (the set FOS of the paper): repeated tokens are
 *       predictable from the context and would inflate the score;</li>
 *   <li>each alpha_i is clipped from above at the hyperparameter a: min(alpha_i, a), so that no single token
 *       dominates;</li>
 *   <li>the score is the mean of the clipped values over FOS: beta = (1 / |FOS|) sum_{i in FOS} min(alpha_i, a).</li>
 * </ol>
 * Higher scores mean "more likely in the pretraining data" (the paper's orientation; the authors' evaluation
 * script negates the score only because its ROC helper expects larger values for non-members).
 * {@link #DEFAULT_A} = 0.01 is the authors' default ({@code --a 0.01}); the paper tunes a per data set.
 *
 * <p>Inputs are natural-log probabilities as a scoring endpoint returns them; a log-probability of -Infinity
 * (probability 0) is allowed and gives alpha = 0. The first token of a text has no model probability unless the
 * caller scored it after a BOS token: pass the positions that were scored, aligned with their token ids.
 */
public final class DcPdd {

    /** The authors' default clipping bound a. */
    public static final double DEFAULT_A = 0.01;

    private DcPdd() {
    }

    /**
     * The score and what it is built from.
     *
     * @param score              beta, the mean of {@code clippedAlphas}
     * @param a                  the clipping bound used
     * @param positions          indices (into the input) of the first occurrences of each token id, ascending
     * @param tokenProbabilities p_i = exp(log p_i) at those positions
     * @param negativeLogFrequencies -log f(x_i) at those positions
     * @param alphas             alpha_i = p_i (-log f(x_i)) before clipping
     * @param clippedAlphas      min(alpha_i, a)
     * @param clippedCount       how many alphas exceeded a
     */
    public record Result(double score, double a, int[] positions, double[] tokenProbabilities,
                         double[] negativeLogFrequencies, double[] alphas, double[] clippedAlphas, int clippedCount) {
    }

    public static Result score(double[] tokenLogProbabilities, int[] tokenIds, TokenFrequencies frequencies) {
        return score(tokenLogProbabilities, tokenIds, frequencies, DEFAULT_A);
    }

    /**
     * @param tokenLogProbabilities log p(x_i | x_&lt;i) in nats, one per scored token, each <= 0 (or -Infinity)
     * @param tokenIds              x_i, aligned with the log-probabilities, each in [0, vocabulary size)
     * @param frequencies           the reference corpus' token counts
     * @param a                     the clipping bound, > 0
     */
    public static Result score(double[] tokenLogProbabilities, int[] tokenIds, TokenFrequencies frequencies, double a) {
        Checks.nonEmpty(tokenLogProbabilities, "tokenLogProbabilities");
        Checks.notNull(tokenIds, "tokenIds");
        Checks.sameLength(tokenLogProbabilities.length, tokenIds.length, "tokenIds");
        Checks.notNull(frequencies, "frequencies");
        Checks.positive(a, "a");
        for (int i = 0; i < tokenLogProbabilities.length; i++) {
            double lp = tokenLogProbabilities[i];
            if (Double.isNaN(lp) || lp > 0 || lp == Double.POSITIVE_INFINITY) {
                throw Checks.badAt("tokenLogProbabilities", i, "must be a log-probability <= 0 but is " + lp);
            }
            if (tokenIds[i] < 0 || tokenIds[i] >= frequencies.vocabularySize()) {
                throw Checks.badAt("tokenIds", i, "must be a token id in [0, " + frequencies.vocabularySize()
                        + ") but is " + tokenIds[i]);
            }
        }
        Set<Integer> seen = new HashSet<>();
        int[] first = new int[tokenIds.length];
        int m = 0;
        for (int i = 0; i < tokenIds.length; i++) {
            if (seen.add(tokenIds[i])) {
                first[m++] = i;
            }
        }
        int[] positions = java.util.Arrays.copyOf(first, m);
        double[] probabilities = new double[m];
        double[] negLogF = new double[m];
        double[] alphas = new double[m];
        double[] clipped = new double[m];
        int clippedCount = 0;
        double sum = 0;
        for (int k = 0; k < m; k++) {
            int i = positions[k];
            probabilities[k] = Math.exp(tokenLogProbabilities[i]);
            negLogF[k] = frequencies.negativeLogFrequency(tokenIds[i]);
            alphas[k] = probabilities[k] * negLogF[k];
            if (alphas[k] > a) {
                clipped[k] = a;
                clippedCount++;
            } else {
                clipped[k] = alphas[k];
            }
            sum += clipped[k];
        }
        return new Result(sum / m, a, positions, probabilities, negLogF, alphas, clipped, clippedCount);
    }
}
