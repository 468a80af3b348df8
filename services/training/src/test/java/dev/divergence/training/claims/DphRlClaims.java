package dev.divergence.training.claims;

import dev.divergence.math.evaluation.PassAtK;
import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.training.JsonLines;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.RlvrSpec;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.rlvr.RlvrHeldOut;
import dev.divergence.training.trainer.rlvr.RlvrTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The DPH-RL claim (issue 13) on a mini-benchmark of the tiny LM: RLVR (GRPO) with four regularisers
 * — none, k3 KL to the reference in the loss, forward-KL rehearsal and JS rehearsal — over several
 * seeds; held-out pass@1 and pass@k (k up to the sample count) over training, with Student-t 95 %
 * intervals over seeds. The claim: RL without a mass-covering term raises pass@1 but loses pass@k
 * for large k (the policy collapses onto the answers it already finds most often), while forward-KL
 * / JS rehearsal on the prompts the reference solves keeps pass@k.
 *
 * <p>The task ("first-digit-mix"): prompts "a+b=" (a, b in [0, 20)) whose one-character answer
 * depends on the prompt by a fixed rule on (a + b) mod 20 — "4" for half of the prompts, "3" for a
 * fifth, "1" and "7" for 15 % each — checked exactly with one-token answers. The tiny LM does not
 * compute this rule; it emits "4" and "3" often and "1" and "7" rarely as the first character after
 * "=", so each prompt is solved at a different rate. A policy that hardly reads the prompt can raise
 * pass@1 only by putting its mass on the majority answer, which is exactly the collapse that costs
 * pass@k on the minority prompts: pass@1 and pass@k can then move in opposite directions. (With a
 * single correct answer shared by all prompts, as in the trainer's tests, collapse onto it is the
 * optimum and pass@k cannot show anything.)
 *
 * <p>Arguments: output folder, seeds (default 3), steps (default 30). Writes claims-dphrl.json and
 * claims-dphrl.md there. Run from services/training (the built-in tiny LM is made once under
 * target/trainer-test-data, shared with the trainer tests).
 */
public final class DphRlClaims {

  static final double LEVEL = 0.95;
  static final int HELD_OUT_PROMPTS = 32;
  static final int SAMPLES = 16;
  static final int EVERY = 5;
  static final int[] KS = {1, 2, 4, 8, 16};
  static final double RATE = 3e-3;
  static final double KL_COEFFICIENT = RlvrSpec.DEFAULT_KL_COEFFICIENT;
  static final double REHEARSAL_COEFFICIENT = 0.1;
  /** A second, strong setting of every regulariser (the same coefficient for k3 and rehearsal): does strength decide? */
  static final double STRONG_COEFFICIENT = 1.0;
  static final int REFERENCE_SAMPLES = 1;

  /** A regulariser of the comparison under its report name. */
  record Arm(String name, RlvrSpec.Regulariser regulariser) {}

  static List<Arm> arms() {
    return List.of(new Arm("none", RlvrSpec.Regulariser.none()),
        new Arm("kl_k3", RlvrSpec.Regulariser.kl("k3", KL_COEFFICIENT)),
        new Arm("rehearsal_forward_kl", RlvrSpec.Regulariser.rehearsal("forward_kl", REHEARSAL_COEFFICIENT, REFERENCE_SAMPLES)),
        new Arm("rehearsal_js", RlvrSpec.Regulariser.rehearsal("js", REHEARSAL_COEFFICIENT, REFERENCE_SAMPLES)),
        new Arm("kl_k3_strong", RlvrSpec.Regulariser.kl("k3", STRONG_COEFFICIENT)),
        new Arm("rehearsal_forward_kl_strong", RlvrSpec.Regulariser.rehearsal("forward_kl", STRONG_COEFFICIENT, REFERENCE_SAMPLES)),
        new Arm("rehearsal_js_strong", RlvrSpec.Regulariser.rehearsal("js", STRONG_COEFFICIENT, REFERENCE_SAMPLES)));
  }

  private DphRlClaims() {
  }

