package dev.divergence.evaluation.run;

import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.run.inputs.InputResolver;
import dev.divergence.evaluation.run.suite.MetricSuite;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.EnumMap;
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
 * Runs evaluation runs in this process: {@code workers} threads claim QUEUED runs from the database
 * (so replicas share the queue), a housekeeping thread heartbeats them, passes cancellations on,
 * and queues again the runs of workers that vanished.
 */
@Component
public class RunWorkerPool implements SmartLifecycle, RunWakeUp {

  private static final Logger log = LoggerFactory.getLogger(RunWorkerPool.class);

  private final RunLifecycle lifecycle;
  private final InputResolver inputs;
  private final Map<Suite, MetricSuite> suites = new EnumMap<>(Suite.class);
  private final InferenceClient inference;
  private final RunsProperties properties;
  private final String workerId;
  private final Map<UUID, RunExecution> running = new ConcurrentHashMap<>();
  private final Semaphore wake = new Semaphore(0);
  private final List<Thread> threads = new ArrayList<>();
  private ScheduledExecutorService housekeeping;
  private volatile boolean active;

  public RunWorkerPool(RunLifecycle lifecycle, InputResolver inputs, List<MetricSuite> suites, InferenceClient inference,
      RunsProperties properties) {
    this.lifecycle = lifecycle;
    this.inputs = inputs;
    suites.forEach(suite -> this.suites.put(suite.suite(), suite));
    this.inference = inference;
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
      Thread thread = new Thread(this::work, "evaluation-worker-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "evaluation-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long interval = properties.heartbeatInterval().toMillis();
    housekeeping.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
    housekeeping.scheduleWithFixedDelay(this::requeueLost, interval, interval, TimeUnit.MILLISECONDS);
    log.info("evaluation runner {} started with {} worker(s) and suites {}", workerId, properties.workers(), suites.keySet());
  }

  private void work() {
    while (active) {
      try {
        Optional<EvaluationRun> claimed = lifecycle.claimNext(workerId);
        if (claimed.isEmpty()) {
          wake.tryAcquire(1, TimeUnit.SECONDS);
          continue;
        }
        EvaluationRun run = claimed.get();
        RunExecution execution = new RunExecution(run, lifecycle, inputs, suites, inference, properties.progressInterval(),
            properties.modelReadyTimeout());
        running.put(run.id(), execution);
        try {
          execution.run();
        } finally {
          running.remove(run.id());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("evaluation worker could not claim a run, retrying: {}", e.getMessage());
        sleep(2000);
      }
    }
  }

  private void heartbeat() {
    try {
      for (UUID id : lifecycle.heartbeat(workerId, List.copyOf(running.keySet()))) {
        RunExecution execution = running.get(id);
        if (execution != null) {
          execution.requestCancel();
        }
      }
    } catch (RuntimeException e) {
      log.warn("evaluation heartbeat failed: {}", e.getMessage());
    }
  }

  private void requeueLost() {
    try {
      for (EvaluationRun lost : lifecycle.requeueLost(properties.workerLostAfter())) {
        log.warn("evaluation run {} lost its worker; queued again", lost.id());
        now();
      }
    } catch (RuntimeException e) {
      log.warn("could not look for lost evaluation runs: {}", e.getMessage());
    }
  }

  @Override
  public void stop() {
    active = false;
    running.values().forEach(RunExecution::workerStopping);
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
