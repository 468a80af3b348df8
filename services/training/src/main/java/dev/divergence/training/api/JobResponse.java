package dev.divergence.training.api;

import dev.divergence.training.job.Job;
import java.time.Instant;
import java.util.Map;

/** A job as REST clients see it. */
public record JobResponse(
    String jobId, String displayName, String state, int attempt, Spec spec, Instant createdAt, Instant updatedAt) {

  public record Spec(
      String algorithm, String divergence, String baseModel, String teacherModel, String dataset, long maxSteps,
      Map<String, Double> parameters) {}

  static JobResponse of(Job job) {
    var spec = job.spec();
    return new JobResponse(job.id().toString(), job.displayName(), job.state().name(), job.attempt(),
        new Spec(spec.algorithm(), spec.divergence(), spec.baseModel(), spec.teacherModel(), spec.dataset(),
            spec.maxSteps(), spec.parameters()),
        job.createdAt(), job.updatedAt());
  }
}
