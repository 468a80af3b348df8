package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobState;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.store.JobRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * {@link JobAttemptPort} on the job store: reads through {@link JobRepository}, changes state only
 * through {@link JobLifecycle}, so the attempt history and lifecycle events stay as the local
 * runner leaves them.
 */
final class LifecycleJobAttempts implements JobAttemptPort {

  /** Identifies the runner where it, not a worker, moved a job (claim of a never-started attempt). */
  static final String RUNNER_WORKER_NAME = "kubernetes-runner";
  private static final int BATCH = 100;

  private final JobLifecycle lifecycle;
  private final JobRepository jobs;
  private final JdbcTemplate jdbc;
  private final int maxAttempts;

  LifecycleJobAttempts(JobLifecycle lifecycle, JobRepository jobs, JdbcTemplate jdbc, TrainingProperties properties) {
    this.lifecycle = lifecycle;
    this.jobs = jobs;
    this.jdbc = jdbc;
    this.maxAttempts = properties.maxAttempts();
  }

  @Override
  public List<Job> queued() {
    // JobRepository lists per tenant (the API's view); the runner serves every tenant, oldest first
    return load(jdbc.queryForList("SELECT job_id FROM training_job WHERE state = 'QUEUED' AND NOT cancel_requested"
        + " ORDER BY created_at LIMIT " + BATCH, UUID.class));
  }

  @Override
  public List<Job> cancelRequested() {
    return load(jdbc.queryForList("SELECT job_id FROM training_job WHERE state = 'RUNNING' AND cancel_requested"
        + " ORDER BY updated_at LIMIT " + BATCH, UUID.class));
  }

  @Override
  public List<Job> runningWithoutHeartbeatSince(Instant before) {
    return lifecycle.runningWithoutHeartbeatSince(before);
  }

  @Override
  public Optional<Job> find(UUID jobId) {
    return jobs.find(jobId);
  }

  @Override
  public void cancelled(Job job) {
    lifecycle.end(job, JobState.CANCELLED, "cancelled-by-user", "its Kubernetes Job was deleted");
  }

  @Override
  public void attemptLost(Job job, String reason, String message) {
    Job running = job;
    if (job.state() == JobState.QUEUED) {
      // the pod ended before its worker claimed the attempt; claiming it here lets the lifecycle
      // record and count the attempt like any other lost one
      Optional<Job> claimed = lifecycle.claim(job.id(), RUNNER_WORKER_NAME);
      if (claimed.isEmpty()) {
        return; // a worker claimed it after all, or it was cancelled: its own outcome stands
      }
      if (claimed.get().attempt() != job.attempt()) {
        // the job moved on to a newer attempt in between: that attempt is not lost; left without
        // heartbeat it is found again as a silent worker's, so say nothing more here
        return;
      }
      running = claimed.get();
    }
    lifecycle.log(running, "ERROR", message);
    lifecycle.abandon(running, reason, maxAttempts);
  }

  private List<Job> load(List<UUID> ids) {
    return ids.stream().map(jobs::find).flatMap(Optional::stream).toList();
  }
}
