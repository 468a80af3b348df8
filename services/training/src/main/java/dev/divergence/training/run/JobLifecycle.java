package dev.divergence.training.run;

import dev.divergence.training.events.JobEventPublisher;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobState;
import dev.divergence.training.job.Progress;
import dev.divergence.training.metrics.TrainingMetrics;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.registry.RegisteredModel;
import dev.divergence.training.store.JobHistoryRepository;
import dev.divergence.training.store.JobRepository;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The runner's side of the lifecycle. Each method is one transaction: the job row, the attempt
 * history and the lifecycle event change together.
 */
@Component
public class JobLifecycle {

  private final JobRepository jobs;
  private final JobHistoryRepository history;
  private final JobEventPublisher events;
  private final ModelRegistry models;
  private final Clock clock;
  private final TrainingMetrics metrics;

  public JobLifecycle(JobRepository jobs, JobHistoryRepository history, JobEventPublisher events, ModelRegistry models,
      Clock clock, TrainingMetrics metrics) {
    this.metrics = metrics;
    this.jobs = jobs;
    this.history = history;
    this.events = events;
    this.models = models;
    this.clock = clock;
  }

  @Transactional
  public Optional<Job> claimNext(String worker) {
    return started(jobs.claimNext(worker, now()), worker);
  }

  @Transactional
  public Optional<Job> claim(UUID jobId, String worker) {
    return started(jobs.claim(jobId, worker, now()), worker);
  }

  private Optional<Job> started(Optional<Job> claimed, String worker) {
    claimed.ifPresent(job -> {
      history.attemptStarted(job.id(), job.attempt(), worker, now());
      history.log(job.id(), job.attempt(), "INFO", "attempt " + job.attempt() + " started on " + worker, now());
      events.stateChanged(job, JobState.QUEUED);
    });
    return claimed;
  }

  /** Progress of every step; metrics too when {@code publish}. */
  @Transactional
  public void step(Job job, Progress progress, Map<String, Double> metrics, boolean publish) {
    Instant now = now();
    jobs.progress(job.id(), progress, now);
    if (publish && !metrics.isEmpty()) {
      history.metrics(job.id(), job.attempt(), progress.step(), metrics);
      events.stepMetrics(job.id(), job.attempt(), progress.step(), metrics, now);
    }
  }

  @Transactional
  public void log(Job job, String level, String message) {
    history.log(job.id(), job.attempt(), level, message, now());
  }

  /** Registers the produced model (once per job) and marks the job SUCCEEDED. */
  @Transactional
  public RegisteredModel succeed(Job job, String modelName, Path modelDir, ModelRegistry.Lineage lineage,
      Map<String, Double> finalMetrics) {
    RegisteredModel model = models.registerProduced(job.id(), modelName, modelDir, lineage, finalMetrics);
    Instant now = now();
    jobs.succeed(job.id(), model.reference(), now);
    history.attemptEnded(job.id(), job.attempt(), "SUCCEEDED", "completed", null, now);
    history.log(job.id(), job.attempt(), "INFO", "succeeded; registered model " + model.reference(), now);
    events.stateChanged(jobs.find(job.id()).orElseThrow(), JobState.RUNNING);
    metrics.jobEnded(job, JobState.SUCCEEDED);
    return model;
  }

  @Transactional
  public void end(Job job, JobState state, String reason, String message) {
    endIfRunning(job, state, reason, message);
  }

  /** @return whether the job was still RUNNING and now ended (another worker or reaper may have been first) */
  private boolean endIfRunning(Job job, JobState state, String reason, String message) {
    Instant now = now();
    if (jobs.transition(job.id(), JobState.RUNNING, state, reason, message, now)) {
      history.attemptEnded(job.id(), job.attempt(), state.name(), reason, message, now);
      history.log(job.id(), job.attempt(), state == JobState.FAILED ? "ERROR" : "INFO",
          state.name().toLowerCase() + ": " + reason + (message == null ? "" : " — " + message), now);
      events.stateChanged(jobs.find(job.id()).orElseThrow(), JobState.RUNNING);
      metrics.jobEnded(job, state);
      return true;
    }
    return false;
  }

  /** One step of {@code job}'s attempt took {@code duration} (a meter only; nothing is stored). */
  public void stepTook(Job job, Duration duration) {
    metrics.stepTook(job.spec().algorithm(), duration);
  }

  /**
   * A RUNNING attempt that cannot go on here (its worker vanished or is shutting down) becomes a
   * new QUEUED attempt that resumes from the last checkpoint; after {@code maxAttempts} it fails.
   */
  @Transactional
  public void abandon(Job job, String reason, int maxAttempts) {
    Instant now = now();
    history.attemptEnded(job.id(), job.attempt(), "ABANDONED", reason, null, now);
    // counted only by whoever moves the job on: two replicas' reapers may abandon the same attempt
    if (job.attempt() >= maxAttempts) {
      if (endIfRunning(job, JobState.FAILED, reason, "gave up after " + job.attempt() + " attempts")) {
        metrics.attemptAbandoned(reason);
      }
      return;
    }
    if (jobs.requeue(job.id(), JobState.RUNNING, job.spec(), reason, "resumes from its last checkpoint", now)) {
      metrics.attemptAbandoned(reason);
      Job requeued = jobs.find(job.id()).orElseThrow();
      history.log(job.id(), requeued.attempt(), "WARN", "attempt " + job.attempt() + " ended (" + reason
          + "); attempt " + requeued.attempt() + " will resume from the last checkpoint", now);
      events.stateChanged(requeued, JobState.RUNNING);
    }
  }

  /** @return the running jobs this worker still owns, with whether cancellation was requested */
  @Transactional
  public Map<UUID, Boolean> heartbeat(String worker, List<UUID> running) {
    return jobs.heartbeat(worker, running, now());
  }

  @Transactional(readOnly = true)
  public List<Job> runningWithoutHeartbeatSince(Instant before) {
    return jobs.runningWithoutHeartbeatSince(before);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }
}
