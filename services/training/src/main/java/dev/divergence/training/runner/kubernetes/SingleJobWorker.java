package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobState;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.run.JobExecution;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.run.TrainerRegistry;
import dev.divergence.training.store.JobRepository;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.context.SmartLifecycle;

/**
 * The process of {@link WorkerMode}: claims its one job, heartbeats it (learning of cancellation
 * and take-over), runs the attempt and turns the outcome into the exit code. Stopped from outside
 * (the pod is deleted or evicted), it hands the attempt on so the next one resumes from the last
 * checkpoint — unless the job was cancelled or taken over meanwhile, which ends it instead.
 */
public final class SingleJobWorker implements ApplicationRunner, ExitCodeGenerator, SmartLifecycle {

  static final int EXIT_SUCCEEDED_OR_CANCELLED = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_HANDED_ON = 2;

  private static final Logger log = LoggerFactory.getLogger(SingleJobWorker.class);

  private final UUID jobId;
  private final String workerName;
  private final JobLifecycle lifecycle;
  private final JobRepository jobs;
  private final TrainerRegistry trainers;
  private final ModelRegistry models;
  private final DatasetRegistry datasets;
  private final TrainingProperties properties;
  private final CountDownLatch attemptOver = new CountDownLatch(1);
  private volatile JobExecution execution;
  private volatile int exitCode = EXIT_HANDED_ON;
  private volatile boolean running;

  public SingleJobWorker(UUID jobId, String workerName, JobLifecycle lifecycle, JobRepository jobs,
      TrainerRegistry trainers, ModelRegistry models, DatasetRegistry datasets, TrainingProperties properties) {
    this.jobId = jobId;
    this.workerName = workerName;
    this.lifecycle = lifecycle;
    this.jobs = jobs;
    this.trainers = trainers;
    this.models = models;
    this.datasets = datasets;
    this.properties = properties;
  }

  @Override
  public void run(ApplicationArguments args) {
    try {
      exitCode = runJob();
    } finally {
      attemptOver.countDown();
    }
  }

  private int runJob() {
    Optional<Job> claimed = lifecycle.claim(jobId, workerName);
    if (claimed.isEmpty()) {
      // cancelled before the pod started, or already run by another worker: nothing to do here
      log.info("job {} is not QUEUED ({}); this worker has nothing to run", jobId,
          jobs.find(jobId).map(job -> job.state().name()).orElse("unknown job"));
      return EXIT_SUCCEEDED_OR_CANCELLED;
    }
    Job job = claimed.get();
    log.info("worker {} runs job {} attempt {}", workerName, job.id(), job.attempt());
    execution = new JobExecution(job, lifecycle, trainers, models, datasets, properties);
    ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "training-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long interval = properties.heartbeatInterval().toMillis();
    heartbeats.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
    try {
      execution.run(properties.maxAttempts());
    } finally {
      heartbeats.shutdownNow();
    }
    return exitCodeFor(job, jobs.find(jobId).orElseThrow());
  }

  static int exitCodeFor(Job claimed, Job now) {
    if (now.attempt() != claimed.attempt() || !now.isTerminal()) {
      return EXIT_HANDED_ON;
    }
    return now.state() == JobState.FAILED ? EXIT_FAILED : EXIT_SUCCEEDED_OR_CANCELLED;
  }

  /** @return whether the job is still this worker's and not cancelled */
  private boolean heartbeat() {
    JobExecution current = execution;
    try {
      Boolean cancelRequested = lifecycle.heartbeat(workerName, List.of(jobId)).get(jobId);
      if (cancelRequested == null) {
        current.ownershipLost();
        return false;
      }
      if (cancelRequested) {
        current.requestCancel();
        return false;
      }
      return true;
    } catch (RuntimeException e) {
      log.warn("heartbeat of job {} failed: {}", jobId, e.getMessage());
      return true;
    }
  }

  @Override
  public int getExitCode() {
    return exitCode;
  }

  @Override
  public void start() {
    running = true;
  }

  /** Context closing (SIGTERM) while the attempt runs: end it in the way the job row calls for. */
  @Override
  public void stop() {
    running = false;
    if (execution == null || attemptOver.getCount() == 0) {
      return;
    }
    if (heartbeat()) {
      execution.workerStopping();
    }
    try {
      if (!attemptOver.await(properties.heartbeatInterval().multipliedBy(5).toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("job {} did not stop in time; the runner will find the attempt without heartbeat", jobId);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Stops before the database pool, so the attempt can still be recorded. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 100;
  }
}
