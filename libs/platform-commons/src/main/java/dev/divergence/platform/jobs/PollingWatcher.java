package dev.divergence.platform.jobs;

import java.io.IOException;
import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Streams a job's changes to watchers (SSE and gRPC) by polling the database, so a watcher sees
 * progress whichever replica's worker runs the job. One daemon thread per watcher instance does the
 * polling and the SSE keep-alives; {@link #close()} stops it.
 *
 * @param <T> the job record
 */
public final class PollingWatcher<T> implements AutoCloseable {

  /** How long an SSE stream may stay open before the server ends it (clients reconnect). */
  public static final Duration SSE_TIMEOUT = Duration.ofHours(6);

  private final Duration poll;
  private final Duration keepAlive;
  private final Function<T, ?> changeKey;
  private final Predicate<T> terminal;
  private final ScheduledExecutorService poller;

  /**
   * @param threadName the polling thread's name
   * @param poll how often a watched job is read
   * @param keepAlive how often a quiet SSE stream gets a comment line
   * @param changeKey a value that changes whenever the job does (e.g. its updated-at time)
   * @param terminal whether the job has ended, so the watch can end too
   */
  public PollingWatcher(String threadName, Duration poll, Duration keepAlive, Function<T, ?> changeKey,
      Predicate<T> terminal) {
    this.poll = Objects.requireNonNull(poll);
    this.keepAlive = Objects.requireNonNull(keepAlive);
    this.changeKey = Objects.requireNonNull(changeKey);
    this.terminal = Objects.requireNonNull(terminal);
    this.poller = Executors.newScheduledThreadPool(1, r -> {
      Thread thread = new Thread(r, threadName);
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Calls {@code onUpdate} with the job now and after every change, then {@code onEnd} once it has
   * ended; {@code onError} instead when the lookup fails, finds nothing, or {@code onUpdate} throws.
   * No callback follows {@code onEnd} or {@code onError}. The returned action stops watching.
   */
  public Runnable watch(Supplier<Optional<T>> lookup, Consumer<T> onUpdate, Runnable onEnd, Consumer<Throwable> onError) {
    Watch watch = new Watch(lookup, onUpdate, onEnd, onError);
    ScheduledFuture<?> future = poller.scheduleWithFixedDelay(watch, 0, poll.toMillis(), TimeUnit.MILLISECONDS);
    watch.attach(future);
    return watch::stop;
  }

  /**
   * An SSE stream of the job: one event (built by {@code event}) per change, completed when the job
   * ends, with a comment line every {@code keepAlive} so proxies (the gateway reads with a timeout)
   * do not cut a quiet stream.
   */
  public SseEmitter sse(Supplier<Optional<T>> lookup, Function<T, SseEmitter.SseEventBuilder> event) {
    SseEmitter emitter = new SseEmitter(SSE_TIMEOUT.toMillis());
    ScheduledFuture<?> keepAlives = poller.scheduleWithFixedDelay(() -> {
      try {
        emitter.send(SseEmitter.event().comment("keep-alive"));
      } catch (IOException | IllegalStateException e) {
        // the stream ended; the watch below stops too
      }
    }, keepAlive.toMillis(), keepAlive.toMillis(), TimeUnit.MILLISECONDS);
    Runnable stopWatching = watch(lookup, job -> {
      try {
        emitter.send(event.apply(job));
      } catch (IOException e) {
        throw new IllegalStateException("watcher went away", e);
      }
    }, emitter::complete, emitter::completeWithError);
    Runnable stop = () -> {
      keepAlives.cancel(false);
      stopWatching.run();
    };
    emitter.onCompletion(stop);
    emitter.onTimeout(stop);
    emitter.onError(e -> stop.run());
    return emitter;
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }

  private final class Watch implements Runnable {
    private final Supplier<Optional<T>> lookup;
    private final Consumer<T> onUpdate;
    private final Runnable onEnd;
    private final Consumer<Throwable> onError;
    private volatile boolean stopped;
    private volatile ScheduledFuture<?> future;
    private boolean seenAny;
    private Object seen;

    Watch(Supplier<Optional<T>> lookup, Consumer<T> onUpdate, Runnable onEnd, Consumer<Throwable> onError) {
      this.lookup = lookup;
      this.onUpdate = onUpdate;
      this.onEnd = onEnd;
      this.onError = onError;
    }

    // the first poll may run before schedule...() has returned the future, hence the flag
    void attach(ScheduledFuture<?> scheduled) {
      future = scheduled;
      if (stopped) {
        scheduled.cancel(false);
      }
    }

    void stop() {
      stopped = true;
      ScheduledFuture<?> scheduled = future;
      if (scheduled != null) {
        scheduled.cancel(false);
      }
    }

    @Override
    public void run() {
      if (stopped) {
        return;
      }
      try {
        T job = lookup.get().orElseThrow(() -> new NoSuchElementException("the watched job no longer exists"));
        Object key = changeKey.apply(job);
        if (!seenAny || !Objects.equals(seen, key)) {
          seenAny = true;
          seen = key;
          onUpdate.accept(job);
        }
        if (terminal.test(job)) {
          stop();
          onEnd.run();
        }
      } catch (RuntimeException e) {
        stop();
        onError.accept(e);
      }
    }
  }
}
