package dev.divergence.training.trainer.rl;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The mean of the last {@code window} values added (all of them until the window fills). f-DPG
 * uses one for the partition function Z (the mean of P(x)/q(x) over proposal samples) and one of
 * its rewards (the baseline only with one sample per step: {@link FDpgLoss#advantages}). The running sum is recomputed from the window every
 * {@code window} additions so that float error does not accumulate over a long job.
 */
public final class MovingAverage {

  private final int window;
  private final Deque<Double> values = new ArrayDeque<>();
  private double sum;
  private long added;

  public MovingAverage(int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, got " + window);
    }
    this.window = window;
  }

  public void add(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("moving average of a non-finite value: " + value);
    }
    values.addLast(value);
    sum += value;
    if (values.size() > window) {
      sum -= values.removeFirst();
    }
    if (++added % window == 0) {
      sum = 0;
      for (double v : values) {
        sum += v;
      }
    }
  }

  public void addAll(double[] batch) {
    for (double v : batch) {
      add(v);
    }
  }

  /** The mean of the window, or {@code fallback} while it is empty. */
  public double mean(double fallback) {
    return values.isEmpty() ? fallback : sum / values.size();
  }

  public int size() {
    return values.size();
  }

  /** The values in the window, oldest first (checkpoints store them so that a resumed job continues the same average). */
  public double[] snapshot() {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** A moving average holding {@code snapshot} (the newest {@code window} of them). */
  public static MovingAverage restore(int window, double[] snapshot) {
    MovingAverage average = new MovingAverage(window);
    average.addAll(snapshot);
    return average;
  }
}
