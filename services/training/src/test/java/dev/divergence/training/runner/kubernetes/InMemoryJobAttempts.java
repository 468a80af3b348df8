package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.JobState;
import dev.divergence.training.job.Progress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.json.JsonMapper;

/**
 * An in-memory {@link JobAttemptPort}: the one seam at which the runner's tests replace our own
 * code, so that its Kubernetes side runs against the mock API server without a database. It
 * follows the lifecycle's rules that matter to the runner (a lost attempt becomes the next QUEUED
 * attempt, or FAILED after {@code maxAttempts}); {@code KubernetesRunnerIT} covers the real one.
 */
final class InMemoryJobAttempts implements JobAttemptPort {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  record Lost(UUID jobId, int attempt, String reason, String message) {}

  private final Map<UUID, Job> jobs = new ConcurrentHashMap<>();
  private final int maxAttempts;
  final List<Lost> lost = new CopyOnWriteArrayList<>();
  final List<UUID> cancelled = new CopyOnWriteArrayList<>();
  final List<UUID> silent = new CopyOnWriteArrayList<>();

  InMemoryJobAttempts(int maxAttempts) {
    this.maxAttempts = maxAttempts;
  }

  static Job job(String algorithm, JobState state, int attempt) {
    Instant now = Instant.now();
    // from JSON, as the API reads it: the spec's records may grow without this fake changing
    JobSpec spec = JSON.readValue("{\"algorithm\":\"" + algorithm
        + "\",\"model\":\"student\",\"dataset\":\"dataset\",\"budget\":{\"maxSteps\":100}}", JobSpec.class);
    return new Job(UUID.randomUUID(), "default", null, "test job", spec, state, attempt, new Progress(0, 100, null),
        null, null, now, null, null, now, null, false);
  }

  Job put(Job job) {
    jobs.put(job.id(), job);
    return job;
  }

  Job get(UUID id) {
    return jobs.get(id);
  }

  Job update(UUID id, JobState state, int attempt, boolean cancelRequested) {
    Job job = jobs.get(id);
    return put(new Job(job.id(), job.tenant(), job.idempotencyKey(), job.displayName(), job.spec(), state, attempt,
        job.progress(), job.reason(), job.message(), job.createdAt(), job.startedAt(), job.finishedAt(), Instant.now(),
        job.outputModel(), cancelRequested));
  }

  @Override
  public List<Job> queued() {
    return jobs.values().stream().filter(j -> j.state() == JobState.QUEUED && !j.cancelRequested()).toList();
  }

  @Override
  public List<Job> cancelRequested() {
    return jobs.values().stream().filter(j -> j.state() == JobState.RUNNING && j.cancelRequested()).toList();
  }

  @Override
  public List<Job> runningWithoutHeartbeatSince(Instant before) {
    return jobs.values().stream().filter(j -> j.state() == JobState.RUNNING && silent.contains(j.id())).toList();
  }

  @Override
  public Optional<Job> find(UUID jobId) {
    return Optional.ofNullable(jobs.get(jobId));
  }

  @Override
  public void cancelled(Job job) {
    cancelled.add(job.id());
    update(job.id(), JobState.CANCELLED, job.attempt(), true);
  }

  @Override
  public void attemptLost(Job job, String reason, String message) {
    lost.add(new Lost(job.id(), job.attempt(), reason, message));
    silent.remove(job.id());
    if (job.attempt() >= maxAttempts) {
      update(job.id(), JobState.FAILED, job.attempt(), false);
    } else {
      update(job.id(), JobState.QUEUED, job.attempt() + 1, false);
    }
  }
}
