package dev.divergence.training.trainer.rl;

import ai.djl.ndarray.NDArray;

/**
 * f-DPG's policy-gradient loss for a batch of proposal samples x_i ~ q:
 * loss = mean_i( w_i * -(r_i - b) * log pi_theta(x_i) ), with the importance ratio
 * w_i = pi_theta(x_i) / q(x_i) (1 on-policy) and the pseudo-reward r_i of {@link DpgDivergence}
 * minus a baseline b_i ({@link #advantages}), both constants: its gradient is the estimate
 * E_q[(pi/q) f'(pi/p) grad log pi] of grad D_f(pi || p) (up to the baseline, which only lowers the
 * variance). The advantages are computed in double precision by the trainer from the sequence
 * log-probabilities it already has.
 */
public final class FDpgLoss {

  private FDpgLoss() {
  }

  /**
   * @param logPolicy [B] sequence log pi_theta(x_i), differentiable
   * @param importance [B] w_i (constant)
   * @param advantages [B] r_i - b (constant)
   */
  public static NDArray compute(NDArray logPolicy, NDArray importance, NDArray advantages) {
    return importance.stopGradient().mul(advantages.stopGradient()).neg().mul(logPolicy).mean();
  }

  /**
   * The advantages r_i - b_i of a step's samples. The baseline b_i is the importance-weighted mean reward of
   * the step's other samples, sum_{j != i} w_j r_j / sum_{j != i} w_j (leave-one-out): an estimate of the
   * current policy's expected pseudo-reward that does not depend on x_i, so the gradient stays unbiased.
   * Pseudo-rewards are functions of the current policy (r = -f'(pi/p)), so a mean over earlier steps is not
   * that estimate: after a large update, every sample's reward can saturate at one value (js: -log 2), and an
   * average still remembering better steps made every advantage negative, pushing all sampled sequences down
   * until the policy was near-uniform (the collapse of bench/RESULTS.md, claims-fdpg). With the step's own
   * samples, equal rewards give advantage 0. Only a step of one sample, which has no other, uses
   * {@code earlier}: the moving average of the earlier steps' rewards (0 advantage while it is empty).
   * The step's rewards are then added to {@code earlier} (a checkpoint keeps it).
   */
  public static double[] advantages(double[] rewards, double[] importance, MovingAverage earlier) {
    int n = rewards.length;
    double[] out = new double[n];
    if (n == 1) {
      out[0] = rewards[0] - earlier.mean(rewards[0]);
    } else {
      // the other samples' sums as prefix + suffix sums (no subtraction of a dominant weight's own term, which
      // would cancel catastrophically off-policy), of deviations from the first reward, so that equal rewards
      // give exactly advantage 0
      double shift = rewards[0];
      double[] suffixWeighted = new double[n + 1];
      double[] suffixWeights = new double[n + 1];
      for (int i = n - 1; i >= 0; i--) {
        suffixWeighted[i] = suffixWeighted[i + 1] + importance[i] * (rewards[i] - shift);
        suffixWeights[i] = suffixWeights[i + 1] + importance[i];
      }
      double prefixWeighted = 0;
      double prefixWeights = 0;
      for (int i = 0; i < n; i++) {
        double others = prefixWeights + suffixWeights[i + 1];
        // others = 0 only when every other weight is 0 (samples the policy cannot produce): no comparison, no advantage
        out[i] = others > 0 ? (rewards[i] - shift) - (prefixWeighted + suffixWeighted[i + 1]) / others : 0;
        prefixWeighted += importance[i] * (rewards[i] - shift);
        prefixWeights += importance[i];
      }
    }
    earlier.addAll(rewards);
    return out;
  }

  /** w_i = exp(log pi_theta(x_i) - log q(x_i)), capped at e^{@value DpgDivergence#EXP_CAP}. */
  public static double[] importance(double[] logPolicy, double[] logProposal) {
    double[] w = new double[logPolicy.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = Math.exp(Math.min(logPolicy[i] - logProposal[i], DpgDivergence.EXP_CAP));
    }
    return w;
  }
}
