package dev.divergence.merging.experiment;

import ai.djl.ndarray.NDManager;
import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.merging.domain.MergeMethod;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.merging.domain.T3;
import dev.divergence.merging.domain.T3Batch;
import dev.divergence.merging.domain.WeightAverage;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.experiment.ExperimentResults.LambdaDistribution;
import dev.divergence.merging.experiment.ExperimentResults.MethodResult;
import dev.divergence.merging.experiment.ExperimentResults.SeedEstimate;
import dev.divergence.merging.experiment.ExperimentResults.SplitResult;
import dev.divergence.model.assets.LabeledData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The T³ protocol on one pair: every method on every split for every seed, scored by the same
 * {@link ModelPair#evaluate} as the Evaluate endpoint, then summarised per split and method as means
 * over seeds with Student-t intervals (libs/divergence {@link RunningStatistics}).
 */
public final class ExperimentProtocol {

  public static final double CONFIDENCE_LEVEL = 0.95;
  public static final double[] LAMBDA_QUANTILES = {0.05, 0.25, 0.5, 0.75, 0.95};

  private ExperimentProtocol() {
  }

  /** Evaluations the spec asks for (its progress total): splits x seeds x (methods, a sweep counting each alpha). */
  public static long workUnits(ExperimentSpec spec) {
    long perSeed = 0;
    for (String method : spec.methods()) {
      perSeed += method.equals(ExperimentSpecValidator.WISE_FT_SWEEP) ? WeightAverage.DEFAULT_SWEEP.length : 1;
    }
    return perSeed * spec.seeds() * spec.splits().size();
  }

  /** Whether error reduction is measured against this method: all but T³ and T³_B, the methods under study. */
  public static boolean isBaseline(String method) {
    return !method.equals(T3.NAME) && !method.equals(T3Batch.NAME);
  }

  /** One method's scores on one split, one entry per seed (per alpha and seed for the sweep). */
  private static final class Scores {
    final double[][] accuracy;
    final double[][] ece;
    final List<List<double[]>> lambda = new ArrayList<>();

    Scores(int variants, int seeds) {
      accuracy = new double[variants][seeds];
      ece = new double[variants][seeds];
      for (int v = 0; v < variants; v++) {
        lambda.add(new ArrayList<>());
      }
    }
  }

  /**
   * @param progress told the evaluations done after each one
   * @param checkCancelled called before each evaluation; throws to stop the experiment
   */
  public static ExperimentResults run(ExperimentSpec spec, ModelPair pair, NDManager manager, LongConsumer progress,
      Runnable checkCancelled) {
    List<WeightAverage> sweep = MergeMethods.alphaSweep(Map.of());
    Map<String, List<MergeMethod>> variants = new LinkedHashMap<>();
    for (String name : spec.methods()) {
      variants.put(name, name.equals(ExperimentSpecValidator.WISE_FT_SWEEP) ? List.copyOf(sweep)
          : List.of(MergeMethods.create(name, name.equals(spec.method()) ? spec.parameters() : Map.of())));
    }
    long done = 0;
    List<SplitResult> results = new ArrayList<>();
    for (ExperimentSpec.Split split : spec.splits()) {
      LabeledData base = Splits.base(split);
      Map<String, Scores> scores = new LinkedHashMap<>();
      variants.forEach((name, methods) -> scores.put(name, new Scores(methods.size(), spec.seeds())));
      for (int seed = 0; seed < spec.seeds(); seed++) {
        LabeledData data = Splits.draw(split, base, seed);
        for (var entry : variants.entrySet()) {
          Scores s = scores.get(entry.getKey());
          for (int v = 0; v < entry.getValue().size(); v++) {
            checkCancelled.run();
            ModelPair.Evaluation e = pair.evaluateWithLambda(manager, entry.getValue().get(v), data.features(), data.labels(),
                spec.batchSize());
            s.accuracy[v][seed] = e.metrics().accuracy();
            s.ece[v][seed] = e.metrics().ece();
            s.lambda.get(v).add(e.lambda());
            progress.accept(++done);
          }
        }
      }
      results.add(summarise(split.name(), base.size(), variants, scores, sweep));
    }
    return new ExperimentResults(spec.generalist(), spec.expert(), spec.seeds(), spec.batchSize(), Splits.SEED_USE, results);
  }

  private static SplitResult summarise(String split, int samples, Map<String, List<MergeMethod>> variants, Map<String, Scores> scores,
      List<WeightAverage> sweep) {
    // the sweep is reported at its most accurate alpha on this split (an oracle choice, as in the paper's WiSE-FT baseline)
    Map<String, Integer> chosen = new LinkedHashMap<>();
    scores.forEach((name, s) -> {
      int best = 0;
      for (int v = 1; v < s.accuracy.length; v++) {
        if (mean(s.accuracy[v]) > mean(s.accuracy[best])) {
          best = v;
        }
      }
      chosen.put(name, best);
    });
    String bestBaseline = null;
    for (String name : scores.keySet()) {
      if (isBaseline(name) && (bestBaseline == null
          || mean(accuracy(scores, chosen, name)) > mean(accuracy(scores, chosen, bestBaseline)))) {
        bestBaseline = name;
      }
    }
    List<MethodResult> methods = new ArrayList<>();
    for (var entry : variants.entrySet()) {
      String name = entry.getKey();
      Scores s = scores.get(name);
      int v = chosen.get(name);
      double[] accuracy = s.accuracy[v];
      SeedEstimate reduction = bestBaseline == null ? null : errorReduction(accuracy(scores, chosen, bestBaseline), accuracy);
      boolean isSweep = name.equals(ExperimentSpecValidator.WISE_FT_SWEEP);
      double[] alphas = null;
      double[] curve = null;
      if (isSweep) {
        alphas = sweep.stream().mapToDouble(WeightAverage::alpha).toArray();
        curve = Arrays.stream(s.accuracy).mapToDouble(ExperimentProtocol::mean).toArray();
      }
      MergeMethod method = entry.getValue().get(v);
      methods.add(new MethodResult(name, method.parameters(), isBaseline(name), estimate(accuracy), reduction, estimate(s.ece[v]),
          lambda(s.lambda.get(v)), isSweep ? ((WeightAverage) method).alpha() : null, alphas, curve));
    }
    return new SplitResult(split, samples, bestBaseline, methods);
  }

  private static double[] accuracy(Map<String, Scores> scores, Map<String, Integer> chosen, String name) {
    return scores.get(name).accuracy[chosen.get(name)];
  }

  /**
   * (err_b - err_m) / err_b per seed, paired on the seed's resample; null when the baseline makes
   * no error on some resample (the reduction is undefined there).
   */
  static SeedEstimate errorReduction(double[] baselineAccuracy, double[] accuracy) {
    double[] reduction = new double[accuracy.length];
    for (int i = 0; i < accuracy.length; i++) {
      double baselineError = 1 - baselineAccuracy[i];
      if (baselineError <= 0) {
        return null;
      }
      reduction[i] = (baselineError - (1 - accuracy[i])) / baselineError;
    }
    return estimate(reduction);
  }

  /** Mean with its Student-t interval at {@link #CONFIDENCE_LEVEL}; a single seed has no interval (lower = upper = mean). */
  static SeedEstimate estimate(double[] values) {
    RunningStatistics stats = new RunningStatistics().addAll(values);
    if (stats.count() < 2) {
      return new SeedEstimate(stats.mean(), stats.mean(), stats.mean(), 0, stats.count(), CONFIDENCE_LEVEL);
    }
    RunningStatistics.Interval ci = stats.confidenceInterval(CONFIDENCE_LEVEL);
    return new SeedEstimate(stats.mean(), ci.lower(), ci.upper(), stats.standardDeviation(), stats.count(), CONFIDENCE_LEVEL);
  }

  /** Pooled lambda: quantiles by linear interpolation between order statistics (numpy's default), mean, ten bins. */
  static LambdaDistribution lambda(List<double[]> perSeed) {
    double[] all = perSeed.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
    double[] quantiles = new double[LAMBDA_QUANTILES.length];
    for (int q = 0; q < quantiles.length; q++) {
      double position = LAMBDA_QUANTILES[q] * (all.length - 1);
      int lower = (int) Math.floor(position);
      int upper = Math.min(lower + 1, all.length - 1);
      quantiles[q] = all[lower] + (position - lower) * (all[upper] - all[lower]);
    }
    long[] histogram = new long[10];
    for (double l : all) {
      histogram[Math.clamp((int) Math.floor(l * 10), 0, 9)]++;
    }
    return new LambdaDistribution(LAMBDA_QUANTILES.clone(), quantiles, mean(all), histogram);
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }
}
