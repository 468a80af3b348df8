package dev.divergence.merging.experiment;

/** Tells the local workers that an experiment was queued, so they need not wait for their next poll. */
public interface ExperimentWakeUp {

  void now();
}
