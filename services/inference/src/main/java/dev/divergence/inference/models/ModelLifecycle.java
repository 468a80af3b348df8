package dev.divergence.inference.models;

import dev.divergence.inference.backend.RepositoryEntries;
import dev.divergence.inference.store.CatalogEntry;
import dev.divergence.inference.store.Lineage;
import dev.divergence.inference.store.ServableModelStore;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.platform.errors.NotFoundException;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Makes catalog models servable and takes them out again: records the version to serve, writes its
 * Triton repository entries and asks the backend to load them (explicit model control, the same
 * RPC for the embedded server and for Triton). A failure leaves the row FAILED with the reason; the
 * row keeps the source, so a later load retries it.
 */
@Service
public class ModelLifecycle {

  private static final Logger log = LoggerFactory.getLogger(ModelLifecycle.class);

  private final ServableModelStore store;
  private final RepositoryEntries entries;
  private final TritonClient client;
  private final MeterRegistry meters;
  private final Timer loadTime;
  private final ConcurrentMap<String, Object> locks = new ConcurrentHashMap<>();

  public ModelLifecycle(ServableModelStore store, RepositoryEntries entries, TritonClient client, MeterRegistry meters) {
    this.store = store;
    this.entries = entries;
    this.client = client;
    this.meters = meters;
    this.loadTime = Timer.builder("divergence.inference.model.load")
        .description("Time to write a model's repository entries and load them into the serving backend")
        .register(meters);
  }

  /**
   * Records {@code version} of {@code name} as the one to serve, in state LOADING, without loading it.
   *
   * @return false when the catalog already serves (or is loading) this version or a newer one, so nothing changed
   */
  public boolean register(String name, int version, String sourceUri, boolean builtIn, Lineage lineage) {
    return register(name, version, sourceUri, builtIn, lineage, null);
  }

  /**
   * As {@link #register(String, int, String, boolean, Lineage)}, for a model of {@code tenant}'s: only that
   * tenant sees and uses it (null: every tenant).
   */
  public boolean register(String name, int version, String sourceUri, boolean builtIn, Lineage lineage, String tenant) {
    Optional<CatalogEntry> current = store.find(name);
    if (current.isPresent()) {
      CatalogEntry entry = current.get();
      boolean active = entry.state() == ServingState.READY || entry.state() == ServingState.LOADING;
      if (entry.version() > version || (entry.version() == version && active)) {
        log.info("model {} version {} is already in the catalog as version {} ({})", name, version, entry.version(), entry.state());
        return false;
      }
    }
    String problem = null;
    ModelFolder folder = null;
    if (name.contains(TritonNames.DECODING_SUFFIX) || name.contains("/")) {
      problem = "model name '" + name + "' cannot be served: it must not contain '" + TritonNames.DECODING_SUFFIX + "' or '/'";
    } else {
      try {
        folder = ModelFolder.read(CatalogEntry.pathOf(sourceUri));
      } catch (IllegalArgumentException e) {
        problem = e.getMessage();
      }
    }
    store.save(new CatalogEntry(name, version, folder == null ? null : folder.kind(),
        folder == null ? "" : folder.architecture(), folder == null ? 0 : folder.vocabSize(),
        folder == null ? 0 : folder.contextLength(), folder == null ? List.of() : folder.classNames(),
        sourceUri, builtIn, lineage, problem == null ? ServingState.LOADING : ServingState.FAILED,
        problem, 0, null), tenant);
    if (problem != null) {
      failed(name, problem);
    }
    return problem == null;
  }

  /** Writes the entries of the row's version and loads them; returns the row as it ends up (READY or FAILED). */
  public CatalogEntry load(String name) {
    synchronized (locks.computeIfAbsent(name, n -> new Object())) {
      CatalogEntry entry = store.find(name).orElseThrow(() -> new NotFoundException("model", name));
      if (entry.kind() == null) {
        // its files could not be read when it was registered; they may be readable now
        if (!register(name, entry.version(), entry.sourceUri(), entry.builtIn(), entry.lineage(), store.tenantOf(name).orElse(null))) {
          return store.find(name).orElseThrow();
        }
        entry = store.find(name).orElseThrow();
      }
      store.updateState(name, entry.version(), ServingState.LOADING, "");
      store.countLoadRequest(name, entry.version());
      long start = System.nanoTime();
      try {
        List<String> tritonModels = entries.write(name, entry.version(), entry.kind(), entry.sourceDir());
        for (String tritonModel : tritonModels) {
          client.loadModel(tritonModel);
        }
        store.updateState(name, entry.version(), ServingState.READY, "");
        log.info("model {} version {} is ready ({} entries)", name, entry.version(), tritonModels.size());
      } catch (StatusRuntimeException e) {
        String reason = "the serving backend did not load it: " + e.getStatus().getCode() + " " + e.getStatus().getDescription();
        store.updateState(name, entry.version(), ServingState.FAILED, reason);
        failed(name, reason);
      } catch (RuntimeException e) {
        String reason = "cannot write its repository entries: " + e.getMessage();
        store.updateState(name, entry.version(), ServingState.FAILED, reason);
        failed(name, reason);
      } finally {
        loadTime.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
      }
      return store.find(name).orElseThrow();
    }
  }

  /** Unloads every entry of the model from the backend; the row stays, UNLOADED, and can be loaded again. */
  public CatalogEntry unload(String name) {
    synchronized (locks.computeIfAbsent(name, n -> new Object())) {
      CatalogEntry entry = store.find(name).orElseThrow(() -> new NotFoundException("model", name));
      if (entry.kind() != null) {
        for (String tritonModel : RepositoryEntries.tritonNames(name, entry.kind())) {
          client.unloadModel(tritonModel);
        }
      }
      store.updateState(name, entry.version(), ServingState.UNLOADED, "");
      log.info("model {} version {} unloaded", name, entry.version());
      return store.find(name).orElseThrow();
    }
  }

  private void failed(String name, String reason) {
    Counter.builder("divergence.inference.model.load.failures")
        .description("Model loads that ended FAILED")
        .tag("model", name)
        .register(meters)
        .increment();
    log.warn("model {} cannot be served: {}", name, reason);
  }
}
