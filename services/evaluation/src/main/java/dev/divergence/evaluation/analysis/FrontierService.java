package dev.divergence.evaluation.analysis;

import dev.divergence.evaluation.analysis.Frontier.Axis;
import dev.divergence.evaluation.analysis.Frontier.Point;
import dev.divergence.evaluation.analysis.Frontier.Selection;
import dev.divergence.evaluation.analysis.Frontier.Skipped;
import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;

/**
 * Frontier points of a set of runs (docs/evaluation.md, "Frontier and comparison"): reward
 * (maximise) vs divergence to the reference (minimise) vs diversity (maximise; minimise for
 * self_similarity), with the Pareto-optimal subset on means.
 */
@Service
public class FrontierService {

  /** The most runs one frontier plots: listed ids beyond it are refused, an algorithm's newest are taken. */
  public static final int MAX_RUNS = 100;

  public static final String DEFAULT_REWARD = "reward";
  /** KL(model || reference) on the model's own samples: the quantity DPO-style training regularises. */
  public static final String DEFAULT_DIVERGENCE = "reverse_kl";
  public static final String DEFAULT_DIVERGENCE_SOURCE = "samples";
  public static final String DEFAULT_DIVERSITY = "vendi";

  static final List<String> DIVERGENCE_SOURCES = List.of("samples", "texts");
  /** The diversity suite's metrics; for self_similarity smaller means more diverse. */
  static final List<String> DIVERSITY_METRICS =
      List.of("vendi", "distinct_1", "distinct_2", "corpus.distinct_1", "corpus.distinct_2", "self_similarity");
  private static final Pattern PASS_AT_K = Pattern.compile("pass@[1-9][0-9]{0,5}");
  private static final Pattern ALGORITHM = Pattern.compile("[a-z][a-z0-9_]{0,63}");

  private final RunRepository runs;
  private final FrontierRunSelection selection;
  private final TrainingLabels labels;

  public FrontierService(RunRepository runs, FrontierRunSelection selection, TrainingLabels labels) {
    this.runs = runs;
    this.selection = selection;
    this.labels = labels;
  }

  public Frontier frontier(String tenant, FrontierQuery query) {
    Axis reward = rewardAxis(query.reward());
    Axis divergence = divergenceAxis(query.divergence(), query.divergenceSource());
    Axis diversity = diversityAxis(query.diversity());
    String field = query.runIdsField() == null ? "runIds" : query.runIdsField();
    List<String> listed = query.runIds() == null ? List.of() : query.runIds();
    String algorithm = query.algorithm() == null || query.algorithm().isBlank() ? null : query.algorithm().strip();
    List<EvaluationRun> chosen;
    Selection how;
    if (!listed.isEmpty() && algorithm != null) {
      throw new InvalidArgumentException("algorithm", "give either " + field + " or algorithm, not both");
    } else if (algorithm != null) {
      if (!ALGORITHM.matcher(algorithm).matches()) {
        throw new InvalidArgumentException("algorithm", "must be a training algorithm's name such as f_dpo, got '"
            + query.algorithm() + "'");
      }
      List<UUID> ids = selection.succeededRunsOfAlgorithm(tenant, algorithm, MAX_RUNS + 1);
      boolean truncated = ids.size() > MAX_RUNS;
      chosen = RunIds.load(runs, tenant, truncated ? ids.subList(0, MAX_RUNS) : ids);
      how = new Selection("algorithm", algorithm, chosen.size(), MAX_RUNS, truncated);
    } else if (!listed.isEmpty()) {
      if (listed.size() > MAX_RUNS) {
        throw new InvalidArgumentException(field, "at most " + MAX_RUNS + " runs per frontier, got " + listed.size());
      }
      List<UUID> ids = new ArrayList<>(listed.size());
      Map<UUID, Integer> seen = new HashMap<>();
      for (int i = 0; i < listed.size(); i++) {
        UUID id = RunIds.parse(listed.get(i), field + "[" + i + "]");
        Integer earlier = seen.putIfAbsent(id, i);
        if (earlier != null) {
          throw new InvalidArgumentException(field + "[" + i + "]", "repeats " + field + "[" + earlier + "]");
        }
        ids.add(id);
      }
      chosen = RunIds.load(runs, tenant, ids);
      how = new Selection("runIds", null, chosen.size(), MAX_RUNS, false);
    } else {
      throw new InvalidArgumentException(field, "give the runs to plot (" + field + ") or a training algorithm (algorithm)");
    }

    List<Point> placed = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (EvaluationRun run : chosen) {
      if (!run.isTerminal()) {
        skipped.add(new Skipped(run.id().toString(), "not-ended", "the run is " + run.state() + "; it has no results yet"));
        continue;
      }
      if (run.state() != RunState.SUCCEEDED) {
        skipped.add(new Skipped(run.id().toString(), "not-succeeded", "the run ended " + run.state()
            + (run.reason() == null ? "" : " (" + run.reason() + ")") + " and has no results"));
        continue;
      }
      List<String> problems = new ArrayList<>();
      String reason = null;
      Estimate[] values = new Estimate[3];
      List<Axis> axes = List.of(reward, divergence, diversity);
      for (int k = 0; k < axes.size(); k++) {
        Axis axis = axes.get(k);
        Optional<SuiteResult> suite = run.results().stream().filter(r -> r.suite().equals(axis.suite())).findFirst();
        if (suite.isEmpty()) {
          reason = reason == null ? "missing-suite" : reason;
          problems.add("no " + axis.suite() + " suite");
          continue;
        }
        Estimate estimate = suite.get().metrics().get(axis.metric());
        if (estimate == null) {
          reason = reason == null ? "missing-metric" : reason;
          problems.add(axis.suite() + " has no " + axis.metric() + " (it has " + suite.get().metrics().keySet() + ")");
        } else if (estimate.mean() == null) {
          reason = reason == null ? "no-value" : reason;
          problems.add(axis.suite() + "." + axis.metric() + " has no value (measured over 0 units)");
        } else {
          values[k] = estimate;
        }
      }
      if (reason != null) {
        skipped.add(new Skipped(run.id().toString(), reason, String.join("; ", problems)));
        continue;
      }
      Optional<TrackedTrainingJob> job = labels.of(run);
      placed.add(new Point(run.id().toString(), run.displayName(), run.spec().model(), run.modelVersion(),
          run.producingJob(), job.map(TrackedTrainingJob::algorithm).orElse(null),
          job.map(TrackedTrainingJob::divergence).orElse(null), values[0], values[1], values[2], false));
    }

    List<Goal> goals = List.of(goal(reward), goal(divergence), goal(diversity));
    List<double[]> means = placed.stream()
        .map(p -> new double[] {p.reward().mean(), p.divergence().mean(), p.diversity().mean()}).toList();
    Set<Integer> front = new HashSet<>(ParetoFront.of(means, goals));
    List<Point> points = new ArrayList<>(placed.size());
    List<String> pareto = new ArrayList<>();
    for (int i = 0; i < placed.size(); i++) {
      Point p = placed.get(i);
      boolean onFront = front.contains(i);
      points.add(new Point(p.runId(), p.displayName(), p.model(), p.modelVersion(), p.producingJob(),
          p.trainingAlgorithm(), p.trainingDivergence(), p.reward(), p.divergence(), p.diversity(), onFront));
      if (onFront) {
        pareto.add(p.runId());
      }
    }
    return new Frontier(reward, divergence, diversity, points, pareto, skipped, how);
  }

