package dev.divergence.merging.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.merging.config.MergingProperties;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The built-in classifiers of libs/model (made on first use under the data folder, then cached in
 * memory): the digits CNN generalist / expert pair, and the breast-cancer MLPs (teacher and student,
 * two different architectures). Loaded classifiers are only read by forwards, so they are shared.
 */
@Component
public class BuiltInClassifiers implements DisposableBean {

  public static final List<String> NAMES = List.of(TinyAssets.DIGITS_GENERALIST, TinyAssets.DIGITS_EXPERT,
      TinyAssets.CANCER_TEACHER, TinyAssets.CANCER_STUDENT);

  private final TinyAssets assets;
  private NDManager manager;
  private final Map<String, Classifier> loaded = new ConcurrentHashMap<>();

  public BuiltInClassifiers(MergingProperties properties) {
    DjlRuntime.configure(properties.dataDir().resolve("djl"));
    this.assets = new TinyAssets(properties.dataDir(), new TinyAssets.Budget(1, properties.builtInClassifierSteps()));
  }

  /** Rejects an unknown name naming {@code field}, before anything is built. */
  public static void requireKnown(String field, String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidArgumentException(field, "is required; one of " + NAMES);
    }
    if (!NAMES.contains(name)) {
      throw new InvalidArgumentException(field, "unknown model '" + name + "'; one of " + NAMES);
    }
  }

  public Classifier get(String field, String name) {
    requireKnown(field, name);
    return loaded.computeIfAbsent(name, n -> {
      synchronized (assets) {
        NDManager m = manager();
        return Classifier.load(m, assets.ensure(m, n));
      }
    });
  }

  /**
   * The manager models and request-scoped arrays live under (each request uses its own
   * sub-manager); made on first use, so the service starts and reports healthy without libtorch.
   */
  public synchronized NDManager manager() {
    if (manager == null) {
      manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
    }
    return manager;
  }

  @Override
  public synchronized void destroy() {
    if (manager != null) {
      manager.close();
    }
  }
}
