package dev.divergence.training.claims;

import static dev.divergence.training.claims.ClaimStatistics.cell;
import static dev.divergence.training.claims.ClaimStatistics.divergenceLabel;
import static dev.divergence.training.claims.ClaimStatistics.summary;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.JsonLines;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.job.FDpoSpec;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.PreferenceExample;
import dev.divergence.training.trainer.data.TrainingData;
import dev.divergence.training.trainer.fdpg.BatchSampler;
import dev.divergence.training.trainer.fdpo.FDpoTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The f-DPO claim on the product's own mini-benchmark (bench/claims/fdpo): per divergence (reverse_kl,
 * which is DPO, kl, js and Amari alpha 0.5), the preference accuracy, margins and sample diversity the
 * tiny LM reaches, and whether accuracy rises over training (issue 13: the demo's f-DPO job must not end
 * below chance).
 *
 * <p>Setup: FDpoTrainerTest's setting: the built-in tiny LM as policy and reference, beta 0.5, label
 * smoothing 0, 8 pairs per step, learning rate 3e-3 constant, on two preference sets: "pairs18", the
 * test's 18 arithmetic pairs uploaded as JSONL (16 trained on, 2 held out), where the ranking of the
 * training pairs can be learned in 25 steps; and "builtin", the built-in {@code arithmetic-preferences}
 * set (fresh pairs almost every step, its own held-out set), which asks for arithmetic. Nothing is tuned
 * per divergence. A third set, "demo", is the built-in set in the demo's f-DPO job's setting (ops/local
 * DemoJob: rate {@value #DEMO_RATE}, beta {@value #DEMO_BETA}; run it with 60 steps). Per divergence and seed (the budget's seed, which fixes the batches), the trainer runs
 * in-process through {@link TestRun}; the figures are its own logs (rewards/accuracies, f_scores/accuracies,
 * rewards/margins, loss) averaged over the first and the last {@value #WINDOW} steps, its held-out
 * evaluation before and after (eval/rewards/accuracies), and the distinct-1/2 of temperature-1 answers
 * sampled from the trained policy ({@value #SAMPLES} per held-out-style prompt, {@value #PROMPTS} prompts,
 * at most {@value #MAX_NEW_TOKENS} tokens; distinct-n over one prompt's samples, averaged over prompts).
 * Each figure is a mean over seeds with its Student-t 95 % interval.
 *
 * <p>Arguments: output folder, seeds (default 3), steps (default 25), divergences (comma-separated,
 * default reverse_kl,kl,js,alpha), datasets (comma-separated, default pairs18,builtin; or demo). The report is
 * rewritten after each divergence, so a partial run leaves its finished rows behind.
 */
public final class FDpoClaims {

  static final double LEVEL = 0.95;
  static final int WINDOW = 5;
  static final int PAIRS_PER_STEP = 8;
  static final double RATE = 3e-3;
  static final double BETA = 0.5;
  /** The demo's f-DPO job (ops/local DemoJob): the built-in set at rate 5e-4 and beta 0.1 (its 60 steps are the steps argument). */
  static final double DEMO_RATE = 5e-4;
  static final double DEMO_BETA = 0.1;
  static final long FIRST_SEED = 42;
  static final int PROMPTS = 8;
  static final int SAMPLES = 8;
  static final int MAX_NEW_TOKENS = 6;
  private static final long SAMPLE_SEED = 0x5EED_D90L;
  private static final long PROMPT_SEED = 0xA11CEL;

  /** The trainer's logged metrics reported over the first and the last steps. */
  static final List<String> LOGGED = List.of("rewards/accuracies", "f_scores/accuracies", "rewards/margins", "f_scores/margins", "loss");

  private FDpoClaims() {
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]).toAbsolutePath();
    int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 25;
    List<String> divergences = Arrays.asList((args.length > 3 ? args[3] : "reverse_kl,kl,js,alpha").split(","));
    List<String> datasets = Arrays.asList((args.length > 4 ? args[4] : "pairs18,builtin").split(","));
    Files.createDirectories(out);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("generated_at", Instant.now().toString());
    report.put("setup", Map.of("model", "tiny-lm (policy and reference)", "pairs_per_step", PAIRS_PER_STEP, "learning_rate", RATE,
        "schedule", "constant", "beta", BETA, "label_smoothing", 0.0, "steps", steps, "alpha_divergence", "Amari alpha 0.5",
        "diversity", PROMPTS + " prompts x " + SAMPLES + " temperature-1 samples, at most " + MAX_NEW_TOKENS + " tokens"));
    report.put("seeds", seeds);
    report.put("seed_values", "budget seeds " + FIRST_SEED + ".." + (FIRST_SEED + seeds - 1) + ", which fix the batches");
    report.put("window_steps", WINDOW);
    report.put("confidence_level", LEVEL);
    Path baseDir = TestRun.builtIns().ensure("tiny-lm");
    List<String> prompts = TrainingData.arithmeticPreferences(PROMPTS, PROMPT_SEED).stream().map(PreferenceExample::prompt).toList();
    report.put("base_diversity", diversity(baseDir, prompts, FIRST_SEED));
    System.out.printf(Locale.ROOT, "base diversity: %s%n", report.get("base_diversity"));
    List<Map<String, Object>> rows = new ArrayList<>();
    report.put("rows", rows);
    RegisteredDataset pairs18 = smallPreferences(out);
    for (String dataset : datasets) {
      for (String name : divergences) {
        Map<String, double[]> first = new LinkedHashMap<>();
        Map<String, double[]> last = new LinkedHashMap<>();
        LOGGED.forEach(m -> {
          first.put(m, new double[seeds]);
          last.put(m, new double[seeds]);
        });
        double[] evalBefore = new double[seeds];
        double[] evalAfter = new double[seeds];
        double[] distinct1 = new double[seeds];
        double[] distinct2 = new double[seeds];
        for (int k = 0; k < seeds; k++) {
          long seed = FIRST_SEED + k;
          long started = System.nanoTime();
          Path dir = out.resolve("runs").resolve(dataset + "-" + name + "-" + seed);
          TestRun run = switch (dataset) {
            case "pairs18" -> new TestRun(spec(name, "prefs", steps, seed, RATE, BETA), dir, pairs18);
            case "builtin" -> new TestRun(spec(name, "arithmetic-preferences", steps, seed, RATE, BETA), dir);
            case "demo" -> new TestRun(spec(name, "arithmetic-preferences", steps, seed, DEMO_RATE, DEMO_BETA), dir);
            default -> throw new IllegalArgumentException("dataset: pairs18, builtin or demo, not " + dataset);
          };
          TrainingOutcome outcome = new FDpoTrainer().train(run);
          int window = Math.min(WINDOW, run.reported.size());
          for (String m : LOGGED) {
            first.get(m)[k] = run.mean(m, window, false);
            last.get(m)[k] = run.mean(m, window, true);
          }
          evalBefore[k] = outcome.finalMetrics().get("eval/rewards/accuracies_initial");
          evalAfter[k] = outcome.finalMetrics().get("eval/rewards/accuracies");
          Map<String, Double> d = diversity(outcome.modelDir(), prompts, seed);
          distinct1[k] = d.get("distinct_1");
          distinct2[k] = d.get("distinct_2");
          System.out.printf(Locale.ROOT, "%-8s %-10s seed %d: accuracy %.3f -> %.3f, f-score accuracy %.3f -> %.3f, margin %.3f -> %.3f,"
              + " held-out %.3f -> %.3f, distinct-2 %.3f  [%.0f s]%n", dataset, name, seed, first.get("rewards/accuracies")[k],
              last.get("rewards/accuracies")[k], first.get("f_scores/accuracies")[k], last.get("f_scores/accuracies")[k],
              first.get("rewards/margins")[k], last.get("rewards/margins")[k], evalBefore[k], evalAfter[k], distinct2[k],
              (System.nanoTime() - started) / 1e9);
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("dataset", dataset);
        row.put("divergence", name);
        Map<String, Object> firstSummary = new LinkedHashMap<>();
        first.forEach((m, v) -> firstSummary.put(m, summary(v)));
        Map<String, Object> lastSummary = new LinkedHashMap<>();
        last.forEach((m, v) -> lastSummary.put(m, summary(v)));
        row.put("first_steps", firstSummary);
        row.put("last_steps", lastSummary);
        row.put("held_out_accuracy_before", summary(evalBefore));
        row.put("held_out_accuracy_after", summary(evalAfter));
        row.put("distinct_1", summary(distinct1));
        row.put("distinct_2", summary(distinct2));
        rows.add(row);
        write(out, report);
      }
    }
    System.out.println(Files.readString(out.resolve("claims-fdpo.md")));
  }

  static JobSpec spec(String divergence, String dataset, long steps, long seed, double rate, double beta) {
    DivergenceChoice choice = "alpha".equals(divergence) ? new DivergenceChoice("alpha", 0.5, null) : new DivergenceChoice(divergence, null, null);
    Budget budget = new Budget(steps, PAIRS_PER_STEP, rate, 0, "constant", 1000, seed, 1, 1.0, 1);
    return new JobSpec("f_dpo", "tiny-lm", dataset, budget, null, new FDpoSpec("tiny-lm", choice, beta, 0.0), null);
  }

  /** FDpoTrainerTest's 18 arithmetic preference pairs uploaded as JSONL (16 train, 2 held out). */
  static RegisteredDataset smallPreferences(Path dir) throws Exception {
    Path file = JsonLines.write(dir.resolve("prefs.jsonl"), TrainingData.arithmeticPreferences(18, 99).stream()
        .map(e -> JsonLines.record("prompt", e.prompt(), "chosen", e.chosen(), "rejected", e.rejected())).toList());
    return new RegisteredDataset("prefs", DatasetKind.PREFERENCE, file.toUri().toString(), 18L, false, "test", null);
  }

  /** Distinct-1/2 of {@value #SAMPLES} temperature-1 answers per prompt (end token excluded), averaged over prompts. */
  static Map<String, Double> diversity(Path modelDir, List<String> prompts, long seed) {
    SplittableRandom random = new SplittableRandom(SAMPLE_SEED + seed);
    RunningStatistics distinct1 = new RunningStatistics();
    RunningStatistics distinct2 = new RunningStatistics();
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(modelDir);
         LlamaModel model = LlamaModel.load(root, modelDir)) {
      LmEncoding encoding = new LmEncoding(tokenizer, model.config());
      for (String prompt : prompts) {
        long[] seeds = new long[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
          seeds[i] = random.nextLong();
        }
        try (NDManager m = root.newSubManager()) {
          BatchSampler.Samples samples = BatchSampler.sample(model, m, encoding.prompt(prompt), seeds, MAX_NEW_TOKENS, 1.0);
          distinct1.add(samples.distinct(1));
          distinct2.add(samples.distinct(2));
        }
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("distinct_1", distinct1.mean());
    out.put("distinct_2", distinct2.mean());
    return out;
  }

  private static void write(Path out, Map<String, Object> report) throws Exception {
    JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    json.writeValue(out.resolve("claims-fdpo.json").toFile(), report);
    Files.writeString(out.resolve("claims-fdpo.md"), markdown(report));
  }

  @SuppressWarnings("unchecked")
  static String markdown(Map<String, Object> report) {
    StringBuilder md = new StringBuilder();
    Map<String, Object> setup = (Map<String, Object>) report.get("setup");
    md.append(String.format(Locale.ROOT, "f-DPO on tiny-lm (policy = reference at the start), beta %s, %s steps of %s pairs, rate %s constant;"
            + " %s seeds (%s), mean [Student-t %.0f %% interval] over seeds. First/last = mean of the trainer's logs over the first/last"
            + " %s steps.%n%n", BETA, setup.get("steps"), PAIRS_PER_STEP, RATE, report.get("seeds"), report.get("seed_values"), LEVEL * 100,
        report.get("window_steps")));
    Map<String, Double> base = (Map<String, Double>) report.get("base_diversity");
    md.append(String.format(Locale.ROOT, "Base model's answers (%s): distinct-1 %.3f, distinct-2 %.3f.%n%n", setup.get("diversity"),
        base.get("distinct_1"), base.get("distinct_2")));
    md.append("| dataset | divergence | rewards/accuracies first | rewards/accuracies last | f_scores/accuracies first | f_scores/accuracies last"
        + " | rewards/margins first | rewards/margins last | held-out accuracy before | held-out accuracy after | distinct-1 | distinct-2 |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Map<String, Object> row : (List<Map<String, Object>>) report.get("rows")) {
      Map<String, Object> f = (Map<String, Object>) row.get("first_steps");
      Map<String, Object> l = (Map<String, Object>) row.get("last_steps");
      md.append("| ").append(row.get("dataset")).append(" | ").append(divergenceLabel(row));
      for (String m : List.of("rewards/accuracies", "f_scores/accuracies", "rewards/margins")) {
        md.append(" | ").append(cell(f.get(m), 3)).append(" | ").append(cell(l.get(m), 3));
      }
      for (String m : List.of("held_out_accuracy_before", "held_out_accuracy_after", "distinct_1", "distinct_2")) {
        md.append(" | ").append(cell(row.get(m), 3));
      }
      md.append(" |\n");
    }
    return md.toString();
  }
}
