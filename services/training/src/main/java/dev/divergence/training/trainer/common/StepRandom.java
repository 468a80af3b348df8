package dev.divergence.training.trainer.common;

import dev.divergence.model.training.Seeds;
import java.util.SplittableRandom;

/**
 * Randomness as a function of (seed, step, purpose): a run resumed at step s draws exactly what the
 * uninterrupted run drew at step s, with no generator state to save.
 */
public final class StepRandom {

  private StepRandom() {
  }

  public static SplittableRandom at(long seed, long step, int purpose) {
    return new SplittableRandom(mix(mix(seed) ^ (step * 0x9E3779B97F4A7C15L) ^ purpose));
  }

  /** Row indices of examples {@code from .. from+count-1} of an endless, per-epoch shuffled stream. */
  public static int[] rows(long seed, int datasetSize, long from, int count) {
    int[] rows = new int[count];
    int[] order = null;
    long orderEpoch = -1;
    for (int i = 0; i < count; i++) {
      long position = from + i;
      long epoch = position / datasetSize;
      if (epoch != orderEpoch) {
        order = Seeds.permutation(datasetSize, new SplittableRandom(mix(seed ^ (epoch + 1) * 0xBF58476D1CE4E5B9L)));
        orderEpoch = epoch;
      }
      rows[i] = order[(int) (position % datasetSize)];
    }
    return rows;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
