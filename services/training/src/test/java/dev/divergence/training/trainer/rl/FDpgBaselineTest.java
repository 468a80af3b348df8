package dev.divergence.training.trainer.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * f-DPG's baseline ({@link FDpgLoss#advantages}). The claims bench (bench/RESULTS.md, claims-fdpg) saw kl, js
 * and tv runs collapse at rate 3e-3: after one large update the policy puts far more mass than the target on
 * every sample (log t = log pi - log p of 10 and more), so every pseudo-reward of a step saturates at the same
 * value (-log 2 for js, 0 for kl, -1/2 for tv). A step whose rewards are all equal carries no information about
 * the target; its advantages must be 0. A baseline averaged over earlier steps is not the expected reward of the
 * current policy (pseudo-rewards depend on the policy itself), so it turned those steps into a constant negative
 * advantage: every sampled sequence pushed down, step after step, until the policy was near-uniform.
 */
class FDpgBaselineTest {

  private static final double LOG_2 = Math.log(2);

  /**
   * The collapsed js run of the bench (seed 50), replayed: step 1 samples the base, 6 of 32 samples meet the
   * constraint and Z = 6/32, so they get the reward at log t = log Z and the rest js's -log 2 (mean -0.347); at
   * step 2 every sample saturates at -log 2 (violating samples: log t capped at 80; the rest far above p).
   */
  @Test
  void aStepWhoseRewardsAllSaturateHasNoAdvantageWhateverEarlierStepsEarned() {
    int n = 32;
    double z = 6.0 / 32;
    double[] first = new double[n];
    for (int i = 0; i < n; i++) {
      first[i] = DpgDivergence.JS.pseudoReward(i < 6 ? Math.log(z) : 80, 0);
    }
    // softplus(-log Z) - log 2 = log(1 + 1/Z) - log 2 for the 6; -log 2 (+ e^-80, lost in double) for the 26
    assertThat(Arrays.stream(first).average().orElseThrow()).isCloseTo((6 * Math.log(1 + 1 / z) - 32 * LOG_2) / 32, within(1e-12));
    double[] ones = new double[n];
    Arrays.fill(ones, 1);
    MovingAverage window = new MovingAverage(1024);
    FDpgLoss.advantages(first, ones, window);
    double[] saturated = new double[n];
    for (int i = 0; i < n; i++) {
      saturated[i] = DpgDivergence.JS.pseudoReward(i % 2 == 0 ? 80 : 12.5, 0);
    }
    double[] advantages = FDpgLoss.advantages(saturated, ones, window);
    // the rewards differ by at most e^-12.5 / (1 + e^-12.5) < 4e-6: so do the advantages, and they sum to 0
    for (double a : advantages) {
      assertThat(a).isCloseTo(0.0, within(4e-6));
    }
    assertThat(Arrays.stream(advantages).sum()).isCloseTo(0.0, within(1e-12));
    // every sample exactly at the cap: exactly 0, so the loss has no gradient at all
    double[] capped = new double[n];
    Arrays.fill(capped, DpgDivergence.JS.pseudoReward(80, 0));
    assertThat(FDpgLoss.advantages(capped, ones, window)).containsOnly(0.0);
  }

  /** Samples that meet the constraint (reward above the others') get positive advantages, the others negative. */
  @Test
  void samplesAboveTheOthersGetPositiveAdvantages() {
    double[] rewards = {1.0, -0.5, -0.5, -0.5};
    double[] advantages = FDpgLoss.advantages(rewards, new double[] {1, 1, 1, 1}, new MovingAverage(1024));
    // leave-one-out: 1 - (-0.5) = 1.5; -0.5 - (1 - 0.5 - 0.5) / 3 = -0.5
    assertThat(advantages[0]).isCloseTo(1.5, within(1e-15));
    for (int i = 1; i < 4; i++) {
      assertThat(advantages[i]).isCloseTo(-0.5, within(1e-15));
    }
  }

