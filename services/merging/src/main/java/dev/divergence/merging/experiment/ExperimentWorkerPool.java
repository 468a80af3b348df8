package dev.divergence.merging.experiment;

import dev.divergence.merging.models.BuiltInClassifiers;
import java.lang.management.ManagementFactory;
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
import org.springframework.stereotype.Component;

/**
 * Runs merge experiments in this process: {@code workers} threads claim QUEUED experiments from the
 * database (so replicas share the queue), a housekeeping thread heartbeats them, passes
 * cancellations on, and queues again the experiments of workers that vanished.
 */
@Component
public class ExperimentWorkerPool implements SmartLifecycle, ExperimentWakeUp {

  private static final Logger log = LoggerFactory.getLogger(ExperimentWorkerPool.class);

  private final ExperimentLifecycle lifecycle;
  private final BuiltInClassifiers models;
  private final ExperimentsProperties properties;
  private final String workerId;
  private final Map<UUID, ExperimentExecution> running = new ConcurrentHashMap<>();
  private final Semaphore wake = new Semaphore(0);
  private final List<Thread> threads = new ArrayList<>();
  private ScheduledExecutorService housekeeping;
  private volatile boolean active;

  public ExperimentWorkerPool(ExperimentLifecycle lifecycle, BuiltInClassifiers models, ExperimentsProperties properties) {
    this.lifecycle = lifecycle;
    this.models = models;
    this.properties = properties;
    this.workerId = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Override
  public void now() {
    wake.release(Math.max(1, properties.workers()));
  }

  @Override
  public void start() {
    active = true;
    for (int i = 0; i < properties.workers(); i++) {
      Thread thread = new Thread(this::work, "merge-experiment-worker-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "merge-experiment-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long interval = properties.heartbeatInterval().toMillis();
    housekeeping.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
    housekeeping.scheduleWithFixedDelay(this::requeueLost, interval, interval, TimeUnit.MILLISECONDS);
    log.info("merge experiment runner {} started with {} worker(s)", workerId, properties.workers());
  }

  private void work() {
    while (active) {
      try {
        Optional<MergeExperiment> claimed = lifecycle.claimNext(workerId);
        if (claimed.isEmpty()) {
          wake.tryAcquire(1, TimeUnit.SECONDS);
          continue;
        }
        MergeExperiment experiment = claimed.get();
        ExperimentExecution execution = new ExperimentExecution(experiment, lifecycle, models, properties.progressInterval(),
            properties.modelsWait());
        running.put(experiment.id(), execution);
        try {
          execution.run();
        } finally {
          running.remove(experiment.id());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("merge experiment worker could not claim an experiment, retrying: {}", e.getMessage());
        sleep(2000);
      }
    }
  }

  private void heartbeat() {
    try {
      for (UUID id : lifecycle.heartbeat(workerId, List.copyOf(running.keySet()))) {
        ExperimentExecution execution = running.get(id);
        if (execution != null) {
          execution.requestCancel();
        }
      }
    } catch (RuntimeException e) {
      log.warn("merge experiment heartbeat failed: {}", e.getMessage());
    }
  }

  private void requeueLost() {
    try {
      for (MergeExperiment lost : lifecycle.requeueLost(properties.workerLostAfter())) {
        log.warn("merge experiment {} lost its worker; queued again", lost.id());
        now();
      }
    } catch (RuntimeException e) {
      log.warn("could not look for lost merge experiments: {}", e.getMessage());
    }
  }

  @Override
  public void stop() {
    active = false;
    running.values().forEach(ExperimentExecution::workerStopping);
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

  /** Stops before the web server and the database pool. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 100;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
