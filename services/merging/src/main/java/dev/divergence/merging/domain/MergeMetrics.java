package dev.divergence.merging.domain;

import dev.divergence.math.calibration.BinEdges;
import dev.divergence.math.calibration.Calibration;
import dev.divergence.math.calibration.CalibrationNorm;
import dev.divergence.platform.errors.InvalidArgumentException;

/**
 * How a merged model did on labelled samples: top-1 accuracy, expected calibration error (the
 * platform's defaults: 15 equal-width bins, numpy histogram edges, L1, as in the evaluation
 * service), mean negative log-likelihood, and the distribution of the method's lambda.
 *
 * @param accuracy share of samples whose arg max (first maximum on ties) is the label
 * @param ece expected calibration error of the top-label confidence
 * @param meanNll mean of -ln p(label), the probability floored at Double.MIN_NORMAL
 * @param lambda summary of the per-sample lambda
 * @param expertDominatedShare share of samples whose generalist weight is below 0.5
 */
public record MergeMetrics(int samples, double accuracy, double ece, double meanNll, LambdaSummary lambda, double expertDominatedShare) {

  public static final int ECE_BINS = Calibration.DEFAULT_BINS;

  /** min, mean, max and a 10-bin histogram of lambda over [0, 1] (counts; values outside [0, 1] go to the end bins). */
  public record LambdaSummary(double min, double mean, double max, int[] histogram) {}

  public static MergeMetrics of(double[][] probabilities, int[] labels, double[] lambda, double[] generalistWeight) {
    int n = probabilities.length;
    if (labels == null || labels.length != n) {
      throw new InvalidArgumentException("labels", "has " + (labels == null ? 0 : labels.length) + " entries for " + n + " inputs");
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= probabilities[i].length) {
        throw new InvalidArgumentException("labels[" + i + "]", "must be a class in [0, " + probabilities[i].length + "), got " + labels[i]);
      }
    }
    Calibration.TopLabel top = Calibration.topLabel(probabilities, labels);
    double correct = 0;
    double nll = 0;
    double expert = 0;
    for (int i = 0; i < n; i++) {
      correct += top.accuracies()[i];
      nll -= Math.log(Math.max(probabilities[i][labels[i]], Double.MIN_NORMAL));
      expert += generalistWeight[i] < 0.5 ? 1 : 0;
    }
    double ece = Calibration.error(top.confidences(), top.accuracies(), ECE_BINS, CalibrationNorm.L1, BinEdges.NUMPY_HISTOGRAM);
    return new MergeMetrics(n, correct / n, ece, nll / n, summary(lambda), expert / n);
  }

  static LambdaSummary summary(double[] lambda) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    int[] histogram = new int[10];
    for (double l : lambda) {
      min = Math.min(min, l);
      max = Math.max(max, l);
      sum += l;
      histogram[Math.clamp((int) Math.floor(l * 10), 0, 9)]++;
    }
    return new LambdaSummary(min, max == Double.NEGATIVE_INFINITY ? Double.NaN : sum / lambda.length, max, histogram);
  }
}
