package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobWakeUp;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.store.JobRepository;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
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

  private final KubernetesClient client;
  private final String namespace;
  private final TrainingJobManifest manifest;
  private final JobAttemptPort jobs;
  private final Duration pollInterval;
  private final Duration workerLostAfter;
  private final Clock clock;
  private final AtomicBoolean wakeUpPending = new AtomicBoolean();
  private ScheduledExecutorService decisions;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.batch.v1.Job> informer;
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
    return new KubernetesJobRunner(client, namespace, new TrainingJobManifest(kubernetes, passedThrough),
        new LifecycleJobAttempts(lifecycle, jobs, jdbc, training), kubernetes.pollInterval(), training.workerLostAfter(),
        clock);
  }

  KubernetesJobRunner(KubernetesClient client, String namespace, TrainingJobManifest manifest, JobAttemptPort jobs,
      Duration pollInterval, Duration workerLostAfter, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.manifest = manifest;
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
    informer = client.batch().v1().jobs().inNamespace(namespace).withLabels(TrainingAttempt.RUNNER_SELECTOR)
        .runnableInformer(pollInterval.toMillis() * 12);
    informer.addEventHandler(new ResourceEventHandler<>() {
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
        // a deleted Job's attempt is either over or found again by the next reconcile
      }
    });
    // does not block: while the API server is unreachable the informer keeps retrying
    informer.start();
    decisions.scheduleWithFixedDelay(this::reconcileQuietly, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    running = true;
    log.info("kubernetes training runner started in namespace {}", namespace);
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
      if (cached(attempt).isEmpty()) {
        create(job, attempt);
      }
    }
  }

  private void create(Job job, TrainingAttempt attempt) {
    try {
      client.batch().v1().jobs().inNamespace(namespace).resource(manifest.build(job)).create();
      log.info("created Kubernetes Job {} for {}", attempt.kubernetesName(), attempt);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      // it exists already: an earlier round, another runner, or a cache that has not caught up
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
    FinishedKubernetesJob outcome = FinishedKubernetesJob.of(kubernetesJob, pods(attempt.get())).orElseThrow();
    log.warn("{}: {}", attempt.get(), outcome.message());
    jobs.attemptLost(job.get(), outcome.reason(), outcome.message());
  }

  private List<Pod> pods(TrainingAttempt attempt) {
    try {
      return client.pods().inNamespace(namespace)
          .withLabels(Map.of(TrainingAttempt.JOB_ID, attempt.jobId().toString(),
              TrainingAttempt.ATTEMPT, Integer.toString(attempt.attempt())))
          .list().getItems();
    } catch (KubernetesClientException e) {
      // without pod access the Job's own reason is reported
      log.debug("cannot read the pods of {}: {}", attempt, e.getMessage());
      return List.of();
    }
  }

  private void delete(TrainingAttempt attempt, String why) {
    var deleted = client.batch().v1().jobs().inNamespace(namespace).withName(attempt.kubernetesName())
        .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    if (!deleted.isEmpty()) {
      log.info("deleted Kubernetes Job {} ({})", attempt.kubernetesName(), why);
    }
  }

  private Optional<io.fabric8.kubernetes.api.model.batch.v1.Job> cached(TrainingAttempt attempt) {
    return Optional.ofNullable(informer.getStore().getByKey(namespace + "/" + attempt.kubernetesName()));
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
    return namespace;
  }
}
