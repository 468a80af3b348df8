package dev.divergence.evaluation.run;

/** Tells the local workers that a run was queued, so they need not wait for their next poll. */
public interface RunWakeUp {

  void now();
}
