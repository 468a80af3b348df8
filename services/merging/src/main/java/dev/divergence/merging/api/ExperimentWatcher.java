package dev.divergence.merging.api;

import dev.divergence.merging.api.ExperimentApiModels.ExperimentResponse;
import dev.divergence.merging.experiment.MergeExperiment;
import dev.divergence.merging.store.ExperimentRepository;
import dev.divergence.platform.jobs.PollingWatcher;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Streams an experiment's changes to watchers (SSE and gRPC) from the database, so a watcher sees
 * progress whichever replica's worker runs it (the shared {@link PollingWatcher}).
 */
@Component
public class ExperimentWatcher implements DisposableBean {

  static final Duration POLL = Duration.ofMillis(500);
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final ExperimentRepository experiments;
  private final PollingWatcher<MergeExperiment> watcher = new PollingWatcher<>("merge-experiment-watcher", POLL,
      KEEP_ALIVE, MergeExperiment::updatedAt, MergeExperiment::isTerminal);

  public ExperimentWatcher(ExperimentRepository experiments) {
    this.experiments = experiments;
  }

  /** Calls {@code onUpdate} with the experiment now and after every change, then {@code onEnd} once it has ended. */
  public Runnable watch(UUID id, Consumer<MergeExperiment> onUpdate, Runnable onEnd, Consumer<Throwable> onError) {
    return watcher.watch(() -> experiments.find(id), onUpdate, onEnd, onError);
  }

  SseEmitter sse(UUID id) {
    return watcher.sse(() -> experiments.find(id), experiment -> SseEmitter.event().name("experiment")
        .id(experiment.updatedAt().toString()).data(ExperimentResponse.of(experiment)));
  }

  @Override
  public void destroy() {
    watcher.close();
  }
}
