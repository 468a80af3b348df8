package dev.divergence.training.trainer.rl;

/**
 * f-DPG's progress metrics estimated from proposal samples x_i ~ q, as the papers log them. With
 * the normalised target p = P / Z, policy pi and base a, every estimate is a mean over the samples
 * of an importance-weighted term, unbiased when Z is exact:
 * <ul>
 *   <li>KL(p || pi) = E_q[(p/q) (log p - log pi)]</li>
 *   <li>KL(pi || a) = E_q[(pi/q) (log pi - log a)]</li>
 *   <li>TV(p, pi) = E_q[|p - pi| / q] / 2</li>
 *   <li>JS(p, pi) = E_q[(p/q) log(2p / (p + pi)) + (pi/q) log(2pi / (p + pi))] / 2 (with the 1/2:
 *       at most log 2, scipy's convention squared)</li>
 *   <li>E_pi[b] = E_q[(pi/q) b] for a pointwise constraint b in {0, 1} (constraint satisfaction)</li>
 *   <li>Z = E_q[P/q], the partition function's one-batch estimate</li>
 * </ul>
 * All inputs are natural-log probabilities of the same samples; -infinity is allowed for log P
 * (a sample the constraint rejects) and gives the limit of each term.
 */
public final class ImportanceSampledDivergences {

  private static final double LOG_2 = Math.log(2);

  private ImportanceSampledDivergences() {
  }

  /** Z = mean of P(x_i) / q(x_i). */
  public static double partition(double[] logTarget, double[] logProposal) {
    requireSameLength(logTarget, logProposal);
    double sum = 0;
    for (int i = 0; i < logTarget.length; i++) {
      sum += Math.exp(logTarget[i] - logProposal[i]);
    }
    return sum / logTarget.length;
  }

  /** KL(p || pi) with p = P / Z. */
  public static double klTargetPolicy(double[] logTarget, double logZ, double[] logPolicy, double[] logProposal) {
    requireSameLength(logTarget, logPolicy, logProposal);
    double sum = 0;
    for (int i = 0; i < logTarget.length; i++) {
      double logP = logTarget[i] - logZ;
      if (logP == Double.NEGATIVE_INFINITY) {
        continue; // p log p -> 0
      }
      sum += Math.exp(logP - logProposal[i]) * (logP - logPolicy[i]);
    }
    return sum / logTarget.length;
  }

  /** KL(pi || a). */
  public static double klPolicyBase(double[] logPolicy, double[] logBase, double[] logProposal) {
    requireSameLength(logPolicy, logBase, logProposal);
    double sum = 0;
    for (int i = 0; i < logPolicy.length; i++) {
      sum += Math.exp(logPolicy[i] - logProposal[i]) * (logPolicy[i] - logBase[i]);
    }
    return sum / logPolicy.length;
  }

  /** TV(p, pi) = sum |p - pi| / 2. */
  public static double tv(double[] logTarget, double logZ, double[] logPolicy, double[] logProposal) {
    requireSameLength(logTarget, logPolicy, logProposal);
    double sum = 0;
    for (int i = 0; i < logTarget.length; i++) {
      sum += Math.abs(Math.exp(logTarget[i] - logZ - logProposal[i]) - Math.exp(logPolicy[i] - logProposal[i]));
    }
    return sum / (2.0 * logTarget.length);
  }

  /** JS(p, pi) with the 1/2 (bounded by log 2). */
  public static double js(double[] logTarget, double logZ, double[] logPolicy, double[] logProposal) {
    requireSameLength(logTarget, logPolicy, logProposal);
    double sum = 0;
    for (int i = 0; i < logTarget.length; i++) {
      double logP = logTarget[i] - logZ;
      double logPi = logPolicy[i];
      double logMix = logMeanExp(logP, logPi); // log((p + pi) / 2)
      double term = 0;
      if (logP != Double.NEGATIVE_INFINITY) {
        term += Math.exp(logP - logProposal[i]) * (logP - logMix);
      }
      if (logPi != Double.NEGATIVE_INFINITY) {
        term += Math.exp(logPi - logProposal[i]) * (logPi - logMix);
      }
      sum += term;
    }
    return sum / (2.0 * logTarget.length);
  }

  /** E_pi[b] for b in {0, 1}. */
  public static double constraintSatisfaction(boolean[] satisfied, double[] logPolicy, double[] logProposal) {
    if (satisfied.length != logPolicy.length) {
      throw new IllegalArgumentException("satisfied has " + satisfied.length + " entries for " + logPolicy.length + " samples");
    }
    requireSameLength(logPolicy, logProposal);
    double sum = 0;
    for (int i = 0; i < satisfied.length; i++) {
      sum += satisfied[i] ? Math.exp(logPolicy[i] - logProposal[i]) : 0;
    }
    return sum / satisfied.length;
  }

  /** log((e^a + e^b) / 2), stable; -infinity only when both are. */
  static double logMeanExp(double a, double b) {
    double max = Math.max(a, b);
    if (max == Double.NEGATIVE_INFINITY) {
      return max;
    }
    return max + Math.log(Math.exp(a - max) + Math.exp(b - max)) - LOG_2;
  }

  private static void requireSameLength(double[] first, double[]... others) {
    if (first.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    for (double[] o : others) {
      if (o.length != first.length) {
        throw new IllegalArgumentException("inputs have " + first.length + " and " + o.length + " samples");
      }
    }
  }
}
