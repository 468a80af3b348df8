package dev.divergence.platform.events;

/** The platform's Kafka topics: versioned names, keyed by aggregate id (ARCHITECTURE.md, Contracts). */
public final class Topics {

  public static final String TRAINING_JOB_EVENTS = "training.job-events.v1";
  public static final String TRAINING_METRICS = "training.metrics.v1";
  public static final String MODELS_REGISTRY = "models.registry.v1";
  public static final String EVALUATION_EVENTS = "evaluation.events.v1";
  public static final String MERGING_EVENTS = "merging.events.v1";

  private Topics() {}
}
