package dev.divergence.evaluation.run;

import dev.divergence.evaluation.run.EvaluationRun.Trigger;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.platform.errors.ConflictException;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Creates, finds, lists and cancels runs for a tenant; workers do the rest. */
@Service
public class RunService {

  public static final int MAX_PAGE = 200;

  private final RunRepository runs;
  private final RunLifecycle lifecycle;
  private final ModelChecks models;
  private final RunWakeUp wakeUp;
  private final Clock clock;

  public RunService(RunRepository runs, RunLifecycle lifecycle, ModelChecks models, RunWakeUp wakeUp, Clock clock) {
    this.runs = runs;
    this.lifecycle = lifecycle;
    this.models = models;
    this.wakeUp = wakeUp;
    this.clock = clock;
  }

  /** A created run, or the earlier one its idempotency key named ({@code created} false). */
  public record Creation(EvaluationRun run, boolean created) {}

  /** Validates and queues a user's run; the same idempotency key returns the first run. */
  public Creation create(String tenant, String idempotencyKey, String displayName, RunSpec requested) {
    if (idempotencyKey != null && !idempotencyKey.isBlank()) {
      Optional<EvaluationRun> existing = runs.findByIdempotencyKey(tenant, idempotencyKey);
      if (existing.isPresent()) {
        return new Creation(existing.get(), false);
      }
    }
    RunSpec spec = RunSpecValidator.validate(requested);
    models.checkExists(spec);
    String name = displayName == null || displayName.isBlank() ? spec.model() + " " + String.join("+", spec.suites())
        : displayName.strip();
    if (name.length() > 200) {
      throw new InvalidArgumentException("displayName", "at most 200 characters, got " + name.length());
    }
    EvaluationRun run = queued(tenant, blankToNull(idempotencyKey), name, spec, Trigger.USER, null, null);
    if (!runs.insert(run)) {
      return new Creation(runs.findByIdempotencyKey(tenant, idempotencyKey).orElseThrow(
          () -> new ConflictException("a run with idempotency key " + idempotencyKey + " is being created")), false);
    }
    // answer with the run as inserted, never a read-back: a polling worker may already have taken (or ended) it
    wakeUp.now();
    return new Creation(run, true);
  }

  /** Queues the automatic evaluation of one model version, once however often it is asked. */
  @Transactional
  public Optional<EvaluationRun> createAutomatic(String tenant, RunSpec spec, String modelVersion, String producingJob) {
    EvaluationRun run = queued(tenant, null, "automatic: " + modelVersion, RunSpecValidator.validate(spec),
        Trigger.AUTOMATIC, modelVersion, producingJob);
    if (!runs.insert(run)) {
      return Optional.empty();
    }
    wakeUp.now();
    return Optional.of(run);
  }

  private EvaluationRun queued(String tenant, String key, String name, RunSpec spec, Trigger trigger, String version,
      String job) {
    // the database keeps microseconds; truncating here makes the creation answer equal a later read
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    return new EvaluationRun(UUID.randomUUID(), tenant, name, key, spec, RunState.QUEUED, trigger, version, job,
        RunProgress.NONE, null, null, List.of(), 0, now, null, null, now);
  }

  public EvaluationRun get(String tenant, String runId) {
    return runs.find(tenant, parse(runId)).orElseThrow(() -> new NotFoundException("evaluation run", runId));
  }

  public List<EvaluationRun> list(String tenant, RunRepository.Filter filter, String pageToken, int pageSize) {
    if (pageSize < 1 || pageSize > MAX_PAGE) {
      throw new InvalidArgumentException("pageSize", "must be in [1, " + MAX_PAGE + "], got " + pageSize);
    }
    if (pageToken == null || pageToken.isBlank()) {
      return runs.list(tenant, filter, null, null, pageSize);
    }
    EvaluationRun after = runs.find(tenant, parse(pageToken, "pageToken"))
        .orElseThrow(() -> new InvalidArgumentException("pageToken", "does not name a run of this tenant"));
    return runs.list(tenant, filter, after.createdAt(), after.id(), pageSize);
  }

  /** QUEUED runs end at once; RUNNING ones stop at their next model call. Ended runs stay as they are. */
  @Transactional
  public EvaluationRun cancel(String tenant, String runId) {
    EvaluationRun run = get(tenant, runId);
    if (run.state() == RunState.QUEUED && runs.cancelQueued(run.id(), clock.instant())) {
      lifecycle.announceCancelled(run.id());
    } else if (run.state() == RunState.RUNNING) {
      runs.requestCancel(run.id(), clock.instant());
    } else if (run.isTerminal()) {
      throw new ConflictException("run " + runId + " has already ended (" + run.state() + ")");
    }
    return runs.find(run.id()).orElseThrow();
  }

  static UUID parse(String id) {
    return parse(id, "runId");
  }

  private static UUID parse(String id, String field) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidArgumentException(field, "is not a run id (a UUID): '" + id + "'");
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
