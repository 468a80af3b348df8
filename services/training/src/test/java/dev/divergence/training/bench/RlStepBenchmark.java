package dev.divergence.training.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.FDpgSpec;
import dev.divergence.training.job.RlvrSpec;
import dev.divergence.training.trainer.common.Optimisation;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.fdpg.BatchSampler;
import dev.divergence.training.trainer.fdpg.SampleFeature;
import dev.divergence.training.trainer.rl.ClippedPolicyLoss;
import dev.divergence.training.trainer.rl.DpgDivergence;
import dev.divergence.training.trainer.rl.FDpgLoss;
import dev.divergence.training.trainer.rl.GroupAdvantages;
import dev.divergence.training.trainer.rl.ImportanceSampledDivergences;
import dev.divergence.training.trainer.rl.KlPenalty;
import dev.divergence.training.trainer.rl.MovingAverage;
import dev.divergence.training.trainer.rlvr.AnswerChecker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Throughput of one RLVR (GRPO) step and one f-DPG step on the built-in tiny LM, for
 * {@code bench/run.sh training} (bench/training/rl_baseline.py does the same work in PyTorch CPU on the
 * same weights, read from the model folder this main writes).
 *
 * <p>Both steps are composed of the classes the jobs use, in the order {@code RlvrTrainer} and
 * {@code FDpgTrainer} call them (their step bodies are private; this main repeats the glue, not the work):
 * <ul>
 *   <li>rlvr_grpo_tiny: {@value #PROMPTS} arithmetic prompts x G = {@value #GROUP} answers of
 *       {@value #RLVR_NEW_TOKENS} tokens each by {@link BatchSampler} (one KV-cache batch of G rows per
 *       prompt, libs/model's Sampler per row, temperature 1); {@link AnswerChecker} integer rewards;
 *       {@link GroupAdvantages}; pi_old and pi_ref token log-probs ({@link LogProbs#tokenLogProbs}, no
 *       gradient); then {@value #UPDATES} updates, each {@link ClippedPolicyLoss} (eps 0.2 / 0.28) +
 *       0.04 x {@link KlPenalty} k3 (the RLVR job's kl regulariser with its default coefficient), backward,
 *       clip 1.0, AdamW ({@link Optimisation}).</li>
 *   <li>fdpg_tiny: {@value #FDPG_SAMPLES} samples of {@value #FDPG_NEW_TOKENS} tokens from BOS by
 *       {@link BatchSampler} (on-policy, temperature 1); the constraint "contains 7"
 *       ({@link SampleFeature}); sequence log-probs of the frozen base (no gradient) and of the policy
 *       (with gradient); Z by {@link MovingAverage} (window 1024); js pseudo-rewards
 *       ({@link DpgDivergence}) less the step's leave-one-out baseline ({@link FDpgLoss#advantages}); the step's importance-sampled metrics
 *       ({@link ImportanceSampledDivergences}: KL / TV / JS (target || policy), KL (policy || base),
 *       entropy, distinct-1/2); {@link FDpgLoss}, backward, clip, AdamW.</li>
 * </ul>
 *
 * <p>The model: tiny-lm as the platform builds it ({@link TinyAssets}, standard budget), copied into
 * {@code DATA_DIR/rl-bench-model} with its end token removed from config.json, so that every sample is
 * exactly max-new-tokens long on both sides (with the end token, when every row of a batch ends early
 * depends on each side's random draws; a job's step costs at most this). Tokens per step, on both
 * sides: generated tokens + scored tokens, scored = the sequences' tokens once per teacher-forced pass:
 * rlvr = P G N + (2 + K) P G (prompt + N), fdpg = n N + 2 n (1 + N).
 *
 * <p>Before timing, the reference's token log-probs of a fixed batch are written to
 * {@code OUT_DIR/rl_parity.json}: the PyTorch script checks it computes the same model.
 * Timing: warm-up until the process has used {@value #WARM_UP_CPU_NANOS} ns of CPU, then
 * {@link TrainingStepBenchmark#throughput}'s windows (best window, least process CPU per step).
 * usage: RlStepBenchmark OUT_DIR DJL_CACHE TAG DATA_DIR
 */
public final class RlStepBenchmark {

  static final int PROMPTS = 4;
  static final int GROUP = RlvrSpec.DEFAULT_GROUP_SIZE;
  static final int RLVR_NEW_TOKENS = RlvrSpec.DEFAULT_MAX_NEW_TOKENS;
  static final int UPDATES = 2;
  static final int FDPG_SAMPLES = 16;
  static final int FDPG_NEW_TOKENS = FDpgSpec.DEFAULT_MAX_NEW_TOKENS;
  /** Two-digit operands: every prompt is BOS + 6 bytes, so no batch needs padding on either side. */
  static final String[][] PROBLEMS = {{"12+34=", "46"}, {"27+45=", "72"}, {"38+19=", "57"}, {"41+26=", "67"}};
  static final String MODEL_FOLDER = "rl-bench-model";
  /**
   * Warm-up before the windows, both sides, in process CPU time rather than wall time: a step runs far
   * more distinct Java code than the other training steps (sampling loop, sampler, checker, metrics);
   * C2 was measured still compiling it after 5 s (its thread took ~3.5 s of CPU in a 25 s run), and on
   * a machine loaded 10x over a wall-clock warm-up leaves the compiler too little CPU (main-thread CPU
   * per sampling phase doubled at load 20 with 15 s of wall-clock warm-up). The PyTorch side warms up
   * for the same process CPU time.
   */
  static final long WARM_UP_CPU_NANOS = 15_000_000_000L;
  private static final double LOG_T_CAP = 80.0;

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args[0]);
    DjlRuntime.configure(Path.of(args[1]));
    String tag = args.length > 2 ? args[2] : "all";
    Path data = Path.of(args.length > 3 ? args[3] : "target/bench-data");
    Map<String, Double> entries = new LinkedHashMap<>();
    Map<String, Double> cpuMs = new LinkedHashMap<>();
    Map<String, Map<String, Double>> phaseMs = new LinkedHashMap<>();
    Budget budget = new Budget(1_000_000L, GROUP * PROMPTS, 1e-5, 0, "constant", 1, 1L, 1, 1.0, 1);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      Path modelDir = benchModel(root, data);
      try (TextTokenizer tokenizer = Tokenizers.load(modelDir);
           LlamaModel policy = LlamaModel.load(root, modelDir);
           LlamaModel reference = LlamaModel.load(root, modelDir);
           Optimisation optimisation = new Optimisation(policy.parameters(), budget)) {
        LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
        writeParity(out, reference, root, encoding);
        int context = policy.config().maxPositionEmbeddings();
        AnswerChecker checker = AnswerChecker.of(RlvrSpec.CHECKER_INTEGER);
        ClippedPolicyLoss policyLoss = new ClippedPolicyLoss(RlvrSpec.DEFAULT_CLIP_LOW, RlvrSpec.DEFAULT_CLIP_HIGH);
        KlPenalty k3 = KlPenalty.of("k3");
        float coefficient = (float) RlvrSpec.DEFAULT_KL_COEFFICIENT;
        SplittableRandom random = new SplittableRandom(7);
        double[] rewardSum = new double[2];
        Phases phases = new Phases("sampling", "scoring", "updates");
        Runnable step = () -> {
          phases.stepStarts();
          // RlvrTrainer.rollout
          List<long[]> sequences = new ArrayList<>();
          List<Integer> starts = new ArrayList<>();
          double[] rewards = new double[PROMPTS * GROUP];
          SequenceBatch batch;
          float[] old;
          float[] ref;
          double[] advantages;
          try (NDManager m = root.newSubManager()) {
            for (int p = 0; p < PROMPTS; p++) {
              long[] prompt = encoding.prompt(PROBLEMS[p][0]);
              BatchSampler.Samples samples = BatchSampler.sample(policy, m, prompt, seeds(random, GROUP), RLVR_NEW_TOKENS, 1.0);
              for (int i = 0; i < GROUP; i++) {
                sequences.add(LmEncoding.concat(prompt, samples.tokens().get(i)));
                starts.add(prompt.length);
                String answer = tokenizer.decode(Arrays.copyOf(samples.tokens().get(i), samples.lengths()[i]));
                rewards[p * GROUP + i] = checker.correct(answer, PROBLEMS[p][1]) ? 1 : 0;
              }
            }
            phases.lap(0);
            batch = SequenceBatch.of(sequences, starts.stream().mapToInt(Integer::intValue).toArray(), context);
            old = LogProbs.tokenLogProbs(policy, batch.idsArray(m), batch.maskArray(m)).toFloatArray();
            ref = LogProbs.tokenLogProbs(reference, batch.idsArray(m), batch.maskArray(m)).toFloatArray();
            advantages = GroupAdvantages.compute(rewards, GROUP);
          }
          phases.lap(1);
          rewardSum[0] += Arrays.stream(rewards).sum();
          rewardSum[1] += rewards.length;
          double negLogSum = 0;
          for (int t = 0; t < old.length; t++) {
            negLogSum -= batch.targetMask()[t] ? old[t] : 0;
          }
          if (!Double.isFinite(negLogSum)) {
            throw new IllegalStateException("non-finite entropy estimate");
          }
          // RlvrTrainer's step body, once per update
          int answers = batch.batch();
          Shape shape = new Shape(answers, batch.length() - 1);
          for (int k = 0; k < UPDATES; k++) {
            try (NDManager m = root.newSubManager()) {
              NDArray mask = m.create(floats(batch.targetMask()), shape);
              NDArray oldArray = m.create(old, shape);
              NDArray advantageArray = m.create(floats(advantages));
              NDArray refArray = m.create(ref, shape);
              double[] metrics = new double[2];
              optimisation.backward(() -> {
                NDArray logPolicy = LogProbs.tokenLogProbs(policy, batch.idsArray(m), batch.maskArray(m));
                ClippedPolicyLoss.Result clipped = policyLoss.compute(logPolicy, oldArray, advantageArray, mask);
                metrics[0] = clipped.clipRatio();
                NDArray term = perAnswerMean(k3.perToken(logPolicy, refArray), mask);
                metrics[1] = term.getFloat();
                return clipped.loss().add(term.mul(coefficient));
              }, answers);
              optimisation.step(0);
            }
          }
          phases.lap(2);
        };
        double[] measured = throughput(step, phases);
        int length = 1 + PROBLEMS[0][0].length() + RLVR_NEW_TOKENS;
        long tokens = (long) PROMPTS * GROUP * RLVR_NEW_TOKENS + (2L + UPDATES) * PROMPTS * GROUP * length;
        entries.put("rlvr_grpo_tiny/ours", measured[0] * tokens);
        cpuMs.put("rlvr_grpo_tiny/ours", measured[1]);
        phaseMs.put("rlvr_grpo_tiny/ours", phases.perStepMs());
        System.out.printf(Locale.ROOT, "rlvr: mean reward %.3f over %d answers%n", rewardSum[0] / rewardSum[1], (long) rewardSum[1]);
      }
      try (TextTokenizer tokenizer = Tokenizers.load(modelDir);
           LlamaModel policy = LlamaModel.load(root, modelDir);
           LlamaModel base = LlamaModel.load(root, modelDir);
           Optimisation optimisation = new Optimisation(policy.parameters(), budget)) {
        LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
        long[] bos = encoding.prompt("");
        int context = policy.config().maxPositionEmbeddings();
        SampleFeature constraint = SampleFeature.of(FDpgSpec.Feature.contains("7"));
        DpgDivergence divergence = DpgDivergence.of(FDpgSpec.DEFAULT_DIVERGENCE);
        MovingAverage baseline = new MovingAverage(FDpgSpec.DEFAULT_WINDOW);
        MovingAverage partition = new MovingAverage(FDpgSpec.DEFAULT_WINDOW);
        SplittableRandom random = new SplittableRandom(11);
        int n = FDPG_SAMPLES;
        double[] satisfied = new double[2];
        Phases phases = new Phases("sampling", "scoring_loss_backward", "update");
        Runnable step = () -> {
          phases.stepStarts();
          // FDpgTrainer's micro-batch, on-policy at temperature 1 (q = pi exactly)
          try (NDManager m = root.newSubManager()) {
            BatchSampler.Samples samples = BatchSampler.sample(policy, m, bos, seeds(random, n), FDPG_NEW_TOKENS, 1.0);
            List<long[]> sequences = new ArrayList<>(n);
            int[] starts = new int[n];
            for (int i = 0; i < n; i++) {
              sequences.add(LmEncoding.concat(bos, samples.tokens().get(i)));
              starts[i] = bos.length;
            }
            phases.lap(0);
            SequenceBatch batch = SequenceBatch.of(sequences, starts, context);
            double[] logBase = doubles(sequenceLogProbs(base, batch, m));
            double[] logTarget = new double[n];
            for (int i = 0; i < n; i++) {
              String text = tokenizer.decode(Arrays.copyOf(samples.tokens().get(i), samples.lengths()[i]));
              boolean holds = constraint.test("", text, samples.lengths()[i]);
              logTarget[i] = holds ? logBase[i] : Double.NEGATIVE_INFINITY;
              satisfied[0] += holds ? 1 : 0;
            }
            satisfied[1] += n;
            double[] stepMetrics = new double[8];
            optimisation.backward(() -> {
              NDArray logPolicyArray = sequenceLogProbs(policy, batch, m);
              double[] logPolicy = doubles(logPolicyArray.stopGradient());
              double[] logProposal = logPolicy;
              for (int i = 0; i < n; i++) {
                partition.add(Math.exp(Math.min(logTarget[i] - logProposal[i], LOG_T_CAP)));
              }
              double z = partition.mean(0);
              stepMetrics[7] = samples.distinct(1) + samples.distinct(2);
              if (!(z > 0)) {
                return logPolicyArray.mul(0f).mean();
              }
              double logZ = Math.log(z);
              double[] rewards = new double[n];
              double batchMean = 0;
              for (int i = 0; i < n; i++) {
                double logT = Math.max(-LOG_T_CAP, Math.min(LOG_T_CAP, logPolicy[i] - (logTarget[i] - logZ)));
                rewards[i] = divergence.pseudoReward(logT, 0.5);
                batchMean += rewards[i] / n;
              }
              double[] importance = FDpgLoss.importance(logPolicy, logProposal);
              // the job's baseline: the step's other samples' importance-weighted mean reward (leave-one-out)
              double[] advantages = FDpgLoss.advantages(rewards, importance, baseline);
              double meanBaseline = 0;
              for (int i = 0; i < n; i++) {
                meanBaseline += (rewards[i] - advantages[i]) / n;
              }
              stepMetrics[6] = meanBaseline + batchMean;
              boolean[] holds = new boolean[n];
              for (int i = 0; i < n; i++) {
                holds[i] = logTarget[i] != Double.NEGATIVE_INFINITY;
              }
              stepMetrics[0] = ImportanceSampledDivergences.constraintSatisfaction(holds, logPolicy, logProposal);
              stepMetrics[1] = ImportanceSampledDivergences.klTargetPolicy(logTarget, logZ, logPolicy, logProposal);
              stepMetrics[2] = ImportanceSampledDivergences.tv(logTarget, logZ, logPolicy, logProposal);
              stepMetrics[3] = ImportanceSampledDivergences.js(logTarget, logZ, logPolicy, logProposal);
              stepMetrics[4] = ImportanceSampledDivergences.klPolicyBase(logPolicy, logBase, logProposal);
              double entropy = 0;
              for (int i = 0; i < n; i++) {
                entropy += importance[i] * -logPolicy[i] / n;
              }
              stepMetrics[5] = entropy;
              return FDpgLoss.compute(logPolicyArray, m.create(floats(importance)), m.create(floats(advantages)));
            }, n);
          }
          phases.lap(1);
          optimisation.step(0);
          phases.lap(2);
        };
        double[] measured = throughput(step, phases);
        long tokens = (long) n * FDPG_NEW_TOKENS + 2L * n * (bos.length + FDPG_NEW_TOKENS);
        entries.put("fdpg_tiny/ours", measured[0] * tokens);
        cpuMs.put("fdpg_tiny/ours", measured[1]);
        phaseMs.put("fdpg_tiny/ours", phases.perStepMs());
        System.out.printf(Locale.ROOT, "fdpg: constraint held in %.3f of %d samples%n", satisfied[0] / satisfied[1], (long) satisfied[1]);
      }
    }
    entries.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-22s %12.1f tokens/s  %8.2f CPU ms/step  main-thread CPU ms/step %s%n",
        k, v, cpuMs.get(k), phaseMs.get(k)));
    StringBuilder phasesJson = new StringBuilder("{");
    phaseMs.forEach((k, v) -> phasesJson.append(phasesJson.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
        .append(jsonObject(v)));
    String json = "{\"entries\": " + jsonObject(entries) + ", \"cpu_ms_per_step\": " + jsonObject(cpuMs)
        + ", \"phase_cpu_ms_per_step\": " + phasesJson.append('}') + "}\n";
    Files.writeString(out.resolve("ours_rl_" + tag + ".json"), json);
  }

  /**
   * Where a step's time goes: main-thread CPU time (libtorch runs its single intra-op thread on the
   * caller) per phase, counted only for the steps after the warm-up, so that the split describes the
   * measured windows (the PyTorch script splits its step the same way).
   */
  static final class Phases {
    private final String[] names;
    private final long[] nanos;
    private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    private long steps;
    private long last;
    private boolean counting;

    Phases(String... names) {
      this.names = names;
      this.nanos = new long[names.length];
    }

    /** From now on the steps count (called when the warm-up ends). */
    void startCounting() {
      counting = true;
    }

    void stepStarts() {
      steps += counting ? 1 : 0;
      last = threads.getCurrentThreadCpuTime();
    }

    void lap(int phase) {
      long now = threads.getCurrentThreadCpuTime();
      if (counting) {
        nanos[phase] += now - last;
      }
      last = now;
    }

    Map<String, Double> perStepMs() {
      Map<String, Double> out = new LinkedHashMap<>();
      for (int i = 0; i < names.length; i++) {
        out.put(names[i], steps == 0 ? 0 : Math.round(nanos[i] / 1e4 / steps) / 100.0);
      }
      return out;
    }
  }

  /** {@link TrainingStepBenchmark#throughput}'s windows after {@value #WARM_UP_CPU_NANOS} ns of process CPU time of warm-up. */
  static double[] throughput(Runnable step, Phases phases) {
    long cpuStart = processCpuNanos();
    int warm = 0;
    while (warm < 2 || processCpuNanos() - cpuStart < WARM_UP_CPU_NANOS) {
      step.run();
      warm++;
    }
    phases.startCounting();
    return TrainingStepBenchmark.throughput(step, 0);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** tiny-lm (standard budget, made once under {@code data}) copied with no end token. */
  static Path benchModel(NDManager root, Path data) throws IOException {
    Path source = new TinyAssets(data, TinyAssets.Budget.standard()).ensure(root, TinyAssets.TINY_LM);
    Path dir = data.resolve(MODEL_FOLDER);
    Files.createDirectories(dir);
    for (String file : List.of("model.safetensors", "tokenizer.json", "tokenizer_config.json", "provenance.json")) {
      if (Files.exists(source.resolve(file))) {
        Files.copy(source.resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    LlamaConfig config = LlamaConfig.read(source.resolve("config.json"));
    config.withSpecialTokens(config.bosTokenId(), List.of(), config.padTokenId()).write(dir);
    return dir;
  }

  /** The reference's token log-probs of a fixed batch (prompt + answer + a second line), for the PyTorch side's check. */
  private static void writeParity(Path out, LlamaModel model, NDManager root, LmEncoding encoding) throws IOException {
    List<long[]> sequences = new ArrayList<>();
    int[] starts = new int[PROBLEMS.length];
    for (int p = 0; p < PROBLEMS.length; p++) {
      sequences.add(encoding.full(PROBLEMS[p][0], PROBLEMS[p][1] + ". 3+4=7."));
      starts[p] = 1;
    }
    SequenceBatch batch = SequenceBatch.of(sequences, starts, model.config().maxPositionEmbeddings());
    StringBuilder json = new StringBuilder("{\"ids\": [");
    try (NDManager m = root.newSubManager()) {
      float[] lp = LogProbs.tokenLogProbs(model, batch.idsArray(m), batch.maskArray(m)).toFloatArray();
      for (int b = 0; b < batch.batch(); b++) {
        json.append(b == 0 ? "[" : ", [");
        for (int t = 0; t < batch.length(); t++) {
          json.append(t == 0 ? "" : ", ").append(batch.ids()[b * batch.length() + t]);
        }
        json.append(']');
      }
      json.append("], \"log_probs\": [");
      int width = batch.length() - 1;
      for (int b = 0; b < batch.batch(); b++) {
        json.append(b == 0 ? "[" : ", [");
        for (int t = 0; t < width; t++) {
          json.append(t == 0 ? "" : ", ").append(lp[b * width + t]);
        }
        json.append(']');
      }
    }
    Files.writeString(out.resolve("rl_parity.json"), json.append("]}\n"));
  }

  /** FDpgTrainer.sequenceLogProbs: the counted token log-probs summed per sample, [B]. */
  static NDArray sequenceLogProbs(LlamaModel model, SequenceBatch batch, NDManager m) {
    NDArray tokenLogProbs = LogProbs.tokenLogProbs(model, batch.idsArray(m), batch.maskArray(m));
    return tokenLogProbs.mul(m.create(floats(batch.targetMask()), new Shape(batch.batch(), batch.length() - 1)))
        .sum(new int[] {1});
  }

  /** The mean over answers of the mean over each answer's tokens (RlvrTrainer.perAnswerMean). */
  private static NDArray perAnswerMean(NDArray perToken, NDArray mask) {
    return perToken.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}).maximum(1f)).mean();
  }

  private static long[] seeds(SplittableRandom random, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextLong();
    }
    return out;
  }

  private static double[] doubles(NDArray array) {
    float[] f = array.toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static float[] floats(boolean[] mask) {
    float[] out = new float[mask.length];
    for (int i = 0; i < mask.length; i++) {
      out[i] = mask[i] ? 1f : 0f;
    }
    return out;
  }

  private static float[] floats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  private static String jsonObject(Map<String, Double> values) {
    StringBuilder json = new StringBuilder("{");
    int i = 0;
    for (Map.Entry<String, Double> e : values.entrySet()) {
      json.append(i++ == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": ").append(e.getValue());
    }
    return json.append('}').toString();
  }
}
