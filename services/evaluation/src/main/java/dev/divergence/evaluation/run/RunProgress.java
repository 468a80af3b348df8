package dev.divergence.evaluation.run;

/** Units of work done (model calls' worth of prompts or records) out of the run's total. */
public record RunProgress(long done, long total) {

  public static final RunProgress NONE = new RunProgress(0, 0);

  public double percent() {
    return total <= 0 ? 0 : Math.min(100.0, 100.0 * done / total);
  }
}
