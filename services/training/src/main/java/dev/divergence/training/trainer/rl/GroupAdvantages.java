package dev.divergence.training.trainer.rl;

/**
 * GRPO's group-normalised advantages: the G answers to one prompt form a group and
 * A_i = (r_i - mean_group) / (std_group + eps). As TRL's GRPOTrainer: the standard deviation is the
 * sample one (n - 1 in the denominator, torch.std's default) and eps = 1e-4, so a group whose answers
 * all score the same gets advantages 0 (nothing to learn from it), never a division by zero.
 */
public final class GroupAdvantages {

  public static final double EPSILON = 1e-4;

  private GroupAdvantages() {
  }

  /**
   * @param rewards G consecutive rewards per prompt (prompt 0's group, then prompt 1's, ...)
   * @param groupSize G, at least 2
   */
  public static double[] compute(double[] rewards, int groupSize) {
    if (groupSize < 2) {
      throw new IllegalArgumentException("group size must be at least 2, got " + groupSize);
    }
    if (rewards.length % groupSize != 0) {
      throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + groupSize);
    }
    double[] advantages = new double[rewards.length];
    for (int from = 0; from < rewards.length; from += groupSize) {
      double mean = 0;
      for (int i = from; i < from + groupSize; i++) {
        mean += rewards[i];
      }
      mean /= groupSize;
      double squares = 0;
      for (int i = from; i < from + groupSize; i++) {
        squares += (rewards[i] - mean) * (rewards[i] - mean);
      }
      double std = Math.sqrt(squares / (groupSize - 1));
      for (int i = from; i < from + groupSize; i++) {
        advantages[i] = (rewards[i] - mean) / (std + EPSILON);
      }
    }
    return advantages;
  }
}