  private static Goal goal(Axis axis) {
    return Goal.valueOf(axis.goal().toUpperCase());
  }

  static Axis rewardAxis(String requested) {
    String metric = requested == null || requested.isBlank() ? DEFAULT_REWARD : requested.strip();
    if (!metric.equals(DEFAULT_REWARD) && !PASS_AT_K.matcher(metric).matches()) {
      throw new InvalidArgumentException("reward", "unknown rewards metric '" + requested + "'; available: reward, pass@<k>"
          + " (k among the run's spec.passAtK)");
    }
    return new Axis(Suite.REWARDS.apiName(), metric, Goal.MAXIMISE.apiName(),
        metric.equals(DEFAULT_REWARD) ? "mean verifiable reward (exact match) over prompts" : "unbiased " + metric
            + " over prompts");
  }

  static Axis divergenceAxis(String requestedName, String requestedSource) {
    String source = requestedSource == null || requestedSource.isBlank() ? DEFAULT_DIVERGENCE_SOURCE : requestedSource.strip();
    if (!DIVERGENCE_SOURCES.contains(source)) {
      throw new InvalidArgumentException("divergenceSource", "must be one of " + DIVERGENCE_SOURCES + ", got '"
          + requestedSource + "'");
    }
    String name = requestedName == null || requestedName.isBlank() ? DEFAULT_DIVERGENCE : requestedName.strip();
    String base = name.endsWith(".per_token") ? name.substring(0, name.length() - ".per_token".length()) : name;
    if (!DivergenceRegistry.names().contains(base)) {
      throw new InvalidArgumentException("divergence", "unknown divergence '" + requestedName + "'; available: "
          + new TreeSet<>(DivergenceRegistry.names()) + ", each also as <name>.per_token (the per-token mean)");
    }
    return new Axis(Suite.MODEL_DIVERGENCE.apiName(), source + "." + name, Goal.MINIMISE.apiName(),
        base + " with p = the reference model, q = the model (kl = KL(reference || model), reverse_kl = KL(model || "
            + "reference)), per token over the vocabulary, on " + (source.equals("samples") ? "the model's own samples"
            : "the prompt set's texts") + (name.equals(base) ? ", mean per sequence" : ", mean per token"));
  }

  static Axis diversityAxis(String requested) {
    String metric = requested == null || requested.isBlank() ? DEFAULT_DIVERSITY : requested.strip();
    if (!DIVERSITY_METRICS.contains(metric)) {
      throw new InvalidArgumentException("diversity", "unknown diversity metric '" + requested + "'; available: "
          + DIVERSITY_METRICS);
    }
    boolean similarity = metric.equals("self_similarity");
    return new Axis(Suite.DIVERSITY.apiName(), metric, (similarity ? Goal.MINIMISE : Goal.MAXIMISE).apiName(),
        similarity ? "mean pairwise similarity of a prompt's samples (smaller is more diverse)"
            : metric + " of the samples (larger is more diverse)");
  }
}
