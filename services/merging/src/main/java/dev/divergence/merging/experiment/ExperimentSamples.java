package dev.divergence.merging.experiment;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.domain.MergeMethod;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.merging.domain.WeightAverage;
import dev.divergence.merging.engine.MergedPrediction;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.models.ModelResolver;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;

/**
 * Per-sample inspection of an experiment (docs/merging.md, "Per-sample inspection"): for a window of
 * one split's rows, in the split's own order, each compared method's prediction, its confidence and,
 * for T³ and T³_B, the sample's lambda. The rows are predicted in consecutive batches of the
 * experiment's {@code batchSize} from the split's first row, so T³_B's batch coefficient is that of
 * those batches (a seed's bootstrap resample batches other rows together). Nothing is stored; the
 * experiment's pair is loaded as the experiment loads it.
 */
@Service
public class ExperimentSamples {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 200;

  /**
   * @param confidence the merged model's probability of {@code predictedClass}
   * @param lambda the sample's lambda: T³ and T³_B only (null for the baselines)
   */
  public record MethodPrediction(int predictedClass, double confidence, boolean correct, Double lambda) {}

  public record Sample(int index, int label, Map<String, MethodPrediction> predictions) {}

  /**
   * @param methods the methods predicted, in the spec's order; the WiSE-FT sweep as {@code wise_ft_sweep}
   *     at the alpha the experiment chose on this split ({@code sweepAlpha}; left out before the experiment succeeded)
   */
  public record Page(String experimentId, String split, int samples, int offset, int limit, int batchSize, List<String> methods,
      Double sweepAlpha, List<Sample> rows) {}

  private final ExperimentService experiments;
  private final ModelResolver models;

  public ExperimentSamples(ExperimentService experiments, ModelResolver models) {
    this.experiments = experiments;
    this.models = models;
  }

  /** @throws InvalidArgumentException naming {@code split}, {@code offset} or {@code limit} */
  public Page read(String tenant, String experimentId, String split, Integer offset, Integer limit) {
    MergeExperiment experiment = experiments.get(tenant, experimentId);
    ExperimentSpec spec = experiment.spec();
    List<String> names = spec.splits().stream().map(ExperimentSpec.Split::name).toList();
    // no split named: the experiment's first, as a page opens on it
    ExperimentSpec.Split chosen = split == null || split.isBlank() ? spec.splits().getFirst()
        : spec.splits().stream().filter(s -> s.name().equals(split.strip())).findFirst()
            .orElseThrow(() -> new InvalidArgumentException("split", "is not a split of this experiment: '" + split + "'; one of " + names));
    int from = offset == null ? 0 : offset;
    if (from < 0) {
      throw new InvalidArgumentException("offset", "must be at least 0, got " + offset);
    }
    int count = limit == null ? DEFAULT_LIMIT : limit;
    if (count < 1 || count > MAX_LIMIT) {
      throw new InvalidArgumentException("limit", "must be in [1, " + MAX_LIMIT + "], got " + limit);
    }

    Map<String, MergeMethod> methods = new LinkedHashMap<>();
    Double sweepAlpha = null;
    for (String name : spec.methods()) {
      if (name.equals(ExperimentSpecValidator.WISE_FT_SWEEP)) {
        sweepAlpha = chosenAlpha(experiment, chosen.name());
        if (sweepAlpha != null) {
          methods.put(name, MergeMethods.create(WeightAverage.NAME, Map.of("alpha", sweepAlpha)));
        }
      } else {
        methods.put(name, MergeMethods.create(name, name.equals(spec.method()) ? spec.parameters() : Map.of()));
      }
    }

    LabeledData base = Splits.base(chosen);
    int n = base.size();
    int start = Math.min(from, n);
    int end = Math.min(n, start + count);
    int batch = spec.batchSize();
    List<Sample> rows = new ArrayList<>();
    if (start < end) {
      // the batches of batchSize from row 0 that cover [start, end)
      int firstBatch = start / batch * batch;
      Map<String, MethodPrediction[]> predicted = new LinkedHashMap<>();
      try (ModelResolver.Lease generalist = models.acquire("generalist", spec.generalist());
          ModelResolver.Lease expert = models.acquire("expert", spec.expert());
          NDManager manager = models.manager().newSubManager()) {
        ModelPair pair = new ModelPair(generalist.classifier(), expert.classifier());
        methods.forEach((name, method) -> {
          MethodPrediction[] out = new MethodPrediction[end - start];
          boolean withLambda = !ExperimentProtocol.isBaseline(name);
          for (int b = firstBatch; b < end; b += batch) {
            int to = Math.min(n, b + batch);
            MergedPrediction prediction = pair.predict(manager, method, Arrays.copyOfRange(base.features(), b, to));
            for (int i = Math.max(b, start); i < Math.min(to, end); i++) {
              int k = prediction.predictedClass(i - b);
              out[i - start] = new MethodPrediction(k, prediction.probabilities()[i - b][k], k == base.labels()[i],
                  withLambda ? prediction.plan().lambda()[i - b] : null);
            }
          }
          predicted.put(name, out);
        });
      }
      for (int i = start; i < end; i++) {
        Map<String, MethodPrediction> byMethod = new LinkedHashMap<>();
        for (var entry : predicted.entrySet()) {
          byMethod.put(entry.getKey(), entry.getValue()[i - start]);
        }
        rows.add(new Sample(i, base.labels()[i], byMethod));
      }
    }
    return new Page(experiment.id().toString(), chosen.name(), n, start, count, batch, List.copyOf(methods.keySet()), sweepAlpha, rows);
  }

  private static Double chosenAlpha(MergeExperiment experiment, String split) {
    if (experiment.results() == null) {
      return null;
    }
    return experiment.results().splits().stream().filter(s -> s.split().equals(split)).flatMap(s -> s.methods().stream())
        .filter(m -> m.method().equals(ExperimentSpecValidator.WISE_FT_SWEEP)).map(ExperimentResults.MethodResult::bestAlpha)
        .findFirst().orElse(null);
  }
}
