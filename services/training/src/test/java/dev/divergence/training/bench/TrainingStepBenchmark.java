package dev.divergence.training.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.job.Budget;
import dev.divergence.training.registry.BuiltInModels;
import dev.divergence.training.trainer.common.Optimisation;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.distillation.ChunkedDistillation;
import dev.divergence.training.trainer.loss.ChunkedHeadLoss;
import dev.divergence.training.trainer.loss.DivergenceLogitsLoss;
import dev.divergence.training.trainer.loss.FDivergence;
import dev.divergence.training.trainer.loss.FDpoLoss;
import dev.divergence.math.divergence.DivergenceRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training-step throughput of the trainers' inner loops, for {@code bench/run.sh training}
 * (bench/training/training_baseline.py runs the same steps in PyTorch CPU):
 * <ul>
 *   <li>distill_kl_tiny: tiny-lm teacher forward (no grad) + tiny-lm-student forward, token-level
 *       KL(teacher||student) over [8 x 63] rows (libs/divergence value and gradient, chunked through the
 *       heads from the hidden states as the trainer does, with the step's divergence metrics), backward,
 *       clip, AdamW;</li>
 *   <li>fdpo_tiny: tiny-lm policy forward on 8 chosen + 8 rejected sequences of 64 tokens (answer =
 *       last 16 tokens), cached reference log-probs, f-DPO (reverse KL) loss, backward, clip, AdamW.</li>
 * </ul>
 * Tokens/s = tokens of the batch (8 x 64, resp. 16 x 64) per step. Timing: >= 5 s of warm-up, 5 windows of
 * at least 0.6 s, the best window (the machine is shared; the best window is the least disturbed), and
 * the least process CPU time per step of any window.
 * usage: TrainingStepBenchmark OUT_DIR DJL_CACHE TAG
 */
public final class TrainingStepBenchmark {

  static final int BATCH = 8;
  static final int SEQ = 64;
  static final int ANSWER = 16;
  /** Warm-up before the windows (both sides): C2 keeps compiling the step's Java code (the Vector API loss kernels included) for ~5 s. */
  static final long WARM_UP_NANOS = 5_000_000_000L;

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0]);
    DjlRuntime.configure(Path.of(args[1]));
    String tag = args.length > 2 ? args[2] : "all";
    Map<String, Double> entries = new LinkedHashMap<>();
    Map<String, Double> cpuMs = new LinkedHashMap<>();
    Budget budget = new Budget(1_000_000L, BATCH, 1e-4, 0, "constant", 1, 1L, 1, 1.0, 1);
    SplittableRandom random = new SplittableRandom(1);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      long[] ids = new long[BATCH * SEQ];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = random.nextInt(256);
      }
      long[] mask = new long[ids.length];
      java.util.Arrays.fill(mask, 1);
      try (LlamaModel teacher = LlamaModel.initialize(root, TinyAssets.tinyLmConfig(), 1);
           LlamaModel student = LlamaModel.initialize(root, BuiltInModels.tinyLmStudentConfig(), 2);
           Optimisation optimisation = new Optimisation(student.parameters(), budget)) {
        DivergenceLogitsLoss kl = new DivergenceLogitsLoss("kl", DivergenceRegistry.create("kl"), 1.0, 0);
        List<long[]> sequences = new ArrayList<>();
        for (int b = 0; b < BATCH; b++) {
          sequences.add(Arrays.copyOfRange(ids, b * SEQ, (b + 1) * SEQ));
        }
        int[] lossStarts = new int[BATCH];
        Arrays.fill(lossStarts, 1);
        SequenceBatch batch = SequenceBatch.of(sequences, lossStarts, SEQ);
        // the trainer's path (LanguageModelDistillation): hidden states, loss chunked through the
        // heads, the step's divergence metrics computed in the same pass
        Runnable step = () -> {
          try (NDManager m = root.newSubManager()) {
            NDArray x = batch.idsArray(m);
            NDArray am = batch.maskArray(m);
            ChunkedDistillation.Teacher target = new ChunkedDistillation.Teacher.Live(
                batch.predictionRows(teacher.hiddenStates(x, am)).stopGradient(), ChunkedDistillation.headWeight(teacher));
            Map<String, Double> metrics = new HashMap<>();
            optimisation.backward(() -> ChunkedDistillation.loss(kl, batch.predictionRows(student.hiddenStates(x, am)),
                ChunkedDistillation.headWeight(student), target, batch, ChunkedHeadLoss.DEFAULT_CHUNK_ROWS, metrics),
                batch.countedTokens());
            optimisation.step(0);
          }
        };
        double[] measured = throughput(step);
        entries.put("distill_kl_tiny/ours", measured[0] * BATCH * SEQ);
        cpuMs.put("distill_kl_tiny/ours", measured[1]);
      }
      long[] pairIds = new long[2 * BATCH * SEQ];
      for (int i = 0; i < pairIds.length; i++) {
        pairIds[i] = random.nextInt(256);
      }
      long[] pairMask = new long[pairIds.length];
      java.util.Arrays.fill(pairMask, 1);
      float[] answer = new float[2 * BATCH * (SEQ - 1)];
      for (int b = 0; b < 2 * BATCH; b++) {
        for (int t = SEQ - 1 - ANSWER; t < SEQ - 1; t++) {
          answer[b * (SEQ - 1) + t] = 1f;
        }
      }
      float[] reference = new float[BATCH];
      java.util.Arrays.fill(reference, -40f);
      try (LlamaModel policy = LlamaModel.initialize(root, TinyAssets.tinyLmConfig(), 3);
           Optimisation optimisation = new Optimisation(policy.parameters(), budget)) {
        FDpoLoss dpo = new FDpoLoss(FDivergence.REVERSE_KL, 0.5, 0.1, 0.0);
        Runnable step = () -> {
          try (NDManager m = root.newSubManager()) {
            NDArray x = m.create(pairIds, new Shape(2 * BATCH, SEQ));
            NDArray am = m.create(pairMask, new Shape(2 * BATCH, SEQ));
            NDArray refChosen = m.create(reference);
            NDArray refRejected = m.create(reference);
            NDArray counted = m.create(answer, new Shape(2 * BATCH, SEQ - 1));
            optimisation.backward(() -> {
              // as PreferenceBatch.score: the head only on the predicting positions
              NDArray logits = policy.lmHead(policy.hiddenStates(x, am).get(":, :-1, :"));
              NDArray lp = logits.logSoftmax(-1).gather(x.get(":, 1:").expandDims(-1), -1).squeeze(-1);
              NDArray sequences = lp.mul(counted).sum(new int[] {1});
              return dpo.compute(sequences.get("0:" + BATCH), sequences.get(BATCH + ":"), refChosen, refRejected).loss();
            }, BATCH);
            optimisation.step(0);
          }
        };
        double[] measured = throughput(step);
        entries.put("fdpo_tiny/ours", measured[0] * 2 * BATCH * SEQ);
        cpuMs.put("fdpo_tiny/ours", measured[1]);
      }
    }
    entries.forEach((k, v) -> System.out.printf("%-22s %12.1f tokens/s%n", k, v));
    StringBuilder json = new StringBuilder("{\"entries\": ").append(jsonObject(entries))
        .append(", \"cpu_ms_per_step\": ").append(jsonObject(cpuMs)).append("}\n");
    Files.writeString(out.resolve("ours_" + tag + ".json"), json);
  }

  private static String jsonObject(Map<String, Double> values) {
    StringBuilder json = new StringBuilder("{");
    int i = 0;
    for (Map.Entry<String, Double> e : values.entrySet()) {
      json.append(i++ == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": ").append(e.getValue());
    }
    return json.append('}').toString();
  }

  /**
   * Steps per second: best of 5 windows of >= 0.6 s and >= 2 steps, after {@link #WARM_UP_NANOS} of
   * warm-up; also the least process CPU milliseconds per step of any window (JIT and GC
   * threads included), which a loaded machine disturbs less than wall time.
   */
  static double[] throughput(Runnable step) {
    return throughput(step, WARM_UP_NANOS);
  }

  /** {@link #throughput(Runnable)} after {@code warmUpNanos} of warm-up. */
  static double[] throughput(Runnable step, long warmUpNanos) {
    long warmStart = System.nanoTime();
    int warm = 0;
    while (warm < 2 || System.nanoTime() - warmStart < warmUpNanos) {
      step.run();
      warm++;
    }
    double best = 0;
    double cpuPerStep = Double.MAX_VALUE;
    for (int w = 0; w < 5; w++) {
      long start = System.nanoTime();
      long cpuStart = processCpuNanos();
      int n = 0;
      while (n < 2 || System.nanoTime() - start < 600_000_000L) {
        step.run();
        n++;
      }
      best = Math.max(best, n / ((System.nanoTime() - start) / 1e9));
      cpuPerStep = Math.min(cpuPerStep, (processCpuNanos() - cpuStart) / 1e6 / n);
    }
    return new double[] {best, cpuPerStep};
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
