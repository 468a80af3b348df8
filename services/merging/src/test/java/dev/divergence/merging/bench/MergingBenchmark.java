package dev.divergence.merging.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.merging.domain.MergeMethod;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.merging.engine.MergedPrediction;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our side of {@code bench/run.sh merging} (bench/merging/run_merging.sh; schema and figures in
 * bench/RESULTS.md). For each generalist / expert pair ({@link BenchPairs}) and one batch of 64 held-out
 * rows it times, in milliseconds per batch:
 * <ul>
 *   <li>{@code plain_forward}: one forward of the generalist (the unit of every ratio);</li>
 *   <li>{@code mixed_pass}: the exact per-sample merged pass alone, per-sample weights given
 *       ({@link ModelPair#perSampleLogits}: both parameter sets in one layer-by-layer pass, per layer one
 *       matmul / convolution over the concatenated weights and one per-sample mix);</li>
 *   <li>{@code t3_predict}: T³ as the service runs it ({@link ModelPair#predict} with {@code t3}): both
 *       models' logits (one side-by-side pass), JS and lambda per sample, the mixed pass, softmax;</li>
 *   <li>{@code t3_batch_merged_forward}: T³_B's merged pass alone: merge once at the batch's weight,
 *       one forward ({@link ModelPair#perBatchLogits}: the merge is written into the buffer the layer
 *       weights are views of, then the plain forward);</li>
 *   <li>{@code t3_batch_predict}: T³_B as the service runs it ({@code t3_batch}, lambda averaged);</li>
 *   <li>{@code materialised_per_sample}: the reference implementations' way on our runtime: 64
 *       merged weight copies and 64 single-row forwards (same per-sample weights as the mixed pass).</li>
 * </ul>
 * Every case runs the DJL / libtorch runtime the service uses. Timing (the loop of the PyTorch side,
 * bench/merging/merging_baseline.py): per case 3 s of warm-up, then 5 windows of at least 0.5 s;
 * the figure is the best window (interference only slows a window down) and the least process CPU
 * milliseconds per call of any window. The cases of one pair run back to back, so a burst of other
 * work shows up as a disagreement between rounds (run_merging.sh alternates this process and the
 * PyTorch one in rounds). Because a ratio of two best windows taken seconds apart mixes two loads,
 * each merged case is then also measured as a multiple of the plain forward in
 * {@value #PAIRED_WINDOWS} alternating pairs of short windows (plain, merged, plain, merged, ...):
 * both sides of each ratio see the same load; bench/merging/combine.py reports the median.
 *
 * <p>It also writes, per pair, what the PyTorch script checks before it times anything: the batch,
 * the two model folders, and our T³ and T³_B outputs (JS, lambda, generalist weights, probabilities).
 *
 * <p>Not a test (no timing is ever asserted): {@code MergingBenchmark WORK_DIR DATA_DIR DJL_CACHE TAG}
 * writes {@code WORK_DIR/ours_TAG.json} and {@code WORK_DIR/check_<pair>.json}; with TAG {@code prepare}
 * it only makes the models (trained on first use) and writes the check files, timing nothing.
 */
public final class MergingBenchmark {

  static final int BATCH = 64;
  static final double WARM_UP_S = 3.0;
  static final int WINDOWS = 5;
  static final double WINDOW_S = 0.5;

  private MergingBenchmark() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 4) {
      System.err.println("usage: MergingBenchmark WORK_DIR DATA_DIR DJL_CACHE TAG");
      System.exit(2);
    }
    Path work = Path.of(args[0]);
    Path data = Path.of(args[1]);
    String tag = args[3];
    DjlRuntime.configure(Path.of(args[2]));
    Files.createDirectories(work);
    Map<String, double[]> entries = new LinkedHashMap<>();
    Map<String, double[][]> paired = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      TinyAssets assets = new TinyAssets(data, new TinyAssets.Budget(0, BenchPairs.CLASSIFIER_STEPS));
      for (BenchPairs.Pair pair : List.of(BenchPairs.digits(manager, assets), BenchPairs.breastCancer(manager, assets, data))) {
        measure(manager, pair, work, entries, paired, tag.equals("prepare"));
      }
    }
    if (tag.equals("prepare")) {
      return;
    }
    StringBuilder json = new StringBuilder("{\n  \"entries\": {\n");
    int i = 0;
    for (Map.Entry<String, double[]> e : entries.entrySet()) {
      json.append(String.format(Locale.ROOT, "    \"%s\": {\"ms_per_batch\": %.6f, \"cpu_ms_per_batch\": %.6f, \"window_spread_ms\": %.6f}%s%n",
          e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2], ++i < entries.size() ? "," : ""));
    }
    json.append("  },\n  \"paired_ratios\": {\n");
    i = 0;
    for (Map.Entry<String, double[][]> e : paired.entrySet()) {
      json.append(String.format(Locale.ROOT, "    \"%s\": {\"wall\": %s, \"cpu\": %s}%s%n", e.getKey(), vector(e.getValue()[0]),
          vector(e.getValue()[1]), ++i < paired.size() ? "," : ""));
    }
    json.append("  },\n  \"batch\": ").append(BATCH).append(",\n  \"timing\": \"")
        .append(String.format(Locale.ROOT, "%.1f s warm-up, best of %d windows of >= %.1f s", WARM_UP_S, WINDOWS, WINDOW_S))
        .append("\"\n}\n");
    Files.writeString(work.resolve("ours_" + tag + ".json"), json.toString());
  }

  private static void measure(NDManager manager, BenchPairs.Pair p, Path work, Map<String, double[]> entries,
      Map<String, double[][]> paired, boolean prepareOnly)
      throws IOException {
    Classifier generalist = p.generalist();
    Classifier expert = p.expert();
    ModelPair pair = new ModelPair(generalist, expert);
    float[][] rows = p.rows();
    int dim = pair.spec().inputDim();
    float[] flat = new float[rows.length * dim];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * dim, dim);
    }
    MergeMethod t3 = MergeMethods.create("t3", Map.of());
    MergeMethod t3Batch = MergeMethods.create("t3_batch", Map.of());
    // the weights the timed merged passes use are T³'s own for this batch, so the mixed pass does
    // exactly the work it does inside t3_predict
    MergedPrediction t3Prediction = pair.predict(manager, t3, rows);
    MergedPrediction t3BatchPrediction = pair.predict(manager, t3Batch, rows);
    double[] weights = t3Prediction.plan().generalistWeight();
    double batchWeight = t3BatchPrediction.plan().generalistWeight()[0];
    writeCheck(work, p, rows, t3Prediction, t3BatchPrediction);
    if (prepareOnly) {
      return;
    }

    Map<String, Runnable> cases = new LinkedHashMap<>();
    cases.put("plain_forward", () -> {
      try (NDManager m = manager.newSubManager()) {
        generalist.logits(m.create(flat, new Shape(rows.length, dim))).toFloatArray();
      }
    });
    cases.put("mixed_pass", () -> {
      try (NDManager m = manager.newSubManager()) {
        pair.perSampleLogits(m.create(flat, new Shape(rows.length, dim)), weights).toFloatArray();
      }
    });
    cases.put("t3_predict", () -> pair.predict(manager, t3, rows));
    cases.put("t3_batch_merged_forward", () -> {
      try (NDManager m = manager.newSubManager()) {
        pair.perBatchLogits(m, m.create(flat, new Shape(rows.length, dim)), batchWeight).toFloatArray();
      }
    });
    cases.put("t3_batch_predict", () -> pair.predict(manager, t3Batch, rows));
    cases.put("materialised_per_sample", () -> {
      try (NDManager m = manager.newSubManager()) {
        for (int i = 0; i < rows.length; i++) {
          try (NDManager s = m.newSubManager()) {
            Parameters merged = ParameterMerging.interpolate(s, generalist.parameters(), expert.parameters(), weights[i]);
            new Classifier(generalist.spec(), merged).logits(s.create(rows[i], new Shape(1, dim))).toFloatArray();
          }
        }
      }
    });
    for (Map.Entry<String, Runnable> c : cases.entrySet()) {
      double[] r = time(c.getValue());
      entries.put(p.name() + "/" + c.getKey(), r);
      System.out.printf(Locale.ROOT, "%-18s %-24s %9.4f ms/batch (CPU %9.4f ms)%n", p.name(), c.getKey(), r[0], r[1]);
    }
    // each merged case as a multiple of the plain forward, in alternating short windows so that both
    // sides of every ratio see the same load (the cases above run seconds apart)
    for (String c : List.of("mixed_pass", "t3_predict", "t3_batch_merged_forward", "t3_batch_predict")) {
      double[] wall = new double[PAIRED_WINDOWS];
      double[] cpu = new double[PAIRED_WINDOWS];
      for (int k = 0; k < PAIRED_WINDOWS; k++) {
        double[] plain = window(cases.get("plain_forward"), PAIRED_WINDOW_S);
        double[] merged = window(cases.get(c), PAIRED_WINDOW_S);
        wall[k] = merged[0] / plain[0];
        cpu[k] = merged[1] / plain[1];
      }
      paired.put(p.name() + "/" + c, new double[][] {wall, cpu});
      System.out.printf(Locale.ROOT, "%-18s %-24s %6.2fx plain forward (median of %d paired windows; CPU %.2fx)%n", p.name(), c,
          median(wall), PAIRED_WINDOWS, median(cpu));
    }
  }

  static final int PAIRED_WINDOWS = 10;
  static final double PAIRED_WINDOW_S = 0.2;

  /** {ms per call, process CPU ms per call} over one window of at least {@code seconds} and 2 calls. */
  static double[] window(Runnable call, double seconds) {
    int calls = 0;
    long start = System.nanoTime();
    long cpuStart = processCpuNanos();
    double elapsed;
    do {
      call.run();
      calls++;
      elapsed = (System.nanoTime() - start) / 1e9;
    } while (elapsed < seconds || calls < 2);
    return new double[] {elapsed * 1e3 / calls, (processCpuNanos() - cpuStart) / 1e6 / calls};
  }

  static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** {best ms per call, least process CPU ms per call, spread of the windows' ms}: the loop of merging_baseline.py. */
  static double[] time(Runnable call) {
    long warmStart = System.nanoTime();
    for (int calls = 0; calls < 2 || System.nanoTime() - warmStart < WARM_UP_S * 1e9; calls++) {
      call.run();
    }
    double best = Double.MAX_VALUE;
    double worst = 0;
    double cpu = Double.MAX_VALUE;
    for (int w = 0; w < WINDOWS; w++) {
      double[] r = window(call, WINDOW_S);
      best = Math.min(best, r[0]);
      worst = Math.max(worst, r[0]);
      cpu = Math.min(cpu, r[1]);
    }
    return new double[] {best, cpu, worst - best};
  }

  /** CPU time of the whole JVM (JIT compiler and GC threads included), nanoseconds. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static void writeCheck(Path work, BenchPairs.Pair p, float[][] rows, MergedPrediction t3, MergedPrediction t3Batch)
      throws IOException {
    StringBuilder json = new StringBuilder("{\n");
    json.append("  \"pair\": \"").append(p.name()).append("\",\n");
    json.append("  \"generalist_dir\": \"").append(p.generalistDir().toAbsolutePath()).append("\",\n");
    json.append("  \"expert_dir\": \"").append(p.expertDir().toAbsolutePath()).append("\",\n");
    json.append("  \"t3_parameters\": {");
    int k = 0;
    for (Map.Entry<String, Object> e : t3.plan().parameters().entrySet()) {
      Object v = e.getValue();
      json.append(k++ > 0 ? ", " : "").append('"').append(e.getKey()).append("\": ")
          .append(v instanceof Number ? v.toString() : "\"" + v + "\"");
    }
    json.append("},\n");
    json.append("  \"inputs\": ").append(matrix(rows)).append(",\n");
    json.append("  \"t3_js\": ").append(vector(t3.plan().jsDivergence())).append(",\n");
    json.append("  \"t3_lambda\": ").append(vector(t3.plan().lambda())).append(",\n");
    json.append("  \"t3_generalist_weight\": ").append(vector(t3.plan().generalistWeight())).append(",\n");
    json.append("  \"t3_probabilities\": ").append(matrix(t3.probabilities())).append(",\n");
    json.append("  \"t3_batch_generalist_weight\": ").append(t3Batch.plan().generalistWeight()[0]).append(",\n");
    json.append("  \"t3_batch_probabilities\": ").append(matrix(t3Batch.probabilities())).append("\n}\n");
    Files.writeString(work.resolve("check_" + p.name() + ".json"), json.toString());
  }

  private static String vector(double[] v) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      s.append(i > 0 ? ", " : "").append(v[i]);
    }
    return s.append(']').toString();
  }

  private static String matrix(double[][] m) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < m.length; i++) {
      s.append(i > 0 ? ", " : "").append(vector(m[i]));
    }
    return s.append(']').toString();
  }

  private static String matrix(float[][] m) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < m.length; i++) {
      s.append(i > 0 ? ", " : "").append('[');
      for (int j = 0; j < m[i].length; j++) {
        // Float.toString round-trips the float32 value exactly
        s.append(j > 0 ? ", " : "").append(m[i][j]);
      }
      s.append(']');
    }
    return s.append(']').toString();
  }
}
