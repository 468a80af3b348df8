package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.job.Job;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What the Kubernetes runner reads from and tells the job lifecycle. The runner depends on this
 * seam only, so its Kubernetes-facing behaviour is tested against the mock API server with an
 * in-memory implementation instead of a database; {@link LifecycleJobAttempts} is the real one.
 */
interface JobAttemptPort {

  /** QUEUED jobs without a cancellation request: each needs a Kubernetes Job for its current attempt. */
  List<Job> queued();

  /** RUNNING jobs whose cancellation was requested: their Kubernetes Job is deleted. */
  List<Job> cancelRequested();

  /** RUNNING jobs whose worker has not sent a heartbeat since {@code before}. */
  List<Job> runningWithoutHeartbeatSince(Instant before);

  Optional<Job> find(UUID jobId);

  /** Marks a RUNNING job CANCELLED (its worker is being deleted and cannot report it). */
  void cancelled(Job job);

  /**
   * The current attempt of a QUEUED or RUNNING job ended without its worker reporting the outcome
   * (pod failed, OOM-killed, deadline, vanished node): a new attempt resumes from the last
   * checkpoint, or the job fails once its attempts are used up.
   *
   * @param reason short and machine-readable, e.g. {@code kubernetes:OOMKilled}
   * @param message what Kubernetes said, for the job's log
   */
  void attemptLost(Job job, String reason, String message);
}
