package dev.divergence.training.trainer.loss;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * f-DPO (Wang et al. 2023): with sequence log-ratios r_w, r_l of the chosen and rejected answers
 * (policy minus reference, summed over the answer's tokens) and h = f'(u_w) - f'(u_l),
 * loss = -(1 - ls) log sigma(beta h) - ls log sigma(-beta h), averaged over the batch; ls is
 * label smoothing as TRL applies it to its sigmoid loss (conservative DPO). With reverse_kl this is
 * DPO exactly.
 *
 * <p>Metrics as TRL logs them: rewards/chosen and rewards/rejected are beta * r (TRL logs these
 * implicit rewards even for other divergences), rewards/margins their difference, rewards/accuracies
 * the share of pairs with chosen reward above the rejected one; next to them the f'-based scores
 * beta * f'(u) that the loss actually compares (f_scores/chosen, f_scores/rejected,
 * f_scores/margins, f_scores/accuracies).
 */
public final class FDpoLoss {

  private final FDivergence divergence;
  private final double alpha;
  private final double beta;
  private final double labelSmoothing;

  /** @param alpha the alpha-divergence's parameter in the paper's convention (TRL's is 1 - alpha) */
  public FDpoLoss(FDivergence divergence, double alpha, double beta, double labelSmoothing) {
    if (divergence == FDivergence.ALPHA && !(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1) (paper convention), got " + alpha);
    }
    if (!(beta > 0)) {
      throw new IllegalArgumentException("beta must be positive, got " + beta);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      throw new IllegalArgumentException("labelSmoothing must be in [0, 0.5), got " + labelSmoothing);
    }
    this.divergence = divergence;
    this.alpha = alpha;
    this.beta = beta;
    this.labelSmoothing = labelSmoothing;
  }

  /** The batch loss (scalar, differentiable w.r.t. the policy log-probs) and its metrics. */
  public record Result(NDArray loss, Map<String, Double> metrics) {}

  /**
   * @param policyChosen [B] log pi_theta(y_w|x), differentiable
   * @param policyRejected [B] log pi_theta(y_l|x), differentiable
   * @param referenceChosen [B] log pi_ref(y_w|x) (constant, e.g. from the cache)
   * @param referenceRejected [B] log pi_ref(y_l|x)
   */
  public Result compute(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen, NDArray referenceRejected) {
    NDArray chosenRatio = policyChosen.sub(referenceChosen.stopGradient());
    NDArray rejectedRatio = policyRejected.sub(referenceRejected.stopGradient());
    NDArray fChosen = divergence.derivative(chosenRatio, alpha);
    NDArray fRejected = divergence.derivative(rejectedRatio, alpha);
    NDArray logits = fChosen.sub(fRejected).mul((float) beta);
    NDArray perPair = FDivergence.logSigmoid(logits).mul((float) -(1 - labelSmoothing));
    if (labelSmoothing > 0) {
      perPair = perPair.sub(FDivergence.logSigmoid(logits.neg()).mul((float) labelSmoothing));
    }
    NDArray loss = perPair.mean();
    Map<String, Double> metrics = new LinkedHashMap<>();
    double[] rw = doubles(chosenRatio);
    double[] rl = doubles(rejectedRatio);
    double[] fw = doubles(fChosen);
    double[] fl = doubles(fRejected);
    addRewards(metrics, "rewards/", rw, rl, beta);
    addRewards(metrics, "f_scores/", fw, fl, beta);
    return new Result(loss, metrics);
  }

  /**
   * dLoss/d(policy sequence log-prob) of {@link #compute} in closed form, chosen then rejected
   * ([2B]): dL/dh = beta (sigma(beta h) - (1 - ls)) / B and dh/dr = +-f''(r). For losses computed
   * chunk by chunk, where the sequence log-probs are known before the gradient pass.
   */
  public double[] sequenceGradient(double[] policyChosen, double[] policyRejected, double[] referenceChosen,
      double[] referenceRejected) {
    int pairs = policyChosen.length;
    double[] out = new double[2 * pairs];
    for (int i = 0; i < pairs; i++) {
      double rw = policyChosen[i] - referenceChosen[i];
      double rl = policyRejected[i] - referenceRejected[i];
      double h = divergence.derivative(rw, alpha) - divergence.derivative(rl, alpha);
      // sigma(x) - (1 - ls) written as ls - sigma(-x): no cancellation when sigma(x) rounds to 1
      double dh = beta * (labelSmoothing - sigmoid(-beta * h)) / pairs;
      out[i] = dh * divergence.secondDerivative(rw, alpha);
      out[pairs + i] = -dh * divergence.secondDerivative(rl, alpha);
    }
    return out;
  }

  private static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  private static void addRewards(Map<String, Double> metrics, String prefix, double[] chosen, double[] rejected, double beta) {
    double c = 0;
    double r = 0;
    double accurate = 0;
    for (int i = 0; i < chosen.length; i++) {
      c += beta * chosen[i];
      r += beta * rejected[i];
      accurate += chosen[i] > rejected[i] ? 1 : 0;
    }
    int n = Math.max(chosen.length, 1);
    metrics.put(prefix + "chosen", c / n);
    metrics.put(prefix + "rejected", r / n);
    metrics.put(prefix + "margins", (c - r) / n);
    metrics.put(prefix + "accuracies", accurate / n);
  }

  private static double[] doubles(NDArray a) {
    float[] f = a.stopGradient().toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
