package dev.divergence.merging.experiment;

import dev.divergence.merging.events.ExperimentEventPublisher;
import dev.divergence.merging.store.ExperimentRepository;
import dev.divergence.platform.tenancy.TenantContext;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** The workers' side of an experiment's life. Each method is one transaction: the row and its event change together. */
@Component
public class ExperimentLifecycle {

  private final ExperimentRepository experiments;
  private final ExperimentEventPublisher events;
  private final Clock clock;

  public ExperimentLifecycle(ExperimentRepository experiments, ExperimentEventPublisher events, Clock clock) {
    this.experiments = experiments;
    this.events = events;
    this.clock = clock;
  }

  @Transactional
  public Optional<MergeExperiment> claimNext(String worker) {
    Optional<MergeExperiment> claimed = experiments.claimNext(worker, clock.instant());
    // the worker thread claims before it knows whose experiment it gets: the event is the experiment's tenant's
    claimed.ifPresent(e -> TenantContext.runAs(e.tenant(), () -> events.started(e)));
    return claimed;
  }

  public void progress(UUID id, ExperimentProgress progress) {
    experiments.progress(id, progress, clock.instant());
  }

  /** Why a RUNNING experiment is not progressing (null: it is again). */
  public void note(UUID id, String reason, String message) {
    experiments.note(id, reason, message, clock.instant());
  }

  @Transactional
  public void succeed(UUID id, ExperimentResults results) {
    end(id, ExperimentState.SUCCEEDED, null, null, results);
  }

  @Transactional
  public void end(UUID id, ExperimentState state, String reason, String message) {
    end(id, state, reason, message, null);
  }

  private void end(UUID id, ExperimentState state, String reason, String message, ExperimentResults results) {
    if (experiments.finish(id, state, reason, message, results, clock.instant())) {
      events.ended(experiments.find(id).orElseThrow());
    }
  }

  /** Publishes the end of an experiment cancelled while QUEUED (inside the caller's transaction). */
  @Transactional
  public void announceCancelled(UUID id) {
    events.ended(experiments.find(id).orElseThrow());
  }

  public void requeue(UUID id, String reason) {
    experiments.requeue(id, reason, clock.instant());
  }

  public List<UUID> heartbeat(String worker, List<UUID> held) {
    return experiments.heartbeat(worker, held, clock.instant());
  }

  @Transactional
  public List<MergeExperiment> requeueLost(Duration after) {
    return experiments.requeueLost(clock.instant().minus(after), clock.instant());
  }
}
