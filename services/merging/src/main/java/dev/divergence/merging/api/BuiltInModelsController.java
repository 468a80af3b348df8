package dev.divergence.merging.api;

import dev.divergence.merging.models.BuiltInClassifiers;
import dev.divergence.merging.models.BuiltInState;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Whether the built-in classifiers can be merged yet. Independent of the service's health and
 * readiness (which do not wait for them): a client polls it to know when merges of the built-ins answer.
 */
@RestController
public class BuiltInModelsController {

  /**
   * @param allReady every built-in is READY
   * @param models each built-in with its state (PREPARING while it is made and loaded in the background)
   */
  public record BuiltInModels(boolean allReady, List<BuiltInModel> models) {}

  /**
   * @param ready READY: merges, predictions and experiments with it are served at once
   * @param message why it FAILED (the next request that needs it tries again), else null
   */
  public record BuiltInModel(String name, BuiltInState state, boolean ready, String message) {}

  private final BuiltInClassifiers classifiers;

  public BuiltInModelsController(BuiltInClassifiers classifiers) {
    this.classifiers = classifiers;
  }

  @GetMapping("/api/v1/merging/built-in-models")
  public BuiltInModels builtInModels() {
    List<BuiltInModel> models = classifiers.statuses().stream()
        .map(s -> new BuiltInModel(s.name(), s.state(), s.state() == BuiltInState.READY, s.failure())).toList();
    return new BuiltInModels(models.stream().allMatch(BuiltInModel::ready), models);
  }
}
