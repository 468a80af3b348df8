package dev.divergence.evaluation.analysis;

import dev.divergence.evaluation.analysis.Comparison.ComparedRun;
import dev.divergence.evaluation.analysis.Comparison.MetricComparison;
import dev.divergence.evaluation.analysis.Comparison.MetricRef;
import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import dev.divergence.platform.errors.ConflictException;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Service;

/**
 * Two succeeded runs side by side (docs/evaluation.md, "Frontier and comparison"). Both must have
 * SUCCEEDED: a run that has not ended, or ended without results, is a conflict (409 /
 * FAILED_PRECONDITION) naming it.
 */
@Service
public class ComparisonService {

  public static final double DEFAULT_LEVEL = 0.95;
  /** The level a stored run's intervals use when its spec predates the field (the validator's default). */
  static final double RUN_DEFAULT_LEVEL = 0.95;

  private final RunRepository runs;
  private final TrainingLabels labels;

  public ComparisonService(RunRepository runs, TrainingLabels labels) {
    this.runs = runs;
    this.labels = labels;
  }

  /** @param level the difference intervals' two-sided level; null for {@link #DEFAULT_LEVEL} */
  public Comparison compare(String tenant, String a, String b, Double level) {
    double confidence = level == null ? DEFAULT_LEVEL : level;
    if (!(confidence > 0 && confidence < 1)) {
      throw new InvalidArgumentException("level", "must be in (0, 1), got " + level);
    }
    UUID idA = RunIds.parse(a, "a");
    UUID idB = RunIds.parse(b, "b");
    List<EvaluationRun> loaded = RunIds.load(runs, tenant, idA.equals(idB) ? List.of(idA) : List.of(idA, idB));
    EvaluationRun runA = succeeded(loaded.get(0), "a");
    EvaluationRun runB = succeeded(loaded.get(loaded.size() - 1), "b");
    return compare(runA, runB, confidence, labels.of(runA), labels.of(runB));
  }

  /** The comparison of two succeeded runs; pure (labels already looked up). */
  static Comparison compare(EvaluationRun runA, EvaluationRun runB, double level, Optional<TrackedTrainingJob> jobA,
      Optional<TrackedTrainingJob> jobB) {
    double levelA = runLevel(runA.spec());
    double levelB = runLevel(runB.spec());
    Map<String, SuiteResult> suitesB = new LinkedHashMap<>();
    runB.results().forEach(r -> suitesB.put(r.suite(), r));
    List<MetricComparison> both = new ArrayList<>();
    List<MetricRef> onlyInA = new ArrayList<>();
    List<MetricRef> onlyInB = new ArrayList<>();
    for (SuiteResult suiteA : runA.results()) {
      SuiteResult suiteB = suitesB.get(suiteA.suite());
      for (Map.Entry<String, Estimate> metric : suiteA.metrics().entrySet()) {
        Estimate estimateB = suiteB == null ? null : suiteB.metrics().get(metric.getKey());
        if (estimateB == null) {
          onlyInA.add(new MetricRef(suiteA.suite(), metric.getKey()));
          continue;
        }
        Estimate estimateA = metric.getValue();
        if (estimateA.mean() == null || estimateB.mean() == null) {
          both.add(new MetricComparison(suiteA.suite(), metric.getKey(), estimateA, estimateB, null,
              "no difference: " + (estimateA.mean() == null ? "a" : "b") + " has no value (0 units)"));
        } else {
          both.add(new MetricComparison(suiteA.suite(), metric.getKey(), estimateA, estimateB,
              WelchDifference.of(estimateA, estimateB, levelA, levelB, level), null));
        }
      }
    }
    Map<String, SuiteResult> suitesA = new LinkedHashMap<>();
    runA.results().forEach(r -> suitesA.put(r.suite(), r));
    for (SuiteResult suiteB : runB.results()) {
      SuiteResult suiteA = suitesA.get(suiteB.suite());
      for (String metric : suiteB.metrics().keySet()) {
        if (suiteA == null || !suiteA.metrics().containsKey(metric)) {
          onlyInB.add(new MetricRef(suiteB.suite(), metric));
        }
      }
    }
    List<String> warnings = warnings(runA.spec(), runB.spec());
    return new Comparison(compared(runA, jobA), compared(runB, jobB), level, warnings.isEmpty(), warnings, both,
        onlyInA, onlyInB);
  }

  /**
   * Why the two runs' numbers are not comparable point by point: a different prompt source (other
   * prompts, or the same set drawn with another seed or limit), other sampling settings, or another
   * reference model for the divergences.
   */
  static List<String> warnings(RunSpec a, RunSpec b) {
    List<String> warnings = new ArrayList<>();
    if (!Objects.equals(a.prompts(), b.prompts())) {
      warnings.add("different prompt sources (spec.prompts): the runs measured different prompts, so their metrics"
          + " are not comparable point by point");
    }
    if (!Objects.equals(a.sampling(), b.sampling())) {
      warnings.add("different sampling settings (spec.sampling): rewards, pass@k, diversity and the divergences on"
          + " samples were measured on differently drawn samples");
    }
    if (!Objects.equals(a.referenceModel(), b.referenceModel())) {
      warnings.add("different reference models (spec.referenceModel): the divergences are to different models");
    }
    return warnings;
  }

  private static ComparedRun compared(EvaluationRun run, Optional<TrackedTrainingJob> job) {
    return new ComparedRun(run.id().toString(), run.displayName(), run.spec().model(), run.modelVersion(),
        run.producingJob(), job.map(TrackedTrainingJob::algorithm).orElse(null),
        job.map(TrackedTrainingJob::divergence).orElse(null), run.spec());
  }

  private static double runLevel(RunSpec spec) {
    return spec.confidenceLevel() == null ? RUN_DEFAULT_LEVEL : spec.confidenceLevel();
  }

  private static EvaluationRun succeeded(EvaluationRun run, String field) {
    if (!run.isTerminal()) {
      throw new ConflictException("run " + run.id() + " (" + field + ") has not ended (" + run.state()
          + "); compare it once it has succeeded");
    }
    if (run.state() != RunState.SUCCEEDED) {
      throw new ConflictException("run " + run.id() + " (" + field + ") ended " + run.state() + " and has no results");
    }
    return run;
  }
}
