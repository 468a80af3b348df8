package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobWakeUp;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.store.JobRepository;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Runs training jobs as Kubernetes Jobs: one batch/v1 Job per attempt, running this service's
 * image in worker mode. The worker claims, heartbeats and ends its attempt in the database itself;
 * this runner starts it, reflects what the worker could not report (its pod failed or vanished),
 * cancels by deleting the Job, and removes Jobs of attempts that ended.
 *
 * <p>Every decision runs on one thread, fed by a poll, by submissions ({@link JobWakeUp}) and by
 * an informer on the Jobs it created, so decisions never race each other and each one re-reads
 * the job first. Several runners may run at once: creation is idempotent and every lifecycle
 * change is compare-and-set.
 */
public final class KubernetesJobRunner implements SmartLifecycle, JobWakeUp {

  private static final Logger log = LoggerFactory.getLogger(KubernetesJobRunner.class);

  private final TrainingJobsApi kubernetes;
  private final JobAttemptPort jobs;
  private final Duration pollInterval;
  private final Duration workerLostAfter;
  private final Clock clock;
  private final AtomicBoolean wakeUpPending = new AtomicBoolean();
  private ScheduledExecutorService decisions;
  /** Replaced only on the decision thread (and by start and stop). */
  private volatile SharedIndexInformer<io.fabric8.kubernetes.api.model.batch.v1.Job> informer;
  private volatile boolean running;

  /** The runner for this process's configuration (see {@code RunnerConfiguration}). */
  public static KubernetesJobRunner create(KubernetesClient client, KubernetesRunnerProperties kubernetes,
      TrainingProperties training, JobLifecycle lifecycle, JobRepository jobs, JdbcTemplate jdbc, Environment environment,
      Clock clock) {
    Map<String, String> passedThrough = new LinkedHashMap<>();
    for (String property : kubernetes.passThrough()) {
      String value = environment.getProperty(property);
      if (value != null) {
        passedThrough.put(property, value);
      }
    }
    String namespace = kubernetes.namespace() != null ? kubernetes.namespace()
        : client.getNamespace() != null ? client.getNamespace() : "default";
    TrainingJobsApi api = new TrainingJobsApi(client, namespace, new TrainingJobManifest(kubernetes, passedThrough));
    return new KubernetesJobRunner(api, new LifecycleJobAttempts(lifecycle, jobs, jdbc, training),
        kubernetes.pollInterval(), training.workerLostAfter(), clock);
  }

  KubernetesJobRunner(TrainingJobsApi kubernetes, JobAttemptPort jobs, Duration pollInterval, Duration workerLostAfter,
      Clock clock) {
    this.kubernetes = kubernetes;
    this.jobs = jobs;
    this.pollInterval = pollInterval;
    this.workerLostAfter = workerLostAfter;
    this.clock = clock;
  }

