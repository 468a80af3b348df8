package dev.divergence.merging.experiment;

/** Evaluations done (one method on one split for one seed; a WiSE-FT sweep counts each alpha) out of the total. */
public record ExperimentProgress(long done, long total) {

  public static final ExperimentProgress NONE = new ExperimentProgress(0, 0);

  public double percent() {
    return total <= 0 ? 0 : Math.min(100.0, 100.0 * done / total);
  }
}