  /**
   * The baseline must not bias the gradient: E[mean_i w_i (r_i - b_i) grad log pi(x_i)] = E_q[w r grad log pi]
   * for samples x_1, x_2 drawn independently from q, enumerated exactly over all pairs of a 4-outcome space, for a
   * softmax policy pi and q != pi (importance weights w = pi/q). Leave-one-out baselines do not depend on their own
   * sample, which is what makes the two sides equal.
   */
  @Test
  void theLeaveOneOutBaselineKeepsTheGradientUnbiased() {
    long seed = 1313;
    System.out.println("FDpgBaselineTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    int k = 4;
    double[] theta = new double[k];
    double[] q = new double[k];
    double[] r = new double[k];
    double qSum = 0;
    for (int x = 0; x < k; x++) {
      theta[x] = random.nextDouble(-1, 1);
      q[x] = random.nextDouble(0.1, 1);
      qSum += q[x];
      r[x] = random.nextDouble(-2, 2);
    }
    for (int x = 0; x < k; x++) {
      q[x] /= qSum;
    }
    double[] pi = DpgObjectiveTest.logSoftmax(theta);
    for (int x = 0; x < k; x++) {
      pi[x] = Math.exp(pi[x]);
    }
    double[] expected = new double[k];
    for (int x = 0; x < k; x++) {
      for (int j = 0; j < k; j++) {
        // E_q[(pi/q) r grad_j log pi] with grad_j log pi(x) = [x == j] - pi_j
        expected[j] += pi[x] * r[x] * ((x == j ? 1 : 0) - pi[j]);
      }
    }
    double[] actual = new double[k];
    for (int x1 = 0; x1 < k; x1++) {
      for (int x2 = 0; x2 < k; x2++) {
        int[] xs = {x1, x2};
        double[] w = {pi[x1] / q[x1], pi[x2] / q[x2]};
        double[] advantages = FDpgLoss.advantages(new double[] {r[x1], r[x2]}, w, new MovingAverage(1024));
        for (int i = 0; i < 2; i++) {
          for (int j = 0; j < k; j++) {
            actual[j] += q[x1] * q[x2] * w[i] * advantages[i] * ((xs[i] == j ? 1 : 0) - pi[j]) / 2;
          }
        }
      }
    }
    for (int j = 0; j < k; j++) {
      // sums of 16 products of O(1) terms in double
      assertThat(actual[j]).as("d/dtheta_%d", j).isCloseTo(expected[j], within(1e-13));
    }
  }

  /**
   * Off-policy, one weight can dwarf the others (the cap allows e^80): each baseline is computed from the other
   * samples' own sums, not by subtracting the dominant term from the total, which would cancel to noise.
   */
  @Test
  void aDominantImportanceWeightDoesNotSwampTheOthersBaselines() {
    double[] advantages = FDpgLoss.advantages(new double[] {1, 2, 4}, new double[] {1e30, 1e-5, 2e-5}, new MovingAverage(8));
    // by hand: 1 - (1e-5 * 2 + 2e-5 * 4) / 3e-5 = 1 - 10/3; 2 - (1e30 + 8e-5) / (1e30 + 2e-5) = 1 (to 1e-34);
    // 4 - (1e30 + 2e-5) / (1e30 + 1e-5) = 3; each off by a few double roundings of O(1) values
    assertThat(advantages[0]).isCloseTo(1 - 10.0 / 3, within(1e-14));
    assertThat(advantages[1]).isCloseTo(1.0, within(1e-14));
    assertThat(advantages[2]).isCloseTo(3.0, within(1e-14));
  }

  /** A single sample per step has no other sample to compare with: the moving average of earlier steps' rewards. */
  @Test
  void aSingleSampleUsesTheMovingAverageOfEarlierRewards() {
    MovingAverage window = new MovingAverage(3);
    double[] one = {1};
    assertThat(FDpgLoss.advantages(new double[] {2.0}, one, window)).containsExactly(0.0);
    assertThat(FDpgLoss.advantages(new double[] {-1.0}, one, window)).containsExactly(-3.0);
    assertThat(FDpgLoss.advantages(new double[] {5.0}, one, window)).containsExactly(5.0 - 0.5);
    assertThat(window.size()).isEqualTo(3);
  }
}
