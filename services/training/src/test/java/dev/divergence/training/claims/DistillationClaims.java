package dev.divergence.training.claims;

import static dev.divergence.training.claims.ClaimStatistics.cell;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.math.calibration.Calibration;
import dev.divergence.math.calibration.CalibrationNorm;
import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.variants.DatasetVariants;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.data.TextExample;
import dev.divergence.training.trainer.data.TrainingData;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.distillation.DistillationTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The distillation claim on the product's own mini-benchmark (bench/claims/distillation): students
 * distilled with each divergence the distillation job accepts (kl, reverse_kl, js, jsd, akl, sinkhorn,
 * pld), compared on the test split against the forward-KL student: accuracy and expected calibration
 * error (ECE, top label, {@value Calibration#DEFAULT_BINS} equal-width bins, L1), plus the held-out
 * KL(teacher || student) the trainer reports.
 *
 * <p>Setup: the built-in breast-cancer pair (teacher breast-cancer-mlp-teacher, student
 * breast-cancer-mlp-student), temperature 1 (2 for sinkhorn, the spec's default), no cross-entropy mix,
 * batch 32, constant learning rate (default {@value #DEFAULT_RATE}), the same steps for every divergence; nothing is tuned
 * per divergence. Also "digits" (teacher digits-cnn-generalist, student digits-cnn-expert: the only built-in
 * digits pair, the one the trainer tests distil; same architecture). And "tiny-lm": the built-in tiny LM
 * (byte-level Llama, 2 layers, hidden 64, the small built-in budget the trainer tests use) as teacher and
 * tiny-lm-student (1 layer, hidden 32, randomly initialised, same vocabulary) as student on the built-in
 * arithmetic text, token-level distillation on the dataset's own text (no on-policy or teacher samples, no
 * top-k), measured on the dataset's {@value TrainingData#HELD_OUT_SIZE} held-out lines over every
 * next-token position after BOS (EOS included): accuracy against the text's next token, agreement with
 * the teacher's argmax, and top-label ECE of the student's next-token distribution against the text's
 * tokens. pld is a list-wise loss for classifiers (the LM job path refuses it): its LM row records that
 * instead of figures. Per divergence and
 * seed (the budget's seed, which fixes the rows of every batch) the trainer runs in-process through
 * {@link TestRun}. Each figure is a mean over seeds with its Student-t 95 % interval; the difference to
 * kl is paired per seed (same seed, same batches).
 *
 * <p>Arguments: output folder, seeds (default 5), steps (default 300), divergences (comma-separated,
 * default kl,reverse_kl,js,jsd,akl,sinkhorn,pld; kl must come first), tasks (default breast-cancer,digits), learning rate (default 3e-3).
 */
public final class DistillationClaims {

  static final double LEVEL = 0.95;
  static final double DEFAULT_RATE = 3e-3;
  static double rate = DEFAULT_RATE;
  static final int BATCH = 32;
  static final long FIRST_SEED = 42;
  static final List<String> METRICS = List.of("accuracy", "ece", "kl_teacher_student");
  /** The LM adds agreement with the teacher's argmax (a classifier's accuracy already is against labels). */
  static final List<String> LM_METRICS = List.of("accuracy", "teacher_agreement", "ece", "kl_teacher_student");

  record Task(String dataset, String teacher, String student, boolean languageModel) {

    List<String> metrics() {
      return languageModel ? LM_METRICS : METRICS;
    }
  }

  static final Map<String, Task> TASKS = Map.of(
      "breast-cancer", new Task("breast-cancer", "breast-cancer-mlp-teacher", "breast-cancer-mlp-student", false),
      "digits", new Task("digits", "digits-cnn-generalist", "digits-cnn-expert", false),
      "tiny-lm", new Task("arithmetic", "tiny-lm", "tiny-lm-student", true));

  private DistillationClaims() {
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]).toAbsolutePath();
    int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 300;
    List<String> divergences = Arrays.asList((args.length > 3 ? args[3] : "kl,reverse_kl,js,jsd,akl,sinkhorn,pld").split(","));
    List<String> tasks = Arrays.asList((args.length > 4 ? args[4] : "breast-cancer,digits").split(","));
    rate = args.length > 5 ? Double.parseDouble(args[5]) : DEFAULT_RATE;
    if (!"kl".equals(divergences.getFirst())) {
      throw new IllegalArgumentException("divergences must start with kl, the reference of the paired differences");
    }
    Files.createDirectories(out);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("generated_at", Instant.now().toString());
    report.put("setup", Map.of("steps", steps, "batch_size", BATCH, "learning_rate", rate, "schedule", "constant",
        "temperature", "1 (sinkhorn: 2, the spec default)", "ce_weight", 0.0, "ece", "top-label, " + Calibration.DEFAULT_BINS
            + " equal-width bins, L1", "split", "test split of the built-in dataset (80/20, the trainers' split)",
        "lm_held_out", "the arithmetic dataset's " + TrainingData.HELD_OUT_SIZE + " held-out lines (own seed), every next-token position after BOS"));
    report.put("seeds", seeds);
    report.put("seed_values", "budget seeds " + FIRST_SEED + ".." + (FIRST_SEED + seeds - 1) + ", which fix every batch");
    report.put("confidence_level", LEVEL);
    List<Map<String, Object>> taskRows = new ArrayList<>();
    report.put("tasks", taskRows);
    for (String taskName : tasks) {
      Task task = TASKS.get(taskName);
      if (task == null) {
        throw new IllegalArgumentException("unknown task '" + taskName + "', known: " + TASKS.keySet());
      }
      Path teacherDir = TestRun.builtIns().ensure(task.teacher());
      LabeledData test = task.languageModel() ? null : DatasetVariants.load(task.dataset()).test();
      List<TextExample> heldOut = task.languageModel() ? TrainingData.text(builtInText(task.dataset())).heldOut() : null;
      java.util.function.Function<Path, Map<String, Double>> measurer = task.languageModel()
          ? dir -> measureLm(teacherDir, dir, heldOut)
          : dir -> measure(dir, test);
      List<String> metrics = task.metrics();
      Map<String, Object> taskRow = new LinkedHashMap<>();
      taskRow.put("task", taskName);
      taskRow.put("teacher", task.teacher());
      taskRow.put("student", task.student());
      taskRow.put("dataset", task.dataset());
      taskRow.put("test_size", task.languageModel() ? heldOut.size() : test.size());
      taskRow.put("teacher_on_test", measurer.apply(teacherDir));
      taskRow.put("student_before", measurer.apply(TestRun.builtIns().ensure(task.student())));
      List<Map<String, Object>> rows = new ArrayList<>();
      taskRow.put("divergences", rows);
      taskRows.add(taskRow);
      Map<String, double[]> reference = null;
      for (String name : divergences) {
        if (task.languageModel() && "pld".equals(name)) {
          // DistillationLosses refuses pld for language models: the row says so instead of inventing figures
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("divergence", name);
          row.put("unsupported", "pld is a list-wise loss for classifiers; the LM distillation job refuses it (400)");
          rows.add(row);
          System.out.printf(Locale.ROOT, "%s %-10s: not run (%s)%n", taskName, name, row.get("unsupported"));
          write(out, report);
          continue;
        }
        Map<String, double[]> values = new LinkedHashMap<>();
        metrics.forEach(m -> values.put(m, new double[seeds]));
        List<Map<String, Object>> failures = new ArrayList<>();
        for (int k = 0; k < seeds; k++) {
          long seed = FIRST_SEED + k;
          long started = System.nanoTime();
          TestRun run = new TestRun(spec(task, name, steps, seed), out.resolve("runs").resolve(taskName + "-" + name + "-" + seed));
          TrainingOutcome outcome;
          try {
            outcome = new DistillationTrainer().train(run);
          } catch (IllegalStateException e) {
            // the trainer stops a run whose loss is not finite: recorded as a failed seed, not hidden
            failures.add(Map.of("seed", seed, "error", String.valueOf(e.getMessage())));
            metrics.forEach(m -> values.get(m)[(int) (seed - FIRST_SEED)] = Double.NaN);
            System.out.printf(Locale.ROOT, "%s %-10s seed %d: FAILED (%s)%n", taskName, name, seed, e.getMessage());
            continue;
          }
          Map<String, Double> measured = measurer.apply(outcome.modelDir());
          for (String m : metrics) {
            values.get(m)[k] = "kl_teacher_student".equals(m) ? outcome.finalMetrics().get("eval/divergence/kl") : measured.get(m);
          }
          System.out.printf(Locale.ROOT, "%s %-10s seed %d: accuracy %.4f%s, ECE %.4f, KL(t||s) %.4f  [%.0f s]%n", taskName, name, seed,
              values.get("accuracy")[k], task.languageModel() ? String.format(Locale.ROOT, ", teacher agreement %.4f",
                  values.get("teacher_agreement")[k]) : "", values.get("ece")[k], values.get("kl_teacher_student")[k],
              (System.nanoTime() - started) / 1e9);
        }
        if (reference == null) {
          reference = values;
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("divergence", name);
        row.put("failed_seeds", failures);
        Map<String, double[]> ref = reference;
        for (String m : metrics) {
          row.put(m, summary(values.get(m)));
          double[] diff = IntStream.range(0, seeds).mapToDouble(i -> values.get(m)[i] - ref.get(m)[i]).toArray();
          row.put(m + "_minus_kl", summary(diff));
        }
        rows.add(row);
        write(out, report);
      }
    }
    System.out.println(Files.readString(out.resolve("claims-distillation.md")));
  }

  static JobSpec spec(Task task, String divergence, long steps, long seed) {
    Budget budget = new Budget(steps, BATCH, rate, 0, "constant", 100_000, seed, 1, 1.0, 1);
    return new JobSpec("distillation", task.student(), task.dataset(), budget,
        new DistillationSpec(task.teacher(), DivergenceChoice.of(divergence), null, 0.0, 0.0, false, 0, null).withDefaults(), null, null);
  }

  /** Test-split accuracy and top-label ECE of the classifier in {@code dir}. */
  static Map<String, Double> measure(Path dir, LabeledData test) {
    int[] rows = IntStream.range(0, test.size()).toArray();
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         Classifier model = Classifier.load(root, dir)) {
      NDArray[] batch = test.batch(root, rows);
      NDArray probabilities = model.logits(batch[0]).toType(ai.djl.ndarray.types.DataType.FLOAT64, false).softmax(-1);
      int classes = (int) probabilities.getShape().get(1);
      double[] flat = probabilities.toDoubleArray();
      double[][] p = new double[rows.length][classes];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(flat, i * classes, p[i], 0, classes);
      }
      Calibration.TopLabel top = Calibration.topLabel(p, test.labels());
      Map<String, Double> out = new LinkedHashMap<>();
      out.put("accuracy", Arrays.stream(top.accuracies()).average().orElseThrow());
      out.put("ece", Calibration.error(top.confidences(), top.accuracies(), Calibration.DEFAULT_BINS, CalibrationNorm.L1));
      return out;
    }
  }

  /** The built-in text dataset as the registry describes it (TestRun's own map has no entry for a name it is not given). */
  static RegisteredDataset builtInText(String name) {
    return new RegisteredDataset(name, DatasetKind.TEXT, null, null, true, "built in", null);
  }

  /**
   * Held-out next-token figures of the language model in {@code dir}: every position after BOS of
   * each held-out line (EOS included, padding excluded), as the trainer's held-out KL counts them.
   * accuracy: the argmax is the text's next token; teacher_agreement: the argmax is the teacher's
   * argmax; ece: top-label ECE of the next-token distribution against the text's tokens.
   */
  static Map<String, Double> measureLm(Path teacherDir, Path dir, List<TextExample> heldOut) {
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(dir);
         LlamaModel teacher = LlamaModel.load(root, teacherDir);
         LlamaModel model = LlamaModel.load(root, dir)) {
      LmEncoding encoding = new LmEncoding(tokenizer, model.config());
      int context = Math.min(teacher.config().maxPositionEmbeddings(), model.config().maxPositionEmbeddings());
      List<long[]> sequences = new ArrayList<>();
      int[] starts = new int[heldOut.size()];
      for (int i = 0; i < heldOut.size(); i++) {
        sequences.add(encoding.full(heldOut.get(i).prompt(), heldOut.get(i).completion()));
        starts[i] = 1;
      }
      SequenceBatch batch = SequenceBatch.of(sequences, starts, context);
      NDArray ids = batch.idsArray(root);
      NDArray mask = batch.maskArray(root);
      // float64 softmax: confidences near 1 must not round to 1 before binning
      NDArray studentRows = batch.predictionRows(model.forward(ids, mask)).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
      NDArray teacherRows = batch.predictionRows(teacher.forward(ids, mask));
      int vocab = (int) studentRows.getShape().get(1);
      double[] probabilities = studentRows.softmax(-1).toDoubleArray();
      long[] teacherArgmax = teacherRows.argMax(-1).toLongArray();
      boolean[] counted = batch.targetMask();
      long[] targets = batch.targets();
      int n = batch.countedTokens();
      double[][] p = new double[n][];
      int[] labels = new int[n];
      int agree = 0;
      int row = 0;
      for (int r = 0; r < counted.length; r++) {
        if (!counted[r]) {
          continue;
        }
        p[row] = Arrays.copyOfRange(probabilities, r * vocab, (r + 1) * vocab);
        labels[row] = Math.toIntExact(targets[r]);
        int argmax = 0;
        for (int v = 1; v < vocab; v++) {
          argmax = p[row][v] > p[row][argmax] ? v : argmax;
        }
        agree += argmax == teacherArgmax[r] ? 1 : 0;
        row++;
      }
      Calibration.TopLabel top = Calibration.topLabel(p, labels);
      Map<String, Double> out = new LinkedHashMap<>();
      out.put("accuracy", Arrays.stream(top.accuracies()).average().orElseThrow());
      out.put("teacher_agreement", (double) agree / n);
      out.put("ece", Calibration.error(top.confidences(), top.accuracies(), Calibration.DEFAULT_BINS, CalibrationNorm.L1));
      out.put("tokens", (double) n);
      return out;
    }
  }

  /** Mean with its Student-t interval over seeds (the mean alone for one seed) and the per-seed values. */
  static Map<String, Object> summary(double[] values) {
    // failed seeds are NaN: the figures are over the seeds that finished (their count is reported)
    RunningStatistics stats = new RunningStatistics().addAll(Arrays.stream(values).filter(Double::isFinite).toArray());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("n", stats.count());
    if (stats.count() == 0) {
      out.put("mean", Double.NaN);
      out.put("lower", Double.NaN);
      out.put("upper", Double.NaN);
      out.put("per_seed", values);
      return out;
    }
    out.put("mean", stats.mean());
    if (stats.count() >= 2) {
      RunningStatistics.Interval ci = stats.confidenceInterval(LEVEL);
      out.put("lower", ci.lower());
      out.put("upper", ci.upper());
    } else {
      out.put("lower", stats.mean());
      out.put("upper", stats.mean());
    }
    out.put("per_seed", values);
    return out;
  }

  private static void write(Path out, Map<String, Object> report) throws Exception {
    JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    json.writeValue(out.resolve("claims-distillation.json").toFile(), report);
    Files.writeString(out.resolve("claims-distillation.md"), markdown(report));
  }

  @SuppressWarnings("unchecked")
  static String markdown(Map<String, Object> report) {
    StringBuilder md = new StringBuilder();
    Map<String, Object> setup = (Map<String, Object>) report.get("setup");
    md.append(String.format(Locale.ROOT, "Distillation, %s steps, batch %d, rate %s constant, no cross-entropy mix; %s seeds (%s);"
            + " mean [Student-t %.0f %% interval] over seeds; differences to kl paired per seed. ECE: %s.%n", setup.get("steps"), BATCH,
        rate, report.get("seeds"), report.get("seed_values"), LEVEL * 100, setup.get("ece")));
    for (Map<String, Object> task : (List<Map<String, Object>>) report.get("tasks")) {
      Map<String, Double> teacher = (Map<String, Double>) task.get("teacher_on_test");
      Map<String, Double> before = (Map<String, Double>) task.get("student_before");
      md.append(String.format(Locale.ROOT, "%n### %s (teacher %s, student %s; %s test rows)%n%n", task.get("task"), task.get("teacher"),
          task.get("student"), task.get("test_size")));
      boolean lm = before.containsKey("teacher_agreement");
      if (lm) {
        md.append(String.format(Locale.ROOT, "Held-out next tokens (%.0f positions after BOS). Teacher: accuracy %.4f, ECE %.4f. Student before"
                + " distillation: accuracy %.4f, teacher agreement %.4f, ECE %.4f. Accuracy: argmax = the text's next token; agreement:"
                + " argmax = the teacher's argmax; ECE against the text's tokens.%n%n", before.get("tokens"), teacher.get("accuracy"),
            teacher.get("ece"), before.get("accuracy"), before.get("teacher_agreement"), before.get("ece")));
      } else {
        md.append(String.format(Locale.ROOT, "Teacher on test: accuracy %.4f, ECE %.4f. Student before distillation: accuracy %.4f, ECE %.4f.%n%n",
            teacher.get("accuracy"), teacher.get("ece"), before.get("accuracy"), before.get("ece")));
      }
      md.append("| divergence | accuracy | accuracy − kl |").append(lm ? " teacher agreement | agreement − kl |" : "")
          .append(" ECE | ECE − kl | KL(teacher‖student) | failed seeds |\n");
      md.append("|---|---:|---:|").append(lm ? "---:|---:|" : "").append("---:|---:|---:|---|\n");
      for (Map<String, Object> row : (List<Map<String, Object>>) task.get("divergences")) {
        md.append("| ").append(row.get("divergence"));
        if (row.containsKey("unsupported")) {
          md.append(" | not run: ").append(row.get("unsupported")).append(" |").append(" |".repeat(lm ? 7 : 5)).append("\n");
          continue;
        }
        md.append(" | ").append(cell(row.get("accuracy"), 4)).append(" | ").append(cell(row.get("accuracy_minus_kl"), 4));
        if (lm) {
          md.append(" | ").append(cell(row.get("teacher_agreement"), 4)).append(" | ").append(cell(row.get("teacher_agreement_minus_kl"), 4));
        }
        md.append(" | ").append(cell(row.get("ece"), 4)).append(" | ").append(cell(row.get("ece_minus_kl"), 4));
        md.append(" | ").append(cell(row.get("kl_teacher_student"), 4));
        int failed = ((List<?>) row.get("failed_seeds")).size();
        md.append(" | ").append(failed == 0 ? "—" : failed + " of " + report.get("seeds") + ": " + ((List<Map<String, Object>>) row.get(
            "failed_seeds")).getFirst().get("error")).append(" |\n");
      }
    }
    return md.toString();
  }
}
