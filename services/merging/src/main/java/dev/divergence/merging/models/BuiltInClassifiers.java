package dev.divergence.merging.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.merging.config.MergingProperties;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The built-in classifiers of libs/model (made under the data folder the first time, then cached in
 * memory): the digits CNN generalist / expert pair, and the breast-cancer MLPs (teacher and student,
 * two different architectures). Loaded classifiers are only read by forwards, so they are shared.
 *
 * <p>With {@code divergence.merging.prepare-built-ins-at-start} (the default) every built-in is
 * PREPARING from the moment the service exists until {@link BuiltInPreparation} has made and loaded
 * it in the background; a request for one that is not READY yet gets {@link BuiltInModelNotReadyException}
 * at once instead of blocking for the tens of seconds training takes. Without it, the first request
 * that needs a model makes it (lazy mode).
 */
@Component
public class BuiltInClassifiers implements DisposableBean {

  public static final List<String> NAMES = List.of(TinyAssets.DIGITS_GENERALIST, TinyAssets.DIGITS_EXPERT,
      TinyAssets.CANCER_GENERALIST, TinyAssets.CANCER_EXPERT, TinyAssets.CANCER_TEACHER, TinyAssets.CANCER_STUDENT);

  private final TinyAssets assets;
  private NDManager manager;
  private final Map<String, Classifier> loaded = new ConcurrentHashMap<>();
  private final Map<String, BuiltInState> states = new ConcurrentHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  /** Notified whenever a model stops PREPARING (experiments wait on it). */
  private final Object stateChanged = new Object();

  public BuiltInClassifiers(MergingProperties properties) {
    DjlRuntime.configure(properties.dataDir().resolve("djl"));
    this.assets = new TinyAssets(properties.dataDir(), new TinyAssets.Budget(1, properties.builtInClassifierSteps()));
    for (String name : NAMES) {
      states.put(name, properties.prepareBuiltInsAtStart() ? BuiltInState.PREPARING : BuiltInState.NOT_LOADED);
    }
  }

  /** One built-in's state; {@code failure} is the error of its last failed attempt (FAILED only). */
  public record Status(String name, BuiltInState state, String failure) {}

  /** Every built-in's state, in {@link #NAMES} order. */
  public List<Status> statuses() {
    return NAMES.stream().map(n -> new Status(n, states.get(n), states.get(n) == BuiltInState.FAILED ? failures.get(n) : null)).toList();
  }

  public BuiltInState state(String name) {
    return states.get(name);
  }

  /** True while the background preparation still has {@code name} to make or load: {@link #get} would refuse it. */
  public boolean isPreparing(String name) {
    return name != null && states.get(name) == BuiltInState.PREPARING;
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

  /**
   * The loaded model; made and loaded now in lazy mode (or after a failed preparation).
   *
   * @throws BuiltInModelNotReadyException while the background preparation has not finished it
   */
  public Classifier get(String field, String name) {
    requireKnown(field, name);
    Classifier ready = loaded.get(name);
    if (ready != null) {
      return ready;
    }
    if (isPreparing(name)) {
      throw new BuiltInModelNotReadyException(name);
    }
    return load(name);
  }

  /**
   * {@link #get}, but waits up to {@code timeout} while the model is PREPARING, calling
   * {@code checkpoint} about once a second (it may throw to stop waiting, e.g. on cancellation).
   *
   * @throws BuiltInModelNotReadyException when it is still PREPARING after {@code timeout}
   */
  public Classifier await(String field, String name, Duration timeout, Runnable checkpoint) {
    requireKnown(field, name);
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (stateChanged) {
      while (isPreparing(name)) {
        checkpoint.run();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          stateChanged.wait(Math.max(1, Math.min(1000, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new BuiltInModelNotReadyException(name);
        }
      }
    }
    return get(field, name);
  }

  /** The built-ins loaded now (the model resolver releases their interpolation pairs with models it closes). */
  public List<Classifier> loadedModels() {
    return List.copyOf(loaded.values());
  }

  /** Makes (if needed) and loads {@code name}; called by the background preparation. */
  void prepare(String name) {
    load(name);
  }

  private Classifier load(String name) {
    synchronized (assets) {
      Classifier classifier = loaded.get(name);
      try {
        if (classifier == null) {
          NDManager m = manager();
          classifier = Classifier.load(m, assets.ensure(m, name));
          loaded.put(name, classifier);
        }
        changeState(name, BuiltInState.READY, null);
        return classifier;
      } catch (RuntimeException | Error e) {
        // an Error too (e.g. libtorch failing to load): the model must not stay PREPARING for ever
        changeState(name, BuiltInState.FAILED, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        throw e;
      }
    }
  }

  private void changeState(String name, BuiltInState state, String failure) {
    synchronized (stateChanged) {
      if (failure != null) {
        failures.put(name, failure);
      }
      states.put(name, state);
      stateChanged.notifyAll();
    }
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
