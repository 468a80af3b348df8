package dev.divergence.training.trainer.rl;

import ai.djl.ndarray.NDArray;

/**
 * PPO's clipped surrogate as GRPO uses it, per token t of answer i:
 * loss_t = -min(rho_t A_i, clip(rho_t, 1 - eps_low, 1 + eps_high) A_i) with
 * rho_t = exp(log pi_theta(y_t) - log pi_old(y_t)); averaged over each answer's tokens, then over
 * answers (the GRPO paper's aggregation). The clip ratio metric is the share of real tokens whose
 * gradient the clip removes: rho below 1 - eps_low with A &lt; 0, or above 1 + eps_high with A &gt; 0
 * (as TRL counts it).
 */
public final class ClippedPolicyLoss {

  private final double epsilonLow;
  private final double epsilonHigh;

  public ClippedPolicyLoss(double epsilonLow, double epsilonHigh) {
    if (!(epsilonLow > 0) || !(epsilonHigh > 0)) {
      throw new IllegalArgumentException("clip ratios must be positive, got " + epsilonLow + " and " + epsilonHigh);
    }
    this.epsilonLow = epsilonLow;
    this.epsilonHigh = epsilonHigh;
  }

  /** The loss (scalar, differentiable in the policy log-probs) and the clip ratio. */
  public record Result(NDArray loss, double clipRatio) {}

  /**
   * @param logPolicy [B, T] log pi_theta of the sampled tokens, differentiable
   * @param logOld [B, T] log pi_old of the same tokens (the policy that sampled them; constant)
   * @param advantages [B] one advantage per answer
   * @param mask [B, T] 1 on the answer's tokens, 0 on prompt and padding; every row needs a 1
   */
  public Result compute(NDArray logPolicy, NDArray logOld, NDArray advantages, NDArray mask) {
    NDArray m = mask.toType(logPolicy.getDataType(), false);
    NDArray ratio = logPolicy.sub(logOld.stopGradient()).exp();
    NDArray a = advantages.stopGradient().expandDims(1);
    NDArray unclipped = ratio.mul(a);
    NDArray clipped = ratio.clip(1 - epsilonLow, 1 + epsilonHigh).mul(a);
    NDArray perToken = unclipped.minimum(clipped).neg().mul(m);
    NDArray tokens = m.sum(new int[] {1});
    NDArray loss = perToken.sum(new int[] {1}).div(tokens).mean();
    NDArray r = ratio.stopGradient();
    NDArray low = r.lt(1 - epsilonLow).logicalAnd(a.lt(0).broadcast(r.getShape()));
    NDArray high = r.gt(1 + epsilonHigh).logicalAnd(a.gt(0).broadcast(r.getShape()));
    double clippedTokens = low.logicalOr(high).toType(m.getDataType(), false).mul(m).sum().getFloat();
    return new Result(loss, clippedTokens / m.sum().getFloat());
  }
}
