package dev.divergence.inference.backend;

import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.inference.models.ModelKind;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelDynamicBatching;
import dev.divergence.proto.triton.ModelVersionPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/**
 * Writes the Triton repository entries of a catalog model: for a language model the stateless
 * entry (dynamic batching) and the decoding entry (sequence batching with the oldest strategy, so
 * concurrent generations' steps run as one batch), for a classifier one entry.
 * Version folders hold hard links to the registry's files where the file system allows, so the
 * weights are not stored three times; otherwise copies. For NVIDIA Triton's Python backend
 * ({@link InferenceProperties#entryBackend()} "python") the configs name that backend, the decoding
 * entry declares the sequence control inputs, and each version folder also gets model.py.
 */
@Component
public class RepositoryEntries {

  /** Joins concurrent scoring requests; a short delay because scoring is latency-bound. */
  private static final long QUEUE_DELAY_MICROS = 500;

  private final InferenceProperties properties;
  private final RepositoryWriter writer;

  public RepositoryEntries(InferenceProperties properties) {
    this.properties = properties;
    this.writer = new RepositoryWriter(properties.repositoryDir());
  }

  /** The Triton model names written, in the order they should be loaded. */
  public List<String> write(String name, int version, ModelKind kind, Path source) {
    if (kind == ModelKind.CLASSIFIER) {
      ModelConfig config = RepositoryWriter.classifierConfig(name, source, properties.classifierBatch()).toBuilder()
          .setDynamicBatching(batching(properties.classifierBatch()))
          .setVersionPolicy(exactly(version))
          .build();
      writeEntry(config, version, source);
      return List.of(name);
    }
    String stateless = TritonNames.stateless(name);
    ModelConfig scoring = RepositoryWriter.languageModelConfig(stateless, source, properties.languageModelBatch()).toBuilder()
        .setDynamicBatching(batching(properties.languageModelBatch()))
        .setVersionPolicy(exactly(version))
        .build();
    writeEntry(scoring, version, source);
    String decoding = TritonNames.decoding(name);
    ModelConfig oldest = RepositoryWriter.decodingConfig(scoring, decoding);
    ModelConfig decode = oldest.toBuilder()
        .setSequenceBatching(oldest.getSequenceBatching().toBuilder()
            .setMaxSequenceIdleMicroseconds(properties.sequenceIdle().toNanos() / 1000))
        .build();
    writeEntry(decode, version, source);
    return List.of(stateless, decoding);
  }

  /** The Triton model names of a catalog model. */
  public static List<String> tritonNames(String name, ModelKind kind) {
    return kind == ModelKind.CLASSIFIER ? List.of(name) : List.of(TritonNames.stateless(name), TritonNames.decoding(name));
  }

  private static ModelDynamicBatching batching(int maxBatch) {
    return ModelDynamicBatching.newBuilder()
        .addPreferredBatchSize(Math.max(1, maxBatch / 4))
        .addPreferredBatchSize(maxBatch)
        .setMaxQueueDelayMicroseconds(QUEUE_DELAY_MICROS)
        .build();
  }

  /** The catalog decides the version; a stray higher version folder must not be picked up. */
  private static ModelVersionPolicy exactly(int version) {
    return ModelVersionPolicy.newBuilder()
        .setSpecific(ModelVersionPolicy.Specific.newBuilder().addVersions(version))
        .build();
  }

  private void writeEntry(ModelConfig entry, int version, Path source) {
    boolean python = RepositoryWriter.PYTHON_BACKEND.equals(properties.entryBackend());
    ModelConfig config = python ? RepositoryWriter.forPythonBackend(entry) : entry;
    Path versionDir = properties.repositoryDir().resolve(config.getName()).resolve(Integer.toString(version));
    try {
      Files.createDirectories(versionDir);
      try (Stream<Path> files = Files.list(source)) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          linkOrCopy(file, versionDir.resolve(file.getFileName()));
        }
      }
      if (python) {
        RepositoryWriter.writePythonModel(versionDir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write repository entry " + versionDir, e);
    }
    writer.writeConfig(config);
  }

  private static void linkOrCopy(Path file, Path target) throws IOException {
    Files.deleteIfExists(target);
    try {
      Files.createLink(target, file);
    } catch (IOException | UnsupportedOperationException e) {
      // another file system, or one without hard links
      Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
