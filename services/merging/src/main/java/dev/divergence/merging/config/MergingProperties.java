package dev.divergence.merging.config;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param dataDir built-in models and the DJL cache live under it (env DIVERGENCE_DATA_DIR)
 * @param builtInClassifierSteps training steps of a built-in classifier made on first use (300 gives the
 *     demo models; tests pass a few dozen)
 * @param maxBatch the most input rows one predict request may carry
 */
@ConfigurationProperties("divergence.merging")
public record MergingProperties(Path dataDir, Integer builtInClassifierSteps, Integer maxBatch) {

  public MergingProperties {
    dataDir = (dataDir == null ? Path.of(".data") : dataDir).toAbsolutePath().normalize();
    builtInClassifierSteps = builtInClassifierSteps == null ? 300 : builtInClassifierSteps;
    maxBatch = maxBatch == null ? 4096 : maxBatch;
    if (builtInClassifierSteps < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("divergence.merging.built-in-classifier-steps and max-batch must be at least 1");
    }
  }
}
