package dev.divergence.platform.jobs;

import java.lang.management.ManagementFactory;
import java.time.Duration;
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

/**
 * Runs a service's queued jobs in this process: {@code workers} threads claim jobs from a
 * {@link JobQueue}, and a housekeeping thread heartbeats the jobs held here, passes cancellations on
 * to their executions, and queues again the jobs of workers that vanished.
 *
 * <p>A worker with nothing to claim waits for {@link #now()} or at most {@link #IDLE_WAIT}, so a
 * job queued on another replica still starts soon; a failing claim (say the database is away) is
 * retried after {@link #CLAIM_RETRY}.
 */
public final class ClaimLoop<T> {

  /** How long an idle worker waits before it looks at the queue again without a wake-up. */
  public static final Duration IDLE_WAIT = Duration.ofSeconds(1);
  /** How long a worker waits after a failed claim. */
  public static final Duration CLAIM_RETRY = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(ClaimLoop.class);

  /**
   * @param jobName what a job is called in log lines, e.g. "evaluation run"
   * @param threadPrefix names the threads {@code <prefix>-worker-<i>} and {@code <prefix>-heartbeat}
   * @param workers how many jobs this process runs at once
   * @param heartbeatInterval how often held jobs are heartbeated and lost ones looked for
   */
  public record Settings(String jobName, String threadPrefix, int workers, Duration heartbeatInterval) {
    public Settings {
      if (workers < 0) {
        throw new IllegalArgumentException("workers must be >= 0, was " + workers);
      }
      if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
        throw new IllegalArgumentException("heartbeatInterval must be positive, was " + heartbeatInterval);
      }
    }
  }

  private final Settings settings;
  private final JobQueue<T> queue;
  private final String workerId;
  private final Map<UUID, RunningJob> running = new ConcurrentHashMap<>();
  private final Semaphore wake = new Semaphore(0);
  private final List<Thread> threads = new ArrayList<>();
  private ScheduledExecutorService housekeeping;
  private volatile boolean active;

  public ClaimLoop(Settings settings, JobQueue<T> queue) {
    this.settings = settings;
    this.queue = queue;
    this.workerId = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The id this process claims and heartbeats jobs under. */
  public String workerId() {
    return workerId;
  }

  /** Wakes the idle workers: a job was just queued. */
  public void now() {
    wake.release(Math.max(1, settings.workers()));
  }

  public synchronized void start() {
    if (active) {
      return;
    }
    active = true;
    for (int i = 0; i < settings.workers(); i++) {
      Thread thread = new Thread(this::work, settings.threadPrefix() + "-worker-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, settings.threadPrefix() + "-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    long interval = settings.heartbeatInterval().toMillis();
    housekeeping.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
    housekeeping.scheduleWithFixedDelay(this::requeueLost, interval, interval, TimeUnit.MILLISECONDS);
    log.info("{} worker(s) for {}s started as runner {}", settings.workers(), settings.jobName(), workerId);
  }

  private void work() {
    while (active) {
      try {
        Optional<T> claimed = queue.claimNext(workerId);
        if (claimed.isEmpty()) {
          wake.tryAcquire(IDLE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
          continue;
        }
        T job = claimed.get();
        UUID id = queue.id(job);
        RunningJob execution = queue.execution(job);
        running.put(id, execution);
        try {
          execution.run();
        } finally {
          running.remove(id);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("{} worker could not claim or run a job, retrying: {}", settings.jobName(), e.getMessage());
        sleep(CLAIM_RETRY.toMillis());
      }
    }
  }

  private void heartbeat() {
    try {
      for (UUID id : queue.heartbeat(workerId, List.copyOf(running.keySet()))) {
        RunningJob execution = running.get(id);
        if (execution != null) {
          execution.requestCancel();
        }
      }
    } catch (RuntimeException e) {
      log.warn("{} heartbeat failed: {}", settings.jobName(), e.getMessage());
    }
  }

  private void requeueLost() {
    try {
      for (UUID lost : queue.requeueLost()) {
        log.warn("{} {} lost its worker; queued again", settings.jobName(), lost);
        now();
      }
    } catch (RuntimeException e) {
      log.warn("could not look for lost {}s: {}", settings.jobName(), e.getMessage());
    }
  }

  /**
   * Tells the running jobs to hand themselves back to the queue, then waits (up to 30 s per
   * worker) for the workers to finish.
   */
  public synchronized void stop() {
    active = false;
    running.values().forEach(RunningJob::workerStopping);
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
      housekeeping = null;
    }
  }

  public boolean isRunning() {
    return active;
  }

  /** The ids of the jobs this process runs now. */
  public List<UUID> running() {
    return List.copyOf(running.keySet());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
