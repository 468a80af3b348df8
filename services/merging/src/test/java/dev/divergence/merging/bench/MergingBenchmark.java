package dev.divergence.merging.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.merging.domain.MergeMethod;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-batch cost of merged prediction with the digits CNN pair, batch 64, as multiples of one plain
 * forward of the same model:
 * <ul>
 *   <li>{@code mixed_pass}: the exact per-sample merged forward alone (both parameter sets, one pass);</li>
 *   <li>{@code t3_predict}: T³ end to end (both models' forwards for the JS, the plan, the mixed pass);</li>
 *   <li>{@code t3_batch_predict}: T³_B end to end (both forwards, one merge, one forward);</li>
 *   <li>{@code materialised_per_sample}: what a reference implementation does, 64 merged weight copies
 *       and 64 single-row forwards.</li>
 * </ul>
 * Timing: per case and round 3 s warm-up, then 5 windows of at least 0.5 s each; 3 interleaved rounds; best window per case (the machine may be
 * shared: interference only slows a window down). Not a test; run by hand:
 * {@code java -cp <test classpath> dev.divergence.merging.bench.MergingBenchmark DATA_DIR}
 */
public final class MergingBenchmark {

  static final int BATCH = 64;
  static final int ROUNDS = 3;

  public static void main(String[] args) {
    Path data = Path.of(args.length > 0 ? args[0] : "target/merging-test-data");
    DjlRuntime.configure(data.resolve("djl"));
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      TinyAssets assets = new TinyAssets(data, new TinyAssets.Budget(0, 40));
      Classifier generalist = Classifier.load(manager, assets.ensure(manager, TinyAssets.DIGITS_GENERALIST));
      Classifier expert = Classifier.load(manager, assets.ensure(manager, TinyAssets.DIGITS_EXPERT));
      ModelPair pair = new ModelPair(generalist, expert);
      LabeledData test = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, 1)[1];
      float[][] rows = new float[BATCH][];
      float[] flat = new float[BATCH * 64];
      for (int i = 0; i < BATCH; i++) {
        rows[i] = test.features()[i];
        System.arraycopy(rows[i], 0, flat, i * 64, 64);
      }
      double[] lambda = new double[BATCH];
      SplittableRandom random = new SplittableRandom(1);
      for (int i = 0; i < BATCH; i++) {
        lambda[i] = random.nextDouble();
      }
      MergeMethod t3 = MergeMethods.create("t3", Map.of());
      MergeMethod t3Batch = MergeMethods.create("t3_batch", Map.of());

      Map<String, Runnable> cases = new LinkedHashMap<>();
      cases.put("plain_forward", () -> {
        try (NDManager m = manager.newSubManager()) {
          generalist.logits(m.create(flat, new Shape(BATCH, 64))).toFloatArray();
        }
      });
      cases.put("mixed_pass", () -> {
        try (NDManager m = manager.newSubManager()) {
          pair.perSampleLogits(m.create(flat, new Shape(BATCH, 64)), lambda).toFloatArray();
        }
      });
      cases.put("t3_predict", () -> pair.predict(manager, t3, rows));
      cases.put("t3_batch_predict", () -> pair.predict(manager, t3Batch, rows));
      cases.put("materialised_per_sample", () -> {
        try (NDManager m = manager.newSubManager()) {
          for (int i = 0; i < BATCH; i++) {
            try (NDManager s = m.newSubManager()) {
              Parameters merged = ParameterMerging.interpolate(s, generalist.parameters(), expert.parameters(), lambda[i]);
              NDArray row = s.create(rows[i], new Shape(1, 64));
              new Classifier(generalist.spec(), merged).logits(row).toFloatArray();
            }
          }
        }
      });

      // rounds interleave the cases, so that a burst of other work on the machine hits all of them alike
      Map<String, Double> ms = new LinkedHashMap<>();
      for (int round = 0; round < ROUNDS; round++) {
        for (Map.Entry<String, Runnable> c : cases.entrySet()) {
          ms.merge(c.getKey(), bestMillis(c.getValue()), Math::min);
        }
      }
      double plain = ms.get("plain_forward");
      for (Map.Entry<String, Double> e : ms.entrySet()) {
        System.out.printf("%-24s %8.3f ms/batch  %6.2fx plain forward%n", e.getKey(), e.getValue(), e.getValue() / plain);
      }
    }
  }

  private static double bestMillis(Runnable body) {
    long warmUpEnd = System.nanoTime() + 3_000_000_000L;
    while (System.nanoTime() < warmUpEnd) {
      body.run();
    }
    double best = Double.POSITIVE_INFINITY;
    for (int window = 0; window < 5; window++) {
      long start = System.nanoTime();
      int runs = 0;
      while (System.nanoTime() - start < 500_000_000L) {
        body.run();
        runs++;
      }
      best = Math.min(best, (System.nanoTime() - start) / 1e6 / runs);
    }
    return best;
  }
}
