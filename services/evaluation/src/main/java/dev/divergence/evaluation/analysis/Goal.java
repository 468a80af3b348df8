package dev.divergence.evaluation.analysis;

/** Which way an axis of the frontier is better. */
public enum Goal {
  MAXIMISE,
  MINIMISE;

  public String apiName() {
    return name().toLowerCase();
  }

  /** True when {@code x} is at least as good as {@code y}. */
  boolean atLeastAsGood(double x, double y) {
    return this == MAXIMISE ? x >= y : x <= y;
  }

  boolean better(double x, double y) {
    return this == MAXIMISE ? x > y : x < y;
  }
}
