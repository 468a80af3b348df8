package dev.divergence.inference.store;

import dev.divergence.inference.models.ModelKind;
import dev.divergence.inference.models.ServableModel;
import dev.divergence.inference.models.ServingState;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * One row of the catalog: a model name and the version it serves, what it is, where its files came
 * from, and its state in the serving backend.
 *
 * @param classNames classifiers: class names in output order; empty for language models
 * @param sourceUri the Hugging Face model folder (file URI) the repository entries are made from
 * @param loadRequests how often the backend was asked to load this version
 */
public record CatalogEntry(
    String name,
    int version,
    ModelKind kind,
    String architecture,
    int vocabSize,
    int contextLength,
    List<String> classNames,
    String sourceUri,
    boolean builtIn,
    Lineage lineage,
    ServingState state,
    String message,
    int loadRequests,
    Instant updatedAt) {

  public CatalogEntry {
    classNames = classNames == null ? List.of() : List.copyOf(classNames);
    message = message == null ? "" : message;
    lineage = lineage == null ? Lineage.NONE : lineage;
  }

  public Path sourceDir() {
    return pathOf(sourceUri);
  }

  /**
   * The folder a registry uri names: a file URI (what the registry announces) or a plain path.
   *
   * @throws IllegalArgumentException when it is neither
   */
  public static Path pathOf(String uri) {
    try {
      if (uri == null || uri.isBlank()) {
        throw new IllegalArgumentException("empty");
      }
      return uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("uri '" + uri + "' is not a file URI or path: " + e.getMessage(), e);
    }
  }

  public ServableModel servable() {
    return new ServableModel(name, Integer.toString(version), kind, architecture, vocabSize, contextLength, state, message);
  }

  public CatalogEntry withState(ServingState newState, String newMessage) {
    return new CatalogEntry(name, version, kind, architecture, vocabSize, contextLength, classNames, sourceUri, builtIn,
        lineage, newState, newMessage, loadRequests, updatedAt);
  }
}
