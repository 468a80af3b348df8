package dev.divergence.merging.api;

import dev.divergence.merging.api.ExperimentApiModels.ExperimentResponse;
import dev.divergence.merging.experiment.MergeExperiment;
import dev.divergence.merging.store.ExperimentRepository;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Streams an experiment's changes to watchers (SSE and gRPC) from the database, so a watcher sees
 * progress whichever replica's worker runs it.
 */
@Component
public class ExperimentWatcher implements DisposableBean {

  static final Duration POLL = Duration.ofMillis(500);
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
  private static final long SSE_TIMEOUT_MS = Duration.ofHours(6).toMillis();

  private final ExperimentRepository experiments;
  private final ScheduledExecutorService poller = Executors.newScheduledThreadPool(1, r -> {
    Thread thread = new Thread(r, "merge-experiment-watcher");
    thread.setDaemon(true);
    return thread;
  });

  public ExperimentWatcher(ExperimentRepository experiments) {
    this.experiments = experiments;
  }

  /** Calls {@code onUpdate} with the experiment now and after every change, then {@code onEnd} once it has ended. */
  public Runnable watch(UUID id, Consumer<MergeExperiment> onUpdate, Runnable onEnd, Consumer<Throwable> onError) {
    ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
    Instant[] seen = {null};
    synchronized (task) {
      task[0] = poller.scheduleWithFixedDelay(() -> {
        synchronized (task) {
          try {
            MergeExperiment experiment = experiments.find(id).orElseThrow();
            if (!Objects.equals(seen[0], experiment.updatedAt())) {
              seen[0] = experiment.updatedAt();
              onUpdate.accept(experiment);
            }
            if (experiment.isTerminal()) {
              task[0].cancel(false);
              onEnd.run();
            }
          } catch (RuntimeException e) {
            task[0].cancel(false);
            onError.accept(e);
          }
        }
      }, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
    }
    return () -> task[0].cancel(false);
  }

  SseEmitter sse(UUID id) {
    SseEmitter emitter = new SseEmitter(SSE_TIMEOUT_MS);
    // a comment line now and then keeps proxies (the gateway reads with a timeout) from cutting a quiet stream
    ScheduledFuture<?> keepAlive = poller.scheduleWithFixedDelay(() -> {
      try {
        emitter.send(SseEmitter.event().comment("keep-alive"));
      } catch (IOException | IllegalStateException e) {
        // the stream ended; the watch below stops too
      }
    }, KEEP_ALIVE.toMillis(), KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
    Runnable stopWatching = watch(id, experiment -> {
      try {
        emitter.send(SseEmitter.event().name("experiment").id(experiment.updatedAt().toString())
            .data(ExperimentResponse.of(experiment)));
      } catch (IOException e) {
        throw new IllegalStateException("watcher went away", e);
      }
    }, emitter::complete, emitter::completeWithError);
    Runnable stop = () -> {
      keepAlive.cancel(false);
      stopWatching.run();
    };
    emitter.onCompletion(stop);
    emitter.onTimeout(stop);
    emitter.onError(e -> stop.run());
    return emitter;
  }

  @Override
  public void destroy() {
    poller.shutdownNow();
  }
}
