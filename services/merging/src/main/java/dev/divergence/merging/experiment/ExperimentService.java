package dev.divergence.merging.experiment;

import dev.divergence.merging.store.ExperimentRepository;
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

/** Creates, finds, lists and cancels merge experiments for a tenant; workers do the rest. */
@Service
public class ExperimentService {

  public static final int DEFAULT_PAGE = 50;
  public static final int MAX_PAGE = 200;
  public static final int MAX_DISPLAY_NAME = 200;

  private final ExperimentRepository experiments;
  private final ExperimentLifecycle lifecycle;
  private final ExperimentSpecValidator validator;
  private final ExperimentWakeUp wakeUp;
  private final Clock clock;

  public ExperimentService(ExperimentRepository experiments, ExperimentLifecycle lifecycle, ExperimentSpecValidator validator,
      ExperimentWakeUp wakeUp, Clock clock) {
    this.experiments = experiments;
    this.lifecycle = lifecycle;
    this.validator = validator;
    this.wakeUp = wakeUp;
    this.clock = clock;
  }

  /** A created experiment, or the earlier one its idempotency key named ({@code created} false). */
  public record Creation(MergeExperiment experiment, boolean created) {}

  /** Validates and queues an experiment; the same idempotency key returns the first one. */
  public Creation create(String tenant, String idempotencyKey, String displayName, ExperimentSpec requested) {
    String key = idempotencyKey == null || idempotencyKey.isBlank() ? null : idempotencyKey;
    if (key != null) {
      Optional<MergeExperiment> existing = experiments.findByIdempotencyKey(tenant, key);
      if (existing.isPresent()) {
        return new Creation(existing.get(), false);
      }
    }
    if (displayName != null && displayName.strip().length() > MAX_DISPLAY_NAME) {
      throw new InvalidArgumentException("displayName", "at most " + MAX_DISPLAY_NAME + " characters, got " + displayName.strip().length());
    }
    ExperimentSpec spec = validator.validate(requested);
    String name = displayName == null || displayName.isBlank()
        ? spec.generalist() + " + " + spec.expert() + ": " + String.join(", ", spec.methods()) : displayName.strip();
    if (name.length() > MAX_DISPLAY_NAME) {
      name = name.substring(0, MAX_DISPLAY_NAME - 3) + "...";
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    MergeExperiment experiment = new MergeExperiment(UUID.randomUUID(), tenant, name, key, spec, ExperimentState.QUEUED,
        new ExperimentProgress(0, ExperimentProtocol.workUnits(spec)), null, null, null, 0, now, null, null, now);
    if (!experiments.insert(experiment)) {
      return new Creation(experiments.findByIdempotencyKey(tenant, key).orElseThrow(
          () -> new ConflictException("an experiment with idempotency key " + key + " is being created")), false);
    }
    wakeUp.now();
    return new Creation(experiments.find(experiment.id()).orElseThrow(), true);
  }

  public MergeExperiment get(String tenant, String experimentId) {
    return experiments.find(tenant, parse(experimentId, "experimentId"))
        .orElseThrow(() -> new NotFoundException("merge experiment", experimentId));
  }

  public List<MergeExperiment> list(String tenant, ExperimentState state, String mergeId, String pageToken, int pageSize) {
    if (pageSize < 1 || pageSize > MAX_PAGE) {
      throw new InvalidArgumentException("pageSize", "must be in [1, " + MAX_PAGE + "], got " + pageSize);
    }
    ExperimentRepository.Filter filter = new ExperimentRepository.Filter(state,
        mergeId == null || mergeId.isBlank() ? null : parse(mergeId, "mergeId"));
    if (pageToken == null || pageToken.isBlank()) {
      return experiments.list(tenant, filter, null, null, pageSize);
    }
    MergeExperiment after = experiments.find(tenant, parse(pageToken, "pageToken"))
        .orElseThrow(() -> new InvalidArgumentException("pageToken", "does not name an experiment of this tenant"));
    return experiments.list(tenant, filter, after.createdAt(), after.id(), pageSize);
  }

  /** QUEUED experiments end at once; RUNNING ones stop before their next evaluation; ended ones are a conflict. */
  @Transactional
  public MergeExperiment cancel(String tenant, String experimentId) {
    MergeExperiment experiment = get(tenant, experimentId);
    if (experiment.state() == ExperimentState.QUEUED && experiments.cancelQueued(experiment.id(), clock.instant())) {
      lifecycle.announceCancelled(experiment.id());
    } else if (experiment.state() == ExperimentState.RUNNING) {
      experiments.requestCancel(experiment.id(), clock.instant());
    } else if (experiment.isTerminal()) {
      throw new ConflictException("experiment " + experimentId + " has already ended (" + experiment.state() + ")");
    }
    return experiments.find(experiment.id()).orElseThrow();
  }

  public static ExperimentState parseState(String state) {
    if (state == null || state.isEmpty()) {
      return null;
    }
    try {
      return ExperimentState.valueOf(state.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("state", "must be one of " + java.util.Arrays.toString(ExperimentState.values()));
    }
  }

  private static UUID parse(String id, String field) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidArgumentException(field, "is not an id (a UUID): '" + id + "'");
    }
  }
}
