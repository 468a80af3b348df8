package dev.divergence.inference.api;

import dev.divergence.inference.models.ModelLifecycle;
import dev.divergence.inference.models.StoredModelCatalog;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The servable models and their state in the serving backend; load and unload on demand. */
@RestController
@RequestMapping("/api/v1/inference/models")
@Tag(name = "models", description = "Models the inference service serves (built-ins and every version models.registry.v1 announced)")
public class ModelController {

  private final StoredModelCatalog catalog;
  private final ModelLifecycle lifecycle;

  public ModelController(StoredModelCatalog catalog, ModelLifecycle lifecycle) {
    this.catalog = catalog;
    this.lifecycle = lifecycle;
  }

  @GetMapping
  @Operation(summary = "Every catalog model with its state (PREPARING, LOADING, READY, FAILED, UNLOADED); "
      + "built-ins still being made at start-up are listed PREPARING before they have a row")
  public List<ModelView> list() {
    return catalog.entries().stream().map(ModelView::of).toList();
  }

  @GetMapping("/{name}")
  @Operation(summary = "One model; 404 when the name is unknown")
  public ModelView get(@PathVariable String name) {
    return ModelView.of(catalog.find(name));
  }

  @PostMapping("/{name}/load")
  @Operation(summary = "Writes the model's repository entries again and loads them; answers READY or FAILED with the reason "
      + "(503 + Retry-After while a built-in is PREPARING)")
  public ModelView load(@PathVariable String name) {
    catalog.findManageable(name);
    return ModelView.of(lifecycle.load(name));
  }

  @PostMapping("/{name}/unload")
  @Operation(summary = "Unloads the model from the serving backend; it stays in the catalog as UNLOADED")
  public ModelView unload(@PathVariable String name) {
    catalog.findManageable(name);
    return ModelView.of(lifecycle.unload(name));
  }
}
