package dev.divergence.inference.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import java.nio.file.Path;
import org.springframework.stereotype.Component;

/** The built-in models are libs/model's tiny assets, made in the data folder (as the training service does). */
@Component
public class TinyAssetsModelMaker implements BuiltInModelMaker {

  private final InferenceProperties properties;

  public TinyAssetsModelMaker(InferenceProperties properties) {
    this.properties = properties;
  }

  @Override
  public Path make(String name) {
    DjlRuntime.configure(properties.djlCacheDir());
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      // safe beside training doing the same: each process builds into its own temporary folder and renames it into place
      return new TinyAssets(properties.dataDir(), properties.budget()).ensure(manager, name);
    }
  }
}
