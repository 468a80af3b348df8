package dev.divergence.training.registry;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A model version in the registry, with its lineage and final metrics.
 *
 * @param mergedFrom the two models a merged model was made from; null for every other model
 * @param metadata free-form facts about how the model was made (a merge's method and parameters); empty if none
 */
public record RegisteredModel(
    String name,
    int version,
    String architecture,
    String uri,
    String baseModel,
    String teacherModel,
    String referenceModel,
    UUID producingJob,
    Map<String, Double> metrics,
    Instant createdAt,
    MergedFrom mergedFrom,
    Map<String, String> metadata) {

  /** The parents of a merged model, as model references. */
  public record MergedFrom(String generalist, String expert) {}

  public String reference() {
    return name + ":" + version;
  }

  public Path path() {
    return Path.of(java.net.URI.create(uri));
  }
}
