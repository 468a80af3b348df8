package dev.divergence.math.provenance;

import dev.divergence.math.Checks;

/**
 * Zero-shot provenance statistic: is a text consistent with having been sampled from a model?
 *
 * <p>For a text x_1..x_n and the model's next-token distributions p_i = p(. | x_&lt;i), let s_i = -log p_i(x_i)
 * (the surprisal of the observed token) and H_i = H(p_i) (the entropy of the predictive distribution), both in
 * nats. The statistic is
 * <pre>
 *   T = (1/n) sum_i s_i - (1/n) sum_i H_i      (log-perplexity minus mean predictive entropy)
 * </pre>
 * If the text was sampled from the model, E[s_i | x_&lt;i] = H_i, so the D_i = s_i - H_i are martingale
 * differences and T concentrates around 0. Human-written text usually has T well above 0 (the model finds it
 * more surprising than its own samples), greedy or low-temperature output well below 0.
 *
 * <p><b>Threshold</b> (valid for any model and any n, no asymptotics). s_i is unbounded, so it is clipped at
 * B = log(2 n V / delta), V the vocabulary size, and the clipping is shown to be invisible with probability
 * >= 1 - delta/2:
 * <ol>
 *   <li>Union bound: given the past, P(s_i > B) = sum of p_i(x) over tokens with p_i(x) &lt; e^-B, at most
 *       V e^-B; over n positions P(some s_i > B) &lt;= n V e^-B = delta / 2.</li>
 *   <li>Clipped differences D'_i = min(s_i, B) - H_i lie in [-H_i, B - H_i], an interval of length B fixed by
 *       the past. Their conditional mean mu_i = -E[(s_i - B)^+ | past] is in [-eps, 0]: (s - B)^+ is non-zero
 *       only on tokens with p &lt; e^-B, each contributing p (log(1/p) - B) &lt;= e^-(B+1) (the maximum of that
 *       function of p), so eps = V e^-(B+1) = delta / (2 e n).</li>
 *   <li>Azuma-Hoeffding (Hoeffding's lemma applied conditionally to M_i = D'_i - mu_i, range B): for
 *       tau >= 0, P(mean M >= tau) &lt;= exp(-2 n tau^2 / B^2) and the same for mean M &lt;= -tau. With
 *       tau = B sqrt(log(4 / delta) / (2 n)) each tail is delta / 4.</li>
 *   <li>mean D' &lt;= mean M and mean D' >= mean M - eps, and T = mean D' when nothing was clipped, so
 *       P(T >= tau or T &lt;= -tau - eps) &lt;= delta/2 + delta/4 + delta/4 = delta.</li>
 * </ol>
 * The text is reported consistent with the model when -tau - eps &lt; T &lt; tau; a sampled text is then
 * rejected with probability at most delta. The bound is conservative (Hoeffding with the worst-case range B);
 * it needs n of a few thousand tokens before it rejects moderate departures such as |T| = 0.2 nats.
 *
 * <p>Inputs must describe the very distribution the text is hypothesised to come from (same temperature, no
 * truncation such as top-k/top-p unless the entropies and log-probabilities are those of the truncated
 * distribution, with V its support size). A log-probability of -Infinity (a token the model cannot produce) gives
 * T = +Infinity and "not consistent".
 */
public final class ZeroShotProvenance {

    private ZeroShotProvenance() {
    }

    /**
     * @param statistic          T = meanLogPerplexity - meanEntropy
     * @param meanLogPerplexity  (1/n) sum -log p(x_i | x_&lt;i)
     * @param meanEntropy        (1/n) sum H(p(. | x_&lt;i))
     * @param tokens             n
     * @param delta              the level: a text sampled from the model is declared inconsistent w.p. <= delta
     * @param clipBound          B = log(2 n V / delta)
     * @param upperThreshold     tau = B sqrt(log(4 / delta) / (2 n))
     * @param lowerThreshold     -(tau + eps), eps = delta / (2 e n)
     * @param consistentWithModel lowerThreshold &lt; T &lt; upperThreshold
     */
    public record Result(double statistic, double meanLogPerplexity, double meanEntropy, int tokens, double delta,
                         double clipBound, double upperThreshold, double lowerThreshold, boolean consistentWithModel) {
    }

    /**
     * @param tokenLogProbabilities log p(x_i | x_&lt;i) in nats, each <= 0 or -Infinity
     * @param entropies             H(p(. | x_&lt;i)) in nats, each in [0, log V] (up to 1e-6 relative for float32
     *                              round-off)
     * @param vocabularySize        V >= 2, the number of tokens the distributions range over
     * @param delta                 in (0, 1)
     */
    public static Result test(double[] tokenLogProbabilities, double[] entropies, int vocabularySize, double delta) {
        Checks.nonEmpty(tokenLogProbabilities, "tokenLogProbabilities");
        Checks.notNull(entropies, "entropies");
        Checks.sameLength(tokenLogProbabilities.length, entropies.length, "entropies");
        if (vocabularySize < 2) {
            throw Checks.bad("vocabularySize", "must be at least 2 but is " + vocabularySize);
        }
        if (!(delta > 0 && delta < 1)) {
            throw Checks.bad("delta", "must be in (0, 1) but is " + delta);
        }
        double maxEntropy = Math.log(vocabularySize) * (1 + 1e-6);
        int n = tokenLogProbabilities.length;
        double surprisal = 0;
        double entropy = 0;
        for (int i = 0; i < n; i++) {
            double lp = tokenLogProbabilities[i];
            if (Double.isNaN(lp) || lp > 0) {
                throw Checks.badAt("tokenLogProbabilities", i, "must be a log-probability <= 0 but is " + lp);
            }
            double h = entropies[i];
            if (!(h >= 0 && h <= maxEntropy)) {
                throw Checks.badAt("entropies", i, "must be in [0, log(vocabularySize) = "
                        + Math.log(vocabularySize) + "] but is " + h);
            }
            surprisal -= lp;
            entropy += h;
        }
        double meanLogPerplexity = surprisal / n;
        double meanEntropy = entropy / n;
        double statistic = meanLogPerplexity - meanEntropy;
        double clipBound = Math.log(2.0 * n * vocabularySize / delta);
        double tau = clipBound * Math.sqrt(Math.log(4 / delta) / (2.0 * n));
        double eps = delta / (2 * Math.E * n);
        double lower = -(tau + eps);
        boolean consistent = statistic > lower && statistic < tau;
        return new Result(statistic, meanLogPerplexity, meanEntropy, n, delta, clipBound, tau, lower, consistent);
    }
}
