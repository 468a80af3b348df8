package dev.divergence.merging.models;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.config.MergingProperties;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.training.v1.Model;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Where a merge's models come from. A model reference is a built-in classifier's name (made and kept
 * locally by {@link BuiltInClassifiers}; {@code <built-in>:1} is the same model, as in the training
 * service's registry, where a built-in owns version 1 of its name), or any other {@code name} (latest
 * version) or {@code name:version} of the training service's model registry, looked up through its
 * gRPC ModelRegistryService ({@link ModelRegistryClient}) and loaded from the folder
 * its {@code uri} names (the services share the data directory, as inference does).
 *
 * <p>A merge {@linkplain #pin pins} its registered models to the version they had when it was created,
 * so that registering a newer version never changes an existing merge. Loaded registered models are
 * cached by {@code name:version} (at most {@code divergence.merging.registered-models-cache}, least
 * recently used first out); a model is closed when it has left the cache and no {@link Lease} still
 * uses it, and every cached model at shutdown.
 *
 * <p>Errors: a malformed or unknown reference is an {@link InvalidArgumentException} naming the field;
 * a registered model that is not a classifier too; the registry out of reach (or a registered folder this
 * service cannot read) a {@link ModelRegistryUnavailableException} (503 / UNAVAILABLE).
 */
@Component
public class ModelResolver implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(ModelResolver.class);
  /** The registry's own rule for names (training's ModelReference), checked here before any call. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");

  private final BuiltInClassifiers builtIns;
  private final ModelRegistryClient registry;
  private final int capacity;
  /** Loaded registered models by name:version, least recently used first; guarded by itself. */
  private final LinkedHashMap<String, Entry> cache = new LinkedHashMap<>(16, 0.75f, true);
  private boolean closed;

  public ModelResolver(BuiltInClassifiers builtIns, ModelRegistryClient registry, MergingProperties properties) {
    this.builtIns = builtIns;
    this.registry = registry;
    this.capacity = properties.registeredModelsCache();
  }

  /** A reference split into its name and version (null: the latest; built-ins have none). */
  public record Reference(String name, Integer version) {

    public boolean builtIn() {
      return BuiltInClassifiers.NAMES.contains(name) && (version == null || version == 1);
    }

    /** The form stored and shown: a built-in's bare name, a registered model's name[:version]. */
    @Override
    public String toString() {
      return builtIn() || version == null ? name : name + ":" + version;
    }
  }

  /**
   * Checks the reference's form, naming {@code field}; no model is looked up.
   *
   * @throws InvalidArgumentException when it is missing or not {@code name} / {@code name:version}
   */
  public static Reference parse(String field, String reference) {
    if (reference == null || reference.isBlank()) {
      throw new InvalidArgumentException(field, "is required: a built-in classifier (one of " + BuiltInClassifiers.NAMES
          + ") or a classifier of the model registry as name or name:version");
    }
    int colon = reference.lastIndexOf(':');
    String name = colon < 0 ? reference : reference.substring(0, colon);
    if (!NAME.matcher(name).matches()) {
      throw new InvalidArgumentException(field, "'" + reference + "' is not a model reference: a name of [a-z0-9._-]"
          + " (starting with a letter or digit, at most 100 characters), optionally followed by :version");
    }
    if (colon < 0) {
      return new Reference(name, null);
    }
    try {
      int version = Integer.parseInt(reference.substring(colon + 1));
      if (version >= 1) {
        return new Reference(name, version);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidArgumentException(field, "version in '" + reference + "' must be a positive integer");
  }

  /** True when the reference names a built-in classifier (whatever its state). */
  public static boolean isBuiltIn(String reference) {
    try {
      return parse("model", reference).builtIn();
    } catch (InvalidArgumentException e) {
      return false;
    }
  }

  /**
   * The reference a merge stores: a built-in's name, or the registered model's {@code name:version}
   * (the latest version now when none is given), after checking that the model exists.
   */
  public String pin(String field, String reference) {
    Reference ref = parse(field, reference);
    if (ref.builtIn()) {
      return ref.toString();
    }
    if (ref.version() != null && cached(ref.toString())) {
      return ref.toString();
    }
    Model model = lookUp(field, ref);
    return model.getName() + ":" + model.getVersion();
  }

  /** True while the background preparation still has the built-in {@code reference}: {@link #acquire} would refuse it. */
  public boolean isPreparing(String reference) {
    return isBuiltIn(reference) && builtIns.isPreparing(parse("model", reference).name());
  }

  /**
   * The loaded model for one use; close the lease when done. A built-in still being prepared is a
   * {@link BuiltInModelNotReadyException}.
   */
  public Lease acquire(String field, String reference) {
    Reference ref = parse(field, reference);
    if (ref.builtIn()) {
      return new Lease(ref.toString(), builtIns.get(field, ref.name()), null);
    }
    return registered(field, ref);
  }

  /**
   * {@link #acquire}, but waits up to {@code timeout} for a built-in still being prepared, calling
   * {@code checkpoint} about once a second (it may throw to stop waiting).
   */
  public Lease await(String field, String reference, Duration timeout, Runnable checkpoint) {
    Reference ref = parse(field, reference);
    if (ref.builtIn()) {
      return new Lease(ref.toString(), builtIns.await(field, ref.name(), timeout, checkpoint), null);
    }
    checkpoint.run();
    return registered(field, ref);
  }

  /** The manager models and request-scoped arrays live under (the built-ins' one). */
  public NDManager manager() {
    return builtIns.manager();
  }

  private Lease registered(String field, Reference ref) {
    if (ref.version() != null) {
      Lease lease = leaseCached(ref.toString());
      if (lease != null) {
        return lease;
      }
    }
    Model model = lookUp(field, ref);
    String key = model.getName() + ":" + model.getVersion();
    Lease lease = leaseCached(key);
    if (lease != null) {
      return lease;
    }
    Classifier classifier = load(field, key, model);
    synchronized (cache) {
      if (closed) {
        classifier.close();
        throw new ModelRegistryUnavailableException("the merging service is shutting down");
      }
      Entry entry = cache.get(key);
      if (entry != null) {
        // another request loaded it meanwhile: keep one copy
        classifier.close();
      } else {
        entry = new Entry(key, classifier);
        cache.put(key, entry);
        evictOverCapacity();
      }
      entry.leases++;
      return new Lease(key, entry.classifier, entry);
    }
  }

  private boolean cached(String key) {
    synchronized (cache) {
      return cache.containsKey(key);
    }
  }

  private Lease leaseCached(String key) {
    synchronized (cache) {
      Entry entry = cache.get(key);
      if (entry == null) {
        return null;
      }
      entry.leases++;
      return new Lease(key, entry.classifier, entry);
    }
  }

  /** Called with the cache's lock held. */
  private void evictOverCapacity() {
    Iterator<Entry> oldestFirst = cache.values().iterator();
    while (cache.size() > capacity && oldestFirst.hasNext()) {
      Entry entry = oldestFirst.next();
      oldestFirst.remove();
      entry.evicted = true;
      log.info("registered model {} left the cache (capacity {}){}", entry.key, capacity,
          entry.leases > 0 ? "; closed when its last use ends" : "");
      if (entry.leases == 0) {
        close(entry);
      }
    }
  }

  /**
   * Closes a model that left the cache and is no longer used, with the interpolation pairs other loaded
   * models made with it (libs/model caches them on the generalist: a built-in generalist would otherwise
   * keep every evicted expert's pair). Called with the cache's lock held.
   */
  private void close(Entry entry) {
    for (Classifier other : builtIns.loadedModels()) {
      other.releaseInterpolationWith(entry.classifier);
    }
    for (Entry cached : cache.values()) {
      cached.classifier.releaseInterpolationWith(entry.classifier);
    }
    entry.classifier.close();
  }

  private void release(Entry entry) {
    synchronized (cache) {
      entry.leases--;
      if (entry.leases == 0 && entry.evicted) {
        close(entry);
      }
    }
  }

  private Model lookUp(String field, Reference ref) {
    return registry.getModel(field, ref.toString());
  }

  private Classifier load(String field, String key, Model model) {
    Path dir;
    try {
      dir = Path.of(URI.create(model.getUri()));
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw new ModelRegistryUnavailableException("registered model " + key + " is at '" + model.getUri()
          + "', not a file this merging service can read");
    }
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new ModelRegistryUnavailableException("registered model " + key + " is at " + dir + ", which this merging service"
          + " cannot read: it must share the training service's data directory (DIVERGENCE_DATA_DIR)");
    }
    try {
      Classifier classifier = Classifier.load(builtIns.manager(), dir);
      log.info("loaded registered model {} ({}) from {}", key, model.getArchitecture(), dir);
      return classifier;
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      // InvalidModelException (a config or tensors libs/model rejects) is an IllegalArgumentException
      throw new InvalidArgumentException(field, "model " + key + " (architecture '" + model.getArchitecture()
          + "') is not a classifier libs/model can load: " + e.getMessage());
    }
  }

  /** Registered models loaded now, least recently used first (for tests and diagnostics). */
  public List<String> cachedModels() {
    synchronized (cache) {
      return List.copyOf(cache.keySet());
    }
  }

  @Override
  public void destroy() {
    synchronized (cache) {
      closed = true;
      for (Entry entry : cache.values()) {
        entry.classifier.close();
      }
      cache.clear();
    }
  }

  private static final class Entry {
    final String key;
    final Classifier classifier;
    int leases;
    boolean evicted;

    Entry(String key, Classifier classifier) {
      this.key = key;
      this.classifier = classifier;
    }
  }

  /**
   * One use of a resolved model: {@code reference} is what a merge stores (a built-in's name or
   * {@code name:version}). Closing it lets an evicted registered model be closed; built-ins stay.
   */
  public final class Lease implements AutoCloseable {

    private final String reference;
    private final Classifier classifier;
    private final Entry entry;
    private boolean released;

    private Lease(String reference, Classifier classifier, Entry entry) {
      this.reference = reference;
      this.classifier = classifier;
      this.entry = entry;
    }

    public String reference() {
      return reference;
    }

    public Classifier classifier() {
      return classifier;
    }

    @Override
    public void close() {
      if (entry != null && !released) {
        released = true;
        release(entry);
      }
    }
  }

  /** Leases of the two models of a merge, closed together. */
  public record Pair(Lease generalist, Lease expert) implements AutoCloseable {

    @Override
    public void close() {
      try {
        generalist.close();
      } finally {
        expert.close();
      }
    }
  }

  /** Both models of a merge, the generalist first; the generalist's lease is released if the expert fails. */
  public Pair acquirePair(String generalistField, String generalist, String expertField, String expert) {
    Lease g = acquire(generalistField, generalist);
    try {
      return new Pair(g, acquire(expertField, expert));
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
  }
}