  /** The answer rule: (a + b) mod 20 in [0, 10) -> "4", [10, 14) -> "3", [14, 17) -> "1", [17, 20) -> "7". */
  static String answer(int a, int b) {
    int r = (a + b) % 20;
    return r < 10 ? "4" : r < 14 ? "3" : r < 17 ? "1" : "7";
  }

  /** The 400 records in a fixed shuffle (the held-out tail, the last tenth, then has the rule's mix). */
  static RegisteredDataset dataset(Path dir) throws Exception {
    List<Map<String, Object>> records = new ArrayList<>();
    for (int a = 0; a < 20; a++) {
      for (int b = 0; b < 20; b++) {
        records.add(JsonLines.record("prompt", a + "+" + b + "=", "completion", answer(a, b)));
      }
    }
    SplittableRandom random = new SplittableRandom(20261206L);
    for (int i = records.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      Map<String, Object> t = records.get(i);
      records.set(i, records.get(j));
      records.set(j, t);
    }
    Path file = JsonLines.write(dir.resolve("first-digit-mix.jsonl"), records);
    return new RegisteredDataset("first-digit-mix", DatasetKind.TEXT, file.toUri().toString(), (long) records.size(), false,
        "claims", null);
  }

  static JobSpec spec(Arm arm, long steps, long seed) {
    RlvrSpec method = new RlvrSpec(8, 4, 1, null, null, null, 1, RlvrSpec.TASK_DATASET, RlvrSpec.CHECKER_EXACT,
        arm.regulariser(), new RlvrSpec.Evaluation(HELD_OUT_PROMPTS, SAMPLES, SAMPLES, EVERY));
    Budget budget = new Budget(steps, 8, RATE, 0, "constant", (int) steps + 1, seed, 1, 1.0, 1);
    return new JobSpec("rlvr", "tiny-lm", "first-digit-mix", budget, null, null, null, null, method);
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]).toAbsolutePath();
    int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    long steps = args.length > 2 ? Long.parseLong(args[2]) : 30;
    Files.createDirectories(out);
    RegisteredDataset data = dataset(out);
    RlvrTrainer trainer = new RlvrTrainer();
    Path reference = TestRun.builtIns().ensure("tiny-lm");

    List<Map<String, Object>> runs = new ArrayList<>();
    // per arm: step -> metric -> values over seeds; "final" rows keyed by steps + 1
    Map<String, TreeMap<Long, Map<String, List<Double>>>> curves = new LinkedHashMap<>();
    Map<String, Map<String, List<Double>>> finals = new LinkedHashMap<>();
    Map<String, List<Double>> referenceFinal = new LinkedHashMap<>();
    for (int s = 0; s < seeds; s++) {
      long seed = 1000L + s;
      for (Arm arm : arms()) {
        long started = System.nanoTime();
        TestRun run = new TestRun(spec(arm, steps, seed), out.resolve("runs").resolve(arm.name() + "-seed" + seed).resolve("c"), data);
        TrainingOutcome outcome = trainer.train(run);
        List<Map<String, Object>> trace = new ArrayList<>();
        TreeMap<Long, Map<String, List<Double>>> curve = curves.computeIfAbsent(arm.name(), k -> new TreeMap<>());
        for (int i = 0; i < run.reported.size(); i++) {
          Map<String, Double> m = run.reported.get(i);
          long step = run.steps.get(i);
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("step", step);
          for (String metric : List.of("reward", "entropy", "pass@1", "pass@" + SAMPLES, "kl", "rehearsal", "rehearsal_set_size",
              "clip_ratio", "skipped")) {
            if (m.containsKey(metric)) {
              row.put(metric, m.get(metric));
            }
          }
          trace.add(row);
          // the curves: pass@k where evaluated; reward and entropy as means over the EVERY steps up to each evaluation
          long window = ((step - 1) / EVERY) * EVERY + 1;
          Map<String, List<Double>> at = curve.computeIfAbsent(window, k -> new LinkedHashMap<>());
          if (m.containsKey("pass@1")) {
            at.computeIfAbsent("pass@1", k -> new ArrayList<>()).add(m.get("pass@1"));
            at.computeIfAbsent("pass@" + SAMPLES, k -> new ArrayList<>()).add(m.get("pass@" + SAMPLES));
          }
          at.computeIfAbsent("reward_sum_" + seed, k -> new ArrayList<>()).add(m.get("reward"));
          at.computeIfAbsent("entropy_sum_" + seed, k -> new ArrayList<>()).add(m.get("entropy"));
        }
        Map<String, Double> last = outcome.finalMetrics();
        Map<String, List<Double>> end = curve.computeIfAbsent(steps + 1, k -> new LinkedHashMap<>());
        end.computeIfAbsent("pass@1", k -> new ArrayList<>()).add(last.get("pass@1"));
        end.computeIfAbsent("pass@" + SAMPLES, k -> new ArrayList<>()).add(last.get("pass@" + SAMPLES));

        List<RlvrHeldOut.Count> counts = RlvrHeldOut.counts(run, outcome.modelDir());
        Map<String, Double> perK = perK(counts, c -> true);
        Map<String, List<Double>> f = finals.computeIfAbsent(arm.name(), k -> new LinkedHashMap<>());
        perK.forEach((k, v) -> f.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        byAnswer(counts).forEach((k, v) -> f.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        if (run.last().containsKey("rehearsal_set_size")) {
          f.computeIfAbsent("rehearsal_set_size", x -> new ArrayList<>()).add(run.last().get("rehearsal_set_size"));
        }
        if (arm.name().equals("none")) {
          // the reference (the tiny LM itself) on the same held-out prompts with the same seeds
          List<RlvrHeldOut.Count> ref = RlvrHeldOut.counts(run, reference);
          perK(ref, c -> true).forEach((k, v) -> referenceFinal.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
          byAnswer(ref).forEach((k, v) -> referenceFinal.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("regulariser", arm.name());
        record.put("seed", seed);
        record.put("seconds", (System.nanoTime() - started) / 1e9);
        record.put("final_metrics", last);
        record.put("final_pass_at_k", perK);
        record.put("final_counts", counts);
        record.put("steps", trace);
        runs.add(record);
        System.out.printf(Locale.ROOT, "%s seed %d: reward %.3f -> %.3f, pass@1 %.3f -> %.3f, pass@%d %.3f -> %.3f (%.0f s)%n",
            arm.name(), seed, run.mean("reward", 5, false), run.mean("reward", 5, true), run.first().get("pass@1"),
            last.get("pass@1"), SAMPLES, run.first().get("pass@" + SAMPLES), last.get("pass@" + SAMPLES),
            (System.nanoTime() - started) / 1e9);
      }
    }

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("generated_at", Instant.now().toString());
    report.put("seeds", seeds);
    report.put("steps", steps);
    report.put("confidence_level", LEVEL);
    report.put("task", "first-digit-mix: 400 prompts a+b= (a, b in [0, 20)), one-character answer by (a+b) mod 20: [0,10) -> 4, "
        + "[10,14) -> 3, [14,17) -> 1, [17,20) -> 7; exact checker, one-token answers; the last 40 records (fixed shuffle) held out, "
        + HELD_OUT_PROMPTS + " of them evaluated");
    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put("model", "tiny-lm (built in)");
    setup.put("group_size", 8);
    setup.put("prompts_per_step", 4);
    setup.put("max_new_tokens", 1);
    setup.put("learning_rate", RATE);
    setup.put("clip_epsilon", "0.2 / 0.28 (defaults)");
    setup.put("evaluation", Map.of("prompts", HELD_OUT_PROMPTS, "samples", SAMPLES, "every", EVERY));
    setup.put("kl_k3_coefficient", KL_COEFFICIENT);
    setup.put("rehearsal_coefficient", REHEARSAL_COEFFICIENT);
    setup.put("rehearsal_reference_samples", REFERENCE_SAMPLES);
    setup.put("strong_coefficient", STRONG_COEFFICIENT + " (the *_strong arms: k3 and rehearsal alike)");
    setup.put("seed_use", "seed s is the budget seed: rollout, schedule-shuffle, rehearsal-set and evaluation sampling seeds; the "
        + "initial model is the same tiny LM for every run");
    report.put("setup", setup);
    report.put("runs", runs);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("reference", summarise(referenceFinal));
    for (Map.Entry<String, Map<String, List<Double>>> e : finals.entrySet()) {
      summary.put(e.getKey(), summarise(e.getValue()));
    }
    report.put("final", summary);
    Map<String, Object> curveSummary = new LinkedHashMap<>();
    for (Map.Entry<String, TreeMap<Long, Map<String, List<Double>>>> e : curves.entrySet()) {
      List<Map<String, Object>> points = new ArrayList<>();
      for (Map.Entry<Long, Map<String, List<Double>>> p : e.getValue().entrySet()) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("step", p.getKey() > steps ? "final" : p.getKey());
        point.putAll(summarise(windowMeans(p.getValue())));
        points.add(point);
      }
      curveSummary.put(e.getKey(), points);
    }
    report.put("curves", curveSummary);
    JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    json.writeValue(out.resolve("claims-dphrl.json").toFile(), report);
    Files.writeString(out.resolve("claims-dphrl.md"), markdown(report, seeds, steps));
    System.out.println(Files.readString(out.resolve("claims-dphrl.md")));
  }

  /** pass@k for every k of {@link #KS} over the counts that pass the filter (the unbiased estimator). */
  static Map<String, Double> perK(List<RlvrHeldOut.Count> counts, java.util.function.Predicate<RlvrHeldOut.Count> filter) {
    List<RlvrHeldOut.Count> kept = counts.stream().filter(filter).toList();
    int[] ns = kept.stream().mapToInt(RlvrHeldOut.Count::n).toArray();
    int[] cs = kept.stream().mapToInt(RlvrHeldOut.Count::correct).toArray();
    Map<String, Double> out = new LinkedHashMap<>();
    for (int k : KS) {
      out.put("pass@" + k, PassAtK.mean(ns, cs, k));
    }
    return out;
  }

  /** pass@1 and pass@n on the majority-answer prompts ("4") and on the minority ones (the rest). */
  static Map<String, Double> byAnswer(List<RlvrHeldOut.Count> counts) {
    Map<String, Double> out = new LinkedHashMap<>();
    Map<String, Double> major = perK(counts, c -> c.answer().equals("4"));
    Map<String, Double> minor = perK(counts, c -> !c.answer().equals("4"));
    out.put("majority_pass@1", major.get("pass@1"));
    out.put("majority_pass@" + SAMPLES, major.get("pass@" + SAMPLES));
    out.put("minority_pass@1", minor.get("pass@1"));
    out.put("minority_pass@" + SAMPLES, minor.get("pass@" + SAMPLES));
    return out;
  }

  /** Reward and entropy: per seed the mean over the window's steps, then one value per seed. */
  static Map<String, List<Double>> windowMeans(Map<String, List<Double>> point) {
    Map<String, List<Double>> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Double>> e : point.entrySet()) {
      String key = e.getKey();
      int cut = key.indexOf("_sum_");
      String metric = cut < 0 ? key : key.substring(0, cut);
      double value = cut < 0 ? Double.NaN : e.getValue().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      if (cut < 0) {
        out.put(metric, e.getValue());
      } else {
        out.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
      }
    }
    return out;
  }

  /** Mean, Student-t interval and values of each metric over seeds. */
  static Map<String, Object> summarise(Map<String, List<Double>> values) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Double>> e : values.entrySet()) {
      RunningStatistics stats = new RunningStatistics();
      e.getValue().forEach(stats::add);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("mean", stats.mean());
      if (stats.count() >= 2) {
        RunningStatistics.Interval ci = stats.confidenceInterval(LEVEL);
        m.put("ci_low", ci.lower());
        m.put("ci_high", ci.upper());
      }
      m.put("values", e.getValue());
      out.put(e.getKey(), m);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static String cell(Object summary) {
    if (!(summary instanceof Map<?, ?> m)) {
      return "–";
    }
    Map<String, Object> s = (Map<String, Object>) m;
    if (s.containsKey("ci_low")) {
      return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", s.get("mean"), s.get("ci_low"), s.get("ci_high"));
    }
    return String.format(Locale.ROOT, "%.3f", s.get("mean"));
  }

  @SuppressWarnings("unchecked")
  static String markdown(Map<String, Object> report, int seeds, long steps) {
    StringBuilder md = new StringBuilder();
    md.append("# DPH-RL claim: pass@k kept by mass-covering rehearsal?\n\n");
    md.append("Generated ").append(report.get("generated_at")).append(". ").append(seeds).append(" seeds, ").append(steps)
        .append(" steps each; means with Student-t 95 % intervals over seeds.\n\n");
    md.append("Task: ").append(report.get("task")).append(".\n\n");
    md.append("Setup: ").append(report.get("setup")).append("\n\n");
    Map<String, Object> finals = (Map<String, Object>) report.get("final");
    md.append("## Held-out pass@k of the final policies (after the last update), n = ").append(SAMPLES).append("\n\n");
    md.append("| regulariser |");
    for (int k : KS) {
      md.append(" pass@").append(k).append(" |");
    }
    md.append("\n|---|");
    for (int ignored : KS) {
      md.append("---|");
    }
    md.append('\n');
    for (Map.Entry<String, Object> e : finals.entrySet()) {
      Map<String, Object> s = (Map<String, Object>) e.getValue();
      md.append("| ").append(e.getKey()).append(" |");
      for (int k : KS) {
        md.append(' ').append(cell(s.get("pass@" + k))).append(" |");
      }
      md.append('\n');
    }
    md.append("\nBy answer: majority prompts (answer \"4\") and minority prompts (\"3\", \"1\", \"7\").\n\n");
    md.append("| regulariser | majority pass@1 | majority pass@").append(SAMPLES).append(" | minority pass@1 | minority pass@")
        .append(SAMPLES).append(" | rehearsal set (of ").append(4 * steps).append(" scheduled prompts) |\n|---|---|---|---|---|---|\n");
    for (Map.Entry<String, Object> e : finals.entrySet()) {
      Map<String, Object> s = (Map<String, Object>) e.getValue();
      md.append("| ").append(e.getKey()).append(" | ").append(cell(s.get("majority_pass@1"))).append(" | ")
          .append(cell(s.get("majority_pass@" + SAMPLES))).append(" | ").append(cell(s.get("minority_pass@1"))).append(" | ")
          .append(cell(s.get("minority_pass@" + SAMPLES))).append(" | ").append(cell(s.get("rehearsal_set_size"))).append(" |\n");
    }
    Map<String, Object> curves = (Map<String, Object>) report.get("curves");
    for (String metric : List.of("pass@1", "pass@" + SAMPLES, "reward", "entropy")) {
      md.append("\n## Curve: ").append(metric);
      md.append(metric.startsWith("pass") ? " (held out, evaluated before the step's update; final = after the last update)\n\n"
          : " (training rollouts, mean over the " + EVERY + " steps from the given one)\n\n");
      md.append("| step |");
      curves.keySet().forEach(arm -> md.append(' ').append(arm).append(" |"));
      md.append("\n|---|");
      curves.keySet().forEach(arm -> md.append("---|"));
      md.append('\n');
      TreeSet<String> seen = new TreeSet<>();
      List<Map<String, Object>> first = (List<Map<String, Object>>) curves.values().iterator().next();
      for (int i = 0; i < first.size(); i++) {
        Object step = first.get(i).get("step");
        boolean any = false;
        StringBuilder line = new StringBuilder("| " + step + " |");
        for (Object points : curves.values()) {
          List<Map<String, Object>> list = (List<Map<String, Object>>) points;
          Object value = i < list.size() ? list.get(i).get(metric) : null;
          any |= value != null;
          line.append(' ').append(cell(value)).append(" |");
        }
        if (any && seen.add(String.valueOf(step))) {
          md.append(line).append('\n');
        }
      }
    }
    return md.toString();
  }
}
