package dev.divergence.platform.jobs;

import org.springframework.context.SmartLifecycle;

/**
 * A service's pool of job workers as a Spring lifecycle bean: the subclass gives its
 * {@link JobQueue} (how to claim, execute, heartbeat and requeue its jobs); the {@link ClaimLoop}
 * does the rest. It stops before the web server and the database pool, so running jobs can hand
 * themselves back to the queue.
 */
public abstract class JobWorkerPool<T> implements SmartLifecycle {

  /** Later than the web server's and the data source's phases, so this stops first. */
  public static final int PHASE = Integer.MAX_VALUE - 100;

  private final ClaimLoop<T> loop;

  protected JobWorkerPool(ClaimLoop.Settings settings, JobQueue<T> queue) {
    this.loop = new ClaimLoop<>(settings, queue);
  }

  /** Wakes the idle workers: a job was just queued. */
  public void now() {
    loop.now();
  }

  protected String workerId() {
    return loop.workerId();
  }

  @Override
  public void start() {
    loop.start();
  }

  @Override
  public void stop() {
    loop.stop();
  }

  @Override
  public boolean isRunning() {
    return loop.isRunning();
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
