package dev.divergence.inference.api;

import dev.divergence.inference.models.BuiltInPreparation;
import dev.divergence.inference.models.ServingState;
import dev.divergence.inference.models.StoredModelCatalog;
import dev.divergence.inference.store.CatalogEntry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Whether the built-in models can serve requests yet. Independent of the service's readiness (which
 * does not wait for them): a launcher polls it after the service is ready to say when the demo
 * models answer.
 */
@RestController
@Tag(name = "models")
public class BuiltInModelsController {

  /**
   * @param allServable every built-in model is READY
   * @param models each built-in with its state (PREPARING while it is made and loaded at start-up)
   */
  public record BuiltInModels(boolean allServable, List<BuiltInModel> models) {
  }

  /** @param servable READY: generation / scoring requests for it are served */
  public record BuiltInModel(String name, ServingState state, boolean servable, String message) {
  }

  private final BuiltInPreparation preparation;
  private final StoredModelCatalog catalog;

  public BuiltInModelsController(BuiltInPreparation preparation, StoredModelCatalog catalog) {
    this.preparation = preparation;
    this.catalog = catalog;
  }

  @GetMapping("/api/v1/inference/built-in-models")
  @Operation(summary = "The built-in models' states and whether all of them serve requests yet (allServable)")
  public BuiltInModels builtInModels() {
    List<BuiltInModel> models = new ArrayList<>();
    for (String name : preparation.builtInModels()) {
      ServingState state;
      String message;
      try {
        CatalogEntry entry = catalog.find(name);
        state = entry.state();
        message = entry.message();
      } catch (dev.divergence.platform.errors.NotFoundException e) {
        // the start-up loader finished without a row: the model could not be made (the log says why)
        state = ServingState.FAILED;
        message = "the built-in model could not be made; the service log says why";
      }
      models.add(new BuiltInModel(name, state, state == ServingState.READY, message));
    }
    return new BuiltInModels(models.stream().allMatch(BuiltInModel::servable), models);
  }
}
