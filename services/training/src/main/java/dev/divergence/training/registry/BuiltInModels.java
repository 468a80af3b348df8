package dev.divergence.training.registry;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.training.config.TrainingProperties;
import java.nio.file.Path;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The tiny models shipped with the platform: made offline by libs/model's own training code on
 * first use (deterministic seeds) and cached in the model store as version 1.
 */
@Component
public class BuiltInModels {

  private final TrainingProperties properties;

  public BuiltInModels(TrainingProperties properties) {
    this.properties = properties;
  }

  public boolean isBuiltIn(String name) {
    return TinyAssets.ALL.contains(name);
  }

  public List<String> names() {
    return TinyAssets.ALL;
  }

  /** The model folder, trained and written first if it is not cached yet. */
  public synchronized Path ensure(String name) {
    DjlRuntime.configure(properties.dataDir().resolve("djl"));
    TinyAssets.Budget budget = "small".equals(properties.builtInBudget())
        ? new TinyAssets.Budget(60, 40) : TinyAssets.Budget.standard();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      return new TinyAssets(properties.dataDir(), budget).ensure(manager, name);
    }
  }
}
