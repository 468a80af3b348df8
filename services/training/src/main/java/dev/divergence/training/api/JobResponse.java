package dev.divergence.training.api;

import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobSpec;
import java.time.Instant;

/** A job as REST clients see it. */
public record JobResponse(
    String jobId,
    String displayName,
    String state,
    int attempt,
    ProgressView progress,
    String reason,
    String message,
    JobSpec spec,
    String outputModel,
    boolean cancelRequested,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    Instant updatedAt) {

  public record ProgressView(long step, long totalSteps, double percent, Double etaSeconds) {}

  static JobResponse of(Job job) {
    var p = job.progress();
    return new JobResponse(job.id().toString(), job.displayName(), job.state().name(), job.attempt(),
        new ProgressView(p.step(), p.totalSteps(), p.percent(), p.etaSeconds()), job.reason(), job.message(), job.spec(),
        job.outputModel(), job.cancelRequested(), job.createdAt(), job.startedAt(), job.finishedAt(), job.updatedAt());
  }
}
