package dev.divergence.training.run;

import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobWakeUp;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelRegistry;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs jobs in this process: {@code workers} threads claim QUEUED jobs from the database (so any
 * number of replicas can share the queue), heartbeat them, honour cancellation, and declare
 * attempts of vanished workers lost so that a new attempt resumes them from their checkpoint.
 */
public class LocalWorkerPool implements SmartLifecycle, JobWakeUp {

  private static final Logger log = LoggerFactory.getLogger(LocalWorkerPool.class);

  private final JobLifecycle lifecycle;
  private final TrainerRegistry trainers;
  private final ModelRegistry models;
  private final DatasetRegistry datasets;
  private final TrainingProperties properties;
  private final Clock clock;
  private final String workerId;
  private final Map<UUID, JobExecution> running = new ConcurrentHashMap<>();
  private final Semaphore wake = new Semaphore(0);
  private final List<Thread> threads = new ArrayList<>();
  private ScheduledExecutorService housekeeping;
  private volatile boolean active;

  public LocalWorkerPool(JobLifecycle lifecycle, TrainerRegistry trainers, ModelRegistry models, DatasetRegistry datasets,
      TrainingProperties properties, Clock clock) {
    this.lifecycle = lifecycle;
    this.trainers = trainers;
    this.models = models;
    this.datasets = datasets;
    this.properties = properties;
    this.clock = clock;
    this.workerId = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Override
  public void now() {
    wake.release(properties.workers());
  }

  @Override
  public void start() {
    active = true;
    for (int i = 0; i < properties.workers(); i++) {
      Thread thread = new Thread(this::work, "training-worker-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "training-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long interval = properties.heartbeatInterval().toMillis();
    housekeeping.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
    housekeeping.scheduleWithFixedDelay(this::reapLostAttempts, interval, interval, TimeUnit.MILLISECONDS);
    log.info("local training runner {} started with {} worker(s)", workerId, properties.workers());
  }

  private void work() {
    while (active) {
      try {
        Optional<Job> claimed = lifecycle.claimNext(workerId);
        if (claimed.isEmpty()) {
          wake.tryAcquire(1, TimeUnit.SECONDS);
          continue;
        }
        JobExecution execution = new JobExecution(claimed.get(), lifecycle, trainers, models, datasets, properties);
        running.put(claimed.get().id(), execution);
        try {
          execution.run(properties.maxAttempts());
        } finally {
          running.remove(claimed.get().id());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("training worker could not claim a job, retrying: {}", e.getMessage());
        sleep(2000);
      }
    }
  }

  private void heartbeat() {
    try {
      List<UUID> ids = List.copyOf(running.keySet());
      Map<UUID, Boolean> owned = lifecycle.heartbeat(workerId, ids);
      for (UUID id : ids) {
        JobExecution execution = running.get(id);
        if (execution == null) {
          continue;
        }
        Boolean cancel = owned.get(id);
        if (cancel == null) {
          execution.ownershipLost();
        } else if (cancel) {
          execution.requestCancel();
        }
      }
    } catch (RuntimeException e) {
      log.warn("heartbeat failed: {}", e.getMessage());
    }
  }

  private void reapLostAttempts() {
    try {
      for (Job lost : lifecycle.runningWithoutHeartbeatSince(clock.instant().minus(properties.workerLostAfter()))) {
        if (!running.containsKey(lost.id())) {
          log.warn("job {} attempt {} lost its worker; queuing a new attempt", lost.id(), lost.attempt());
          lifecycle.abandon(lost, "worker-lost", properties.maxAttempts());
        }
      }
    } catch (RuntimeException e) {
      log.warn("could not look for lost attempts: {}", e.getMessage());
    }
  }

  @Override
  public void stop() {
    active = false;
    running.values().forEach(JobExecution::workerStopping);
    wake.release(threads.size());
    for (Thread thread : threads) {
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    threads.clear();
    if (housekeeping != null) {
      housekeeping.shutdownNow();
    }
  }

  @Override
  public boolean isRunning() {
    return active;
  }

  /** Stops before the web server and the database pool, so running jobs can hand over cleanly. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 100;
  }

  public String workerId() {
    return workerId;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
