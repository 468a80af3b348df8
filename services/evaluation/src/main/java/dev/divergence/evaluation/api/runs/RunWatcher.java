package dev.divergence.evaluation.api.runs;

import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.platform.jobs.PollingWatcher;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Streams a run's changes to watchers (SSE and gRPC) from the database, so a watcher sees progress
 * whichever replica's worker runs it (the shared {@link PollingWatcher}).
 */
@Component
public class RunWatcher implements DisposableBean {

  static final Duration POLL = Duration.ofMillis(500);
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final RunRepository runs;
  private final PollingWatcher<EvaluationRun> watcher =
      new PollingWatcher<>("run-watcher", POLL, KEEP_ALIVE, EvaluationRun::updatedAt, EvaluationRun::isTerminal);

  public RunWatcher(RunRepository runs) {
    this.runs = runs;
  }

  /** Calls {@code onUpdate} with the run now and after every change, then {@code onEnd} once it has ended. */
  public Runnable watch(UUID runId, Consumer<EvaluationRun> onUpdate, Runnable onEnd, Consumer<Throwable> onError) {
    return watcher.watch(() -> runs.find(runId), onUpdate, onEnd, onError);
  }

  SseEmitter sse(UUID runId) {
    return watcher.sse(() -> runs.find(runId),
        run -> SseEmitter.event().name("run").id(run.updatedAt().toString()).data(RunResponse.of(run)));
  }

  @Override
  public void destroy() {
    watcher.close();
  }
}
