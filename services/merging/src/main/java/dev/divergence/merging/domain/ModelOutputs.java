package dev.divergence.merging.domain;

import dev.divergence.platform.errors.InvalidArgumentException;

/**
 * Both models' logits for the same batch: rows are samples, columns classes. Validated once here so
 * that every method may assume a non-empty, rectangular, finite batch with matching class counts.
 */
public record ModelOutputs(double[][] generalistLogits, double[][] expertLogits) {

  public ModelOutputs {
    requireRectangularFinite("generalist_logits", generalistLogits);
    requireRectangularFinite("expert_logits", expertLogits);
    if (generalistLogits.length != expertLogits.length) {
      throw new InvalidArgumentException("expert_logits", "has " + expertLogits.length + " rows, the generalist's " + generalistLogits.length);
    }
    if (generalistLogits[0].length != expertLogits[0].length) {
      throw new InvalidArgumentException("expert_logits", "has " + expertLogits[0].length + " classes, the generalist " + generalistLogits[0].length);
    }
  }

  public int size() {
    return generalistLogits.length;
  }

  public double[] generalistProbabilities(int i, double temperature) {
    return Probabilities.softmax(generalistLogits[i], temperature);
  }

  public double[] expertProbabilities(int i, double temperature) {
    return Probabilities.softmax(expertLogits[i], temperature);
  }

  private static void requireRectangularFinite(String field, double[][] rows) {
    if (rows == null || rows.length == 0) {
      throw new InvalidArgumentException(field, "must not be empty");
    }
    int width = rows[0] == null ? 0 : rows[0].length;
    if (width < 2) {
      throw new InvalidArgumentException(field + "[0]", "needs at least 2 classes");
    }
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] == null || rows[i].length != width) {
        throw new InvalidArgumentException(field + "[" + i + "]", "has " + (rows[i] == null ? 0 : rows[i].length) + " values, expected " + width);
      }
      for (int j = 0; j < width; j++) {
        if (!Double.isFinite(rows[i][j])) {
          throw new InvalidArgumentException(field + "[" + i + "][" + j + "]", "must be finite, got " + rows[i][j]);
        }
      }
    }
  }
}
