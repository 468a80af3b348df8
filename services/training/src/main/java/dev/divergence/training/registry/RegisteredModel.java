package dev.divergence.training.registry;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A model version in the registry, with its lineage and final metrics. */
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
    Instant createdAt) {

  public String reference() {
    return name + ":" + version;
  }

  public Path path() {
    return Path.of(java.net.URI.create(uri));
  }
}
