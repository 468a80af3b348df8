package dev.divergence.merging.models;

import dev.divergence.merging.config.MergingProperties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Makes and loads every built-in classifier on a background thread once the service starts
 * ({@code divergence.merging.prepare-built-ins-at-start}, default true), one after the other, so that
 * no request pays for it: until a model is READY, requests that need it answer "not ready, retry"
 * at once and experiments wait for it. Health and readiness stay UP meanwhile: everything else is served.
 * {@code divergence.merging.prepare-built-ins-after} delays the start (e.g. to let sibling services start
 * first on a small machine); {@link #prepareNow()} cuts the delay short.
 */
@Component
public class BuiltInPreparation implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(BuiltInPreparation.class);

  private final BuiltInClassifiers classifiers;
  private final MergingProperties properties;
  private final CountDownLatch delayOver = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile Thread thread;

  public BuiltInPreparation(BuiltInClassifiers classifiers, MergingProperties properties) {
    this.classifiers = classifiers;
    this.properties = properties;
  }

  @Override
  public synchronized void start() {
    if (!properties.prepareBuiltInsAtStart() || thread != null) {
      return;
    }
    stopping = false;
    thread = Thread.ofPlatform().daemon().name("built-in-preparation").start(this::prepareAll);
  }

  /** Starts preparing now if the start was delayed ({@code prepare-built-ins-after}). */
  public void prepareNow() {
    delayOver.countDown();
  }

  private void prepareAll() {
    try {
      if (delayOver.await(properties.prepareBuiltInsAfter().toMillis(), TimeUnit.MILLISECONDS)) {
        log.info("preparing the built-in classifiers now (asked before the configured delay was over)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    for (String name : BuiltInClassifiers.NAMES) {
      if (stopping) {
        return;
      }
      long started = System.nanoTime();
      try {
        classifiers.prepare(name);
        log.info("built-in classifier {} READY after {} ms", name, (System.nanoTime() - started) / 1_000_000);
      } catch (RuntimeException | Error e) {
        log.error("built-in classifier {} FAILED; the next request that needs it tries again", name, e);
      }
    }
  }

  @Override
  public synchronized void stop() {
    stopping = true;
    Thread running = thread;
    if (running != null) {
      // only the delay is interruptible; a model being trained finishes (the thread is a daemon)
      delayOver.countDown();
    }
    thread = null;
  }

  @Override
  public boolean isRunning() {
    return thread != null;
  }
}
