package dev.divergence.merging.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.PerSampleMixedWeights;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The merging engine before and after its rework, on the same machine in one process: the previous
 * mixed pass (libs/model's {@link PerSampleMixedWeights}: both layers evaluated separately, then mixed)
 * and merge-once ({@link ParameterMerging#interpolate} per tensor, then a forward), as the previous
 * {@code ModelPair} ran them, against {@link ModelPair#perSampleLogits} and {@link ModelPair#perBatchLogits},
 * each as a multiple of one plain forward in {@value #PAIRS} alternating pairs of 0.2 s windows (median
 * and quartiles), so both sides of each ratio see the same load. For the engine paragraph of
 * bench/RESULTS.md; not part of {@code bench/run.sh merging}.
 *
 * <p>{@code EngineBeforeAfter DATA_DIR DJL_CACHE}, with the models {@code bench/run.sh merging} made under
 * DATA_DIR (bench/merging/target/data); run with one intra-op thread like the benchmark.
 */
public final class EngineBeforeAfter {

  static final int PAIRS = 20;

  private EngineBeforeAfter() {
  }

  public static void main(String[] args) {
    DjlRuntime.configure(Path.of(args[1]));
    Path models = Path.of(args[0]).resolve("models");
    try (NDManager base = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      run(base, "digits_cnn", Classifier.load(base, models.resolve("digits-cnn-generalist/1")),
          Classifier.load(base, models.resolve("digits-cnn-expert/1")));
      run(base, "breast_cancer_mlp", Classifier.load(base, models.resolve("breast-cancer-mlp-teacher/1")),
          Classifier.load(base, models.resolve(BenchPairs.CANCER_EXPERT + "/1")));
    }
  }

  private static void run(NDManager base, String name, Classifier g, Classifier e) {
    int batch = MergingBenchmark.BATCH;
    int dim = g.spec().inputDim();
    SplittableRandom random = new SplittableRandom(1);
    float[] flat = new float[batch * dim];
    for (int i = 0; i < flat.length; i++) {
      flat[i] = (float) random.nextDouble();
    }
    // per-sample weights in T³'s default range on these pairs ([0.5, 0.585]), one batch weight in it
    double[] w = new double[batch];
    float[] wf = new float[batch];
    for (int i = 0; i < batch; i++) {
      w[i] = 0.5 + 0.085 * random.nextDouble();
      wf[i] = (float) w[i];
    }
    double batchWeight = 0.53;
    ModelPair pair = new ModelPair(g, e);
    Map<String, Runnable> cases = new LinkedHashMap<>();
    cases.put("plain", () -> {
      try (NDManager m = base.newSubManager()) {
        g.logits(m.create(flat, new Shape(batch, dim))).toFloatArray();
      }
    });
    cases.put("mixed_before", () -> {
      try (NDManager m = base.newSubManager()) {
        NDArray x = m.create(flat, new Shape(batch, dim));
        try (NDManager s = m.newSubManager()) {
          g.logits(new PerSampleMixedWeights(g.parameters(), e.parameters(), s.create(wf)), x).toFloatArray();
        }
      }
    });
    cases.put("mixed_after", () -> {
      try (NDManager m = base.newSubManager()) {
        pair.perSampleLogits(m.create(flat, new Shape(batch, dim)), w).toFloatArray();
      }
    });
    cases.put("merge_once_before", () -> {
      try (NDManager m = base.newSubManager()) {
        NDArray x = m.create(flat, new Shape(batch, dim));
        try (NDManager s = m.newSubManager()) {
          Parameters merged = ParameterMerging.interpolate(s, g.parameters(), e.parameters(), batchWeight);
          new Classifier(g.spec(), merged).logits(x).toFloatArray();
        }
      }
    });
    cases.put("merge_once_after", () -> {
      try (NDManager m = base.newSubManager()) {
        pair.perBatchLogits(m, m.create(flat, new Shape(batch, dim)), batchWeight).toFloatArray();
      }
    });
    for (Runnable c : cases.values()) {
      long start = System.nanoTime();
      while (System.nanoTime() - start < 2_000_000_000L) {
        c.run();
      }
    }
    for (String c : List.of("mixed_before", "mixed_after", "merge_once_before", "merge_once_after")) {
      double[] ratios = new double[PAIRS];
      for (int k = 0; k < PAIRS; k++) {
        double plain = MergingBenchmark.window(cases.get("plain"), 0.2)[0];
        ratios[k] = MergingBenchmark.window(cases.get(c), 0.2)[0] / plain;
      }
      Arrays.sort(ratios);
      System.out.printf(Locale.ROOT, "%-18s %-18s paired median %.2fx plain forward (quartiles %.2f-%.2f)%n", name, c,
          MergingBenchmark.median(ratios), ratios[PAIRS / 4], ratios[3 * PAIRS / 4 - 1]);
    }
  }
}
