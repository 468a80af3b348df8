package dev.divergence.training.trainer.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.Parameters;
import dev.divergence.training.trainer.Djl;
import dev.divergence.training.trainer.TestRun;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gradient accumulation against a float64 transcription: micro-batches holding different numbers of
 * tokens, each loss a token mean, give the gradient and the loss of one batch holding all their
 * tokens (the mean over every token of the step), not the mean of the micro-batches' means.
 */
class OptimisationTest {

  private static final double EPS = Math.ulp(1.0f); // 1.19e-7
  private static final int D = 6;

  /** Token counts of the micro-batches: very different, and one micro-batch without any token. */
  private static final int[] COUNTS = {3, 17, 0, 8};

  @Test
  void microBatchesOfDifferentTokenCountsGiveTheGradientAndLossOfOneBatch() {
    long seed = 20261206L;
    System.out.println("OptimisationTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    float[] w = new float[D];
    for (int d = 0; d < D; d++) {
      w[d] = (float) (random.nextDouble() * 2 - 1);
    }
    int total = 0;
    for (int n : COUNTS) {
      total += n;
    }
    float[][] x = new float[total][D];
    float[] y = new float[total];
    for (int t = 0; t < total; t++) {
      for (int d = 0; d < D; d++) {
        x[t][d] = (float) (random.nextDouble() * 4 - 2);
      }
      y[t] = (float) (random.nextDouble() * 6 - 3);
    }

    // float64: the loss mean_t (w.x_t - y_t)^2 over all tokens, its gradient, and per element the
    // sum of the absolute values of what float32 adds up (for the tolerance)
    double[] expected = new double[D];
    double[] absTerms = new double[D];
    double[] residualError = new double[D];
    double expectedLoss = 0;
    for (int t = 0; t < total; t++) {
      double r = -y[t];
      double magnitude = Math.abs(y[t]);
      for (int d = 0; d < D; d++) {
        r += (double) w[d] * x[t][d];
        magnitude += Math.abs((double) w[d] * x[t][d]);
      }
      expectedLoss += r * r / total;
      for (int d = 0; d < D; d++) {
        expected[d] += 2 * r * x[t][d] / total;
        absTerms[d] += Math.abs(2 * r * x[t][d]) / total;
        // the float32 residual is off by at most (D + 1) roundings of the products' magnitude
        residualError[d] += 2 * Math.abs(x[t][d]) * (D + 1) * EPS * magnitude / total;
      }
    }
    // what the mean of per-micro-batch means would give (the defect): must differ, or the test proves nothing
    double[] meanOfMeans = new double[D];
    int nonEmpty = 0;
    for (int n : COUNTS) {
      nonEmpty += n > 0 ? 1 : 0;
    }
    int offset = 0;
    for (int n : COUNTS) {
      for (int t = offset; t < offset + n; t++) {
        double r = -y[t];
        for (int d = 0; d < D; d++) {
          r += (double) w[d] * x[t][d];
        }
        for (int d = 0; d < D; d++) {
          meanOfMeans[d] += 2 * r * x[t][d] / n / nonEmpty;
        }
      }
      offset += n;
    }

    try (NDManager m = Djl.manager(); Parameters params = new Parameters(m)) {
      params.put("w", m.create(w));
      try (Optimisation optimisation = new Optimisation(params, TestRun.budget(1, 1, 1e-3, 1))) {
        offset = 0;
        for (int n : COUNTS) {
          float[] rows = new float[Math.max(n, 1) * D];
          float[] targets = new float[Math.max(n, 1)];
          for (int t = 0; t < n; t++) {
            System.arraycopy(x[offset + t], 0, rows, t * D, D);
            targets[t] = y[offset + t];
          }
          int count = n;
          optimisation.backward(() -> {
            NDArray residual = m.create(rows, new Shape(Math.max(count, 1), D)).matMul(params.get("w").reshape(D, 1)).reshape(-1)
                .sub(m.create(targets));
            // a micro-batch without tokens has the value 0 (as the token-mean losses guard it)
            return count == 0 ? residual.mul(0f).sum() : residual.square().mean();
          }, count);
          offset += n;
        }
        float[] gradient = optimisation.gradients().get("w");
        double norm = 0;
        double toleranceSquares = 0;
        for (int d = 0; d < D; d++) {
          // float32: each micro-batch sums its n tokens' terms, the step sums the micro-batches and
          // scales by count / total: at most (n + k + 4) roundings of the terms' absolute sum, plus
          // the residuals' own rounding; factor 2 of margin
          double tolerance = 2 * ((total + COUNTS.length + 4) * EPS * absTerms[d] + residualError[d]);
          assertThat((double) gradient[d]).as("gradient[%d]", d).isCloseTo(expected[d], within(tolerance));
          assertThat(Math.abs(meanOfMeans[d] - expected[d])).as("the defect is visible at [%d]", d).isGreaterThan(10 * tolerance);
          norm += expected[d] * expected[d];
          toleranceSquares += tolerance * tolerance;
        }
        Optimisation.Step step = optimisation.step(0);
        // the loss: a mean of non-negative terms, each with (D + 2) roundings, summed with (n + k + 4)
        assertThat(step.loss()).isCloseTo(expectedLoss, within(2 * (total + COUNTS.length + 2 * D + 8) * EPS * expectedLoss));
        // | |g| - |g'| | <= |g - g'|, plus the norm's own D roundings
        assertThat(step.gradNorm()).isCloseTo(Math.sqrt(norm), within(Math.sqrt(toleranceSquares) + 2 * D * EPS * Math.sqrt(norm)));
      }
    }
  }
}
