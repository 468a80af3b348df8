package dev.divergence.training.trainer.rl;

import ai.djl.ndarray.NDArray;

/**
 * f-DPG's policy-gradient loss for a batch of proposal samples x_i ~ q:
 * loss = mean_i( w_i * -(r_i - b) * log pi_theta(x_i) ), with the importance ratio
 * w_i = pi_theta(x_i) / q(x_i) (1 on-policy) and the pseudo-reward r_i of {@link DpgDivergence}
 * minus a baseline b, both constants: its gradient is the estimate
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

  /** w_i = exp(log pi_theta(x_i) - log q(x_i)), capped at e^{@value DpgDivergence#EXP_CAP}. */
  public static double[] importance(double[] logPolicy, double[] logProposal) {
    double[] w = new double[logPolicy.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = Math.exp(Math.min(logPolicy[i] - logProposal[i], DpgDivergence.EXP_CAP));
    }
    return w;
  }
}