  @Override
  public void start() {
    decisions = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "kubernetes-runner");
      thread.setDaemon(true);
      return thread;
    });
    informer = watchTrainingJobs();
    decisions.scheduleWithFixedDelay(this::reconcileQuietly, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    running = true;
    log.info("kubernetes training runner started in namespace {}", kubernetes.namespace());
  }

  /**
   * An informer on this runner's Jobs, started. It does not block: while the API server is
   * unreachable the informer retries, except for its very first list, after which it stops —
   * {@link #keepWatching()} replaces such an informer.
   */
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.batch.v1.Job> watchTrainingJobs() {
    // the resync replays the cache now and then; the poll's settle step covers the same ground
    var watching = kubernetes.informer(pollInterval.toMillis() * 12);
    watching.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(io.fabric8.kubernetes.api.model.batch.v1.Job job) {
        decide(() -> onKubernetesJobChanged(job));
      }

      @Override
      public void onUpdate(io.fabric8.kubernetes.api.model.batch.v1.Job old, io.fabric8.kubernetes.api.model.batch.v1.Job job) {
        decide(() -> onKubernetesJobChanged(job));
      }

      @Override
      public void onDelete(io.fabric8.kubernetes.api.model.batch.v1.Job job, boolean finalStateUnknown) {
        // a deleted Job's attempt is either over or found again by the next round
      }
    });
    watching.start();
    return watching;
  }

  private void keepWatching() {
    if (!informer.isRunning()) {
      log.warn("the watch on training Jobs in {} stopped; starting it again", kubernetes.namespace());
      informer.close();
      informer = watchTrainingJobs();
    }
  }

  /** A job was queued: look at once rather than at the next poll; wake-ups in a burst coalesce. */
  @Override
  public void now() {
    if (decisions != null && wakeUpPending.compareAndSet(false, true)) {
      decide(() -> {
        wakeUpPending.set(false);
        reconcileQuietly();
      });
    }
  }

  /** One round: start queued attempts, cancel, find silent workers, settle and remove finished Jobs. */
  void reconcile() {
    keepWatching();
    launchQueuedAttempts();
    cancelRequestedJobs();
    abandonSilentWorkers();
    settleKubernetesJobs();
  }

  private void reconcileQuietly() {
    try {
      reconcile();
    } catch (RuntimeException e) {
      log.warn("kubernetes runner round failed, retrying at the next one: {}", e.getMessage());
    }
  }

  private void launchQueuedAttempts() {
    for (Job job : jobs.queued()) {
      TrainingAttempt attempt = TrainingAttempt.of(job);
      // the cache saves a call per round; when it has not caught up, creation finds the Job itself
      if (informer.getStore().getByKey(kubernetes.cacheKey(attempt)) == null) {
        kubernetes.createIfAbsent(job);
      }
    }
  }

  /**
   * The job is marked CANCELLED before its Job is deleted: the worker, stopped by the deletion,
   * then finds its attempt over instead of handing it on as a new attempt.
   */
  private void cancelRequestedJobs() {
    for (Job job : jobs.cancelRequested()) {
      jobs.cancelled(job);
      delete(TrainingAttempt.of(job), "cancelled");
    }
  }

  /** A backstop for what no Job status says (a node that vanished with its pod still "running"). */
  private void abandonSilentWorkers() {
    for (Job job : jobs.runningWithoutHeartbeatSince(clock.instant().minus(workerLostAfter))) {
      log.warn("{} has had no heartbeat for {}; it gets a new attempt", TrainingAttempt.of(job), workerLostAfter);
      jobs.attemptLost(job, "worker-lost", "no heartbeat from its worker for " + workerLostAfter.toSeconds() + " s");
    }
  }

  /** Catches up on what the informer reported while a decision failed, and deletes Jobs of ended attempts. */
  private void settleKubernetesJobs() {
    for (var kubernetesJob : informer.getStore().list()) {
      onKubernetesJobChanged(kubernetesJob);
    }
  }

  private void onKubernetesJobChanged(io.fabric8.kubernetes.api.model.batch.v1.Job kubernetesJob) {
    Optional<TrainingAttempt> attempt = TrainingAttempt.of(kubernetesJob);
    if (attempt.isEmpty() || kubernetesJob.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    Optional<Job> job = jobs.find(attempt.get().jobId());
    if (job.isEmpty() || !attempt.get().isCurrentAndActiveFor(job.get())) {
      delete(attempt.get(), "its attempt ended");
      return;
    }
    if (!FinishedKubernetesJob.isFinished(kubernetesJob)) {
      return;
    }
    // finished, yet the attempt is still open: the worker could not record how it ended
    FinishedKubernetesJob outcome = FinishedKubernetesJob.of(kubernetesJob, kubernetes.pods(attempt.get())).orElseThrow();
    log.warn("{}: {}", attempt.get(), outcome.message());
    jobs.attemptLost(job.get(), outcome.reason(), outcome.message());
  }

  private void delete(TrainingAttempt attempt, String why) {
    if (kubernetes.delete(attempt)) {
      log.info("deleted Kubernetes Job {} ({})", attempt.kubernetesName(), why);
    }
  }

  private void decide(Runnable decision) {
    try {
      decisions.execute(() -> {
        try {
          decision.run();
        } catch (RuntimeException e) {
          log.warn("kubernetes runner decision failed, retrying at the next round: {}", e.getMessage());
        }
      });
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  @Override
  public void stop() {
    running = false;
    if (informer != null) {
      informer.close();
    }
    if (decisions != null) {
      decisions.shutdownNow();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  public String namespace() {
    return kubernetes.namespace();
  }
}
