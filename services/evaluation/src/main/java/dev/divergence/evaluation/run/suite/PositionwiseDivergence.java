package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.stats.RunningStatistics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates one divergence between reference and model next-token distributions, position by
 * position, over many sequences: the mean per sequence (the unit of the confidence interval,
 * since a sequence's tokens are not independent), the mean per token, and a per-position curve.
 * Orientation as everywhere: p is the reference, q the model; kl = KL(reference || model).
 */
public final class PositionwiseDivergence {

  private final Divergence divergence;
  private final int maxPositions;
  private final RunningStatistics perSequence = new RunningStatistics();
  private final RunningStatistics perToken = new RunningStatistics();
  private final List<RunningStatistics> perPosition = new ArrayList<>();

  public PositionwiseDivergence(Divergence divergence, int maxPositions) {
    this.divergence = divergence;
    this.maxPositions = maxPositions;
  }

  /** One sequence: the reference's and the model's distribution at each of its positions. */
  public void addSequence(List<double[]> reference, List<double[]> model) {
    if (reference.size() != model.size()) {
      throw new IllegalArgumentException("reference gave " + reference.size() + " positions, model " + model.size());
    }
    if (reference.isEmpty()) {
      return;
    }
    double sum = 0;
    for (int t = 0; t < reference.size(); t++) {
      double[] p = reference.get(t);
      double[] q = model.get(t);
      if (p.length != q.length) {
        throw new IllegalArgumentException("the reference and the model have different vocabularies (" + p.length
            + " vs " + q.length + " tokens); a divergence over the vocabulary needs the same tokenizer");
      }
      double value = divergence.between(p, q);
      sum += value;
      perToken.add(value);
      if (t < maxPositions) {
        while (perPosition.size() <= t) {
          perPosition.add(new RunningStatistics());
        }
        perPosition.get(t).add(value);
      }
    }
    perSequence.add(sum / reference.size());
  }

  public Estimate sequenceMean(double level) {
    return Estimate.of(perSequence, level);
  }

  public Estimate tokenMean(double level) {
    return Estimate.of(perToken, level);
  }

  /** [{position, mean, lower, upper, n}] for the first positions. */
  public List<Map<String, Object>> curve(double level) {
    List<Map<String, Object>> curve = new ArrayList<>(perPosition.size());
    for (int t = 0; t < perPosition.size(); t++) {
      Estimate estimate = Estimate.of(perPosition.get(t), level);
      Map<String, Object> point = new LinkedHashMap<>();
      point.put("position", t);
      point.put("mean", estimate.mean());
      point.put("lower", estimate.lower());
      point.put("upper", estimate.upper());
      point.put("n", estimate.n());
      curve.add(point);
    }
    return curve;
  }
}
