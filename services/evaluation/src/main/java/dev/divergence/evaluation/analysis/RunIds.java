package dev.divergence.evaluation.analysis;

import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Run ids as the analysis endpoints take them: parsed, naming the field they came in, and loaded. */
final class RunIds {

  private RunIds() {}

  static UUID parse(String id, String field) {
    if (id == null || id.isBlank()) {
      throw new InvalidArgumentException(field, "is required (a run id)");
    }
    try {
      return UUID.fromString(id.strip());
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException(field, "is not a run id (a UUID): '" + id + "'");
    }
  }

  /** The tenant's runs in the order asked; the first id the tenant has no run for is a 404 naming it. */
  static List<EvaluationRun> load(RunRepository runs, String tenant, List<UUID> ids) {
    Map<UUID, EvaluationRun> found = new HashMap<>();
    for (EvaluationRun run : runs.list(tenant, new RunRepository.Filter(null, null, null, ids), null, null, ids.size())) {
      found.put(run.id(), run);
    }
    List<EvaluationRun> ordered = new ArrayList<>(ids.size());
    for (UUID id : ids) {
      EvaluationRun run = found.get(id);
      if (run == null) {
        throw new NotFoundException("evaluation run", id.toString());
      }
      ordered.add(run);
    }
    return ordered;
  }
}
