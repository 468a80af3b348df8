package dev.divergence.evaluation.run;

import dev.divergence.evaluation.events.EvaluationEventPublisher;
import dev.divergence.evaluation.store.RunRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import dev.divergence.platform.tenancy.TenantContext;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** The workers' side of a run's life. Each method is one transaction: the run row and its event change together. */
@Component
public class RunLifecycle {

  private final RunRepository runs;
  private final EvaluationEventPublisher events;
  private final Clock clock;
  private final MeterRegistry meters;

  public RunLifecycle(RunRepository runs, EvaluationEventPublisher events, Clock clock, MeterRegistry meters) {
    this.runs = runs;
    this.events = events;
    this.clock = clock;
    this.meters = meters;
  }

  @Transactional
  public Optional<EvaluationRun> claimNext(String worker) {
    Optional<EvaluationRun> claimed = runs.claimNext(worker, clock.instant());
    claimed.ifPresent(run -> {
      // the worker claims before it knows whose run it is: the event carries the run's tenant
      TenantContext.runAs(run.tenant(), () -> events.started(run));
      meters.counter("divergence.evaluation.runs.started", "trigger", run.trigger().apiName()).increment();
    });
    return claimed;
  }

  public void progress(UUID id, RunProgress progress) {
    runs.progress(id, progress, clock.instant());
  }

  @Transactional
  public void succeed(UUID id, List<SuiteResult> results) {
    end(id, RunState.SUCCEEDED, null, null, results);
  }

  @Transactional
  public void end(UUID id, RunState state, String reason, String message) {
    end(id, state, reason, message, null);
  }

  private void end(UUID id, RunState state, String reason, String message, List<SuiteResult> results) {
    if (runs.finish(id, state, reason, message, results, clock.instant())) {
      EvaluationRun ended = runs.find(id).orElseThrow();
      events.ended(ended);
      meters.counter("divergence.evaluation.runs.ended", "state", state.name().toLowerCase(), "reason",
          reason == null ? "none" : reason).increment();
      if (ended.startedAt() != null) {
        Timer.builder("divergence.evaluation.runs.duration").description("Time from a run's claim to its end")
            .tag("state", state.name().toLowerCase()).register(meters)
            .record(java.time.Duration.between(ended.startedAt(), ended.finishedAt()));
      }
    }
  }

  /** Publishes the end of a run cancelled while QUEUED (inside the caller's transaction). */
  @Transactional
  public void announceCancelled(UUID id) {
    events.ended(runs.find(id).orElseThrow());
  }

  public void requeue(UUID id, String reason) {
    runs.requeue(id, reason, clock.instant());
  }

  public List<UUID> heartbeat(String worker, List<UUID> held) {
    return runs.heartbeat(worker, held, clock.instant());
  }

  @Transactional
  public List<EvaluationRun> requeueLost(java.time.Duration after) {
    return runs.requeueLost(clock.instant().minus(after), clock.instant());
  }
}
