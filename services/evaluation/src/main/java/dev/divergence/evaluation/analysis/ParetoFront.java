package dev.divergence.evaluation.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * The non-dominated points of a set, on point values (means) only. A point is dominated when
 * another is at least as good on every axis and strictly better on one; equal points do not
 * dominate each other, so both stay on the front. O(n² · axes), fine for the at most
 * {@link FrontierService#MAX_RUNS} runs of a frontier.
 */
public final class ParetoFront {

  private ParetoFront() {}

  /** @return the indices of the non-dominated points, in input order */
  public static List<Integer> of(List<double[]> points, List<Goal> goals) {
    for (double[] point : points) {
      if (point.length != goals.size()) {
        throw new IllegalArgumentException("every point needs " + goals.size() + " values, got " + point.length);
      }
      for (double value : point) {
        if (Double.isNaN(value)) {
          throw new IllegalArgumentException("a point value is NaN");
        }
      }
    }
    List<Integer> front = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      boolean dominated = false;
      for (int j = 0; j < points.size() && !dominated; j++) {
        dominated = j != i && dominates(points.get(j), points.get(i), goals);
      }
      if (!dominated) {
        front.add(i);
      }
    }
    return front;
  }

  static boolean dominates(double[] x, double[] y, List<Goal> goals) {
    boolean strictly = false;
    for (int k = 0; k < goals.size(); k++) {
      if (!goals.get(k).atLeastAsGood(x[k], y[k])) {
        return false;
      }
      strictly |= goals.get(k).better(x[k], y[k]);
    }
    return strictly;
  }
}
