package dev.divergence.merging.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param dataDir built-in models and the DJL cache live under it (env DIVERGENCE_DATA_DIR)
 * @param builtInClassifierSteps training steps of a built-in classifier made on first use (300 gives the
 *     demo models; tests pass a few dozen)
 * @param maxBatch the most input rows one predict request may carry
 * @param prepareBuiltInsAtStart make and load the built-in classifiers in the background when the service
 *     starts (default true), answering "not ready, retry" for them meanwhile; false: the first request
 *     that needs one makes it (it may take longer than a gateway's read timeout)
 * @param prepareBuiltInsAfter how long after start the background preparation begins (default 0)
 * @param registeredModelsCache the most models of the model registry kept loaded at once (default 8), least
 *     recently used first out
 */
@ConfigurationProperties("divergence.merging")
public record MergingProperties(Path dataDir, Integer builtInClassifierSteps, Integer maxBatch, Boolean prepareBuiltInsAtStart,
    Duration prepareBuiltInsAfter, Integer registeredModelsCache) {

  public MergingProperties {
    dataDir = (dataDir == null ? Path.of(".data") : dataDir).toAbsolutePath().normalize();
    builtInClassifierSteps = builtInClassifierSteps == null ? 300 : builtInClassifierSteps;
    maxBatch = maxBatch == null ? 4096 : maxBatch;
    prepareBuiltInsAtStart = prepareBuiltInsAtStart == null || prepareBuiltInsAtStart;
    prepareBuiltInsAfter = prepareBuiltInsAfter == null ? Duration.ZERO : prepareBuiltInsAfter;
    registeredModelsCache = registeredModelsCache == null ? 8 : registeredModelsCache;
    if (registeredModelsCache < 1) {
      throw new IllegalArgumentException("divergence.merging.registered-models-cache must be at least 1");
    }
    if (prepareBuiltInsAfter.isNegative()) {
      throw new IllegalArgumentException("divergence.merging.prepare-built-ins-after must not be negative");
    }
    if (builtInClassifierSteps < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("divergence.merging.built-in-classifier-steps and max-batch must be at least 1");
    }
  }
}
