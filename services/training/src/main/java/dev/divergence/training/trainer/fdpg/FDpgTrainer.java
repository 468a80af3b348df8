package dev.divergence.training.trainer.fdpg;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Algorithm;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.FDpgSpec;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.trainer.Trainer;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.TrainingRun;
import dev.divergence.training.trainer.common.ModelFolders;
import dev.divergence.training.trainer.common.Optimisation;
import dev.divergence.training.trainer.common.StepMetrics;
import dev.divergence.training.trainer.common.StepRandom;
import dev.divergence.training.trainer.common.TrainingLoop;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.data.TextExample;
import dev.divergence.training.trainer.data.TrainingData;
import dev.divergence.training.trainer.rl.DpgDivergence;
import dev.divergence.training.trainer.rl.FDpgLoss;
import dev.divergence.training.trainer.rl.ImportanceSampledDivergences;
import dev.divergence.training.trainer.rl.MomentMatching;
import dev.divergence.training.trainer.rl.MovingAverage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.springframework.stereotype.Component;

/**
 * f-DPG (ALGORITHMS.md "f-DPG / GDC"): per optimiser step (per micro-batch) it draws
 * {@code samplesPerStep} samples x from the proposal q (the policy, or the offline proposal) with
 * batched KV-cache sampling from the BOS token (or, with {@code prompts: dataset}, from one dataset
 * prompt per micro-batch, which also gets its own Z(c): the micro-batch's estimate), scores them under the policy pi (with gradient),
 * the base a (the job's model, frozen) and takes log q from the sampler, builds
 * log P = log a + log b (b in {0, 1}: -infinity where the constraint fails),
 * log a + lambda . phi (moments) or log a + r / beta (rlhf), adds P/q to Z's moving average, and takes the pseudo-reward
 * r = -f'(pi / p) ({@link DpgDivergence}) at log t = log pi - (log P - log Z) minus a baseline as the
 * advantage of {@link FDpgLoss}: the mean reward of the step's other samples ({@link FDpgLoss#advantages};
 * the moving average of earlier rewards only for one sample per step). Where b = 0, log t is +infinity; it is capped at
 * +-{@value #LOG_T_CAP} for the reward (finite penalties: reverse_kl's is then -(cap + 1)), while
 * the metrics use the exact limits. While no sample has satisfied the constraint yet (Z = 0) the
 * target is unknown and the step changes nothing ({@code skipped} = 1).
 *
 * <p>Metrics per step (the papers' logs, importance-sampled from the step's samples with
 * {@link ImportanceSampledDivergences}): {@code constraint_satisfaction} (E_pi[b]) or
 * {@code moment/i} (E_pi[phi_i]) next to {@code moment_target/i} (mu_i) or {@code reward} (E_pi[r], rlhf), {@code kl_target_policy}
 * (KL(p || pi)), {@code tv_target_policy}, {@code js_target_policy} (JS with the 1/2),
 * {@code kl_policy_base} (KL(pi || a)), {@code entropy} (of pi over whole samples, nats),
 * {@code distinct_1} / {@code distinct_2} (distinct tokens and token bigrams over all of the step's
 * samples), {@code z}, {@code baseline}, {@code pseudo_reward}, {@code importance_weight},
 * {@code sample_tokens}, and with an offline proposal {@code proposal_tv_target} and
 * {@code proposal_replacements}.
 *
 * <p>Checkpoints add {@link FDpgState}: the reward and Z windows, lambda, and the offline proposal.
 * Sampling seeds are a function of (seed, step, micro-batch, sample), so a resumed job draws what
 * the uninterrupted one drew.
 */
@Component
public class FDpgTrainer implements Trainer {

  static final double LOG_T_CAP = 80.0;
  /** Base samples lambda is fitted on when a job with moments starts. */
  static final int MOMENT_FIT_SAMPLES = 512;
  private static final int FIT_CHUNK = 64;
  private static final int PURPOSE_SAMPLE = 31;
  private static final int PURPOSE_FIT = 32;

  @Override
  public Algorithm algorithm() {
    return Algorithm.F_DPG;
  }

  @Override
  public TrainingOutcome train(TrainingRun run) {
    JobSpec spec = run.spec();
    FDpgSpec method = spec.fDpg();
    Budget budget = spec.budget();
    DjlRuntime.configure(run.dataDir().resolve("djl"));
    Path baseDir = run.modelDir("spec.model", spec.model());
    DpgDivergence divergence = DpgDivergence.of(method.divergence().name());
    double alpha = method.generatorAlpha();
    boolean offline = FDpgSpec.OFFLINE.equals(method.proposal());
    TrainingLoop loop = new TrainingLoop(run);
    Optional<FDpgState> resumed = loop.resumeDir().filter(dir -> Files.isRegularFile(dir.resolve(FDpgState.FILE)))
        .map(FDpgState::read);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(baseDir);
         LlamaModel policy = LlamaModel.load(root, loop.weightsDir(baseDir));
         LlamaModel base = LlamaModel.load(root, baseDir);
         Optimisation optimisation = new Optimisation(policy.parameters(), budget)) {
      LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
      long[] bos = encoding.prompt("");
      List<String> prompts = method.conditional()
          ? TrainingData.text(run.dataset()).train().stream().map(TextExample::generationPrompt).toList()
          : List.of("");
      int context = policy.config().maxPositionEmbeddings();
      Target target = Target.of(method);
      int window = method.baselineWindow();
      MovingAverage baseline = resumed.map(s -> MovingAverage.restore(window, s.baseline())).orElseGet(() -> new MovingAverage(window));
      MovingAverage partition = resumed.map(s -> MovingAverage.restore(window, s.partition())).orElseGet(() -> new MovingAverage(window));
      double[] lambda = target.moments()
          ? resumed.map(FDpgState::lambda).orElseGet(() -> fitLambda(run, base, tokenizer, root, bos, target, method, budget.seed()))
          : target.fixedLambda();
      Proposal proposal = new Proposal(root, resumed.map(FDpgState::proposalReplacements).orElse(0));
      if (offline) {
        Path saved = loop.resumeDir().map(dir -> dir.resolve(FDpgState.PROPOSAL_DIR)).filter(Files::isDirectory).orElse(baseDir);
        proposal.model = LlamaModel.load(root, saved);
      }
      loop.withExtraState(dir -> {
        new FDpgState(baseline.snapshot(), partition.snapshot(), lambda, proposal.replacements).write(dir);
        if (offline && proposal.replacements > 0) {
          ModelFolders.save(dir.resolve(FDpgState.PROPOSAL_DIR), proposal.model::save);
        }
      });
      int n = method.samplesPerStep();
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        StepMetrics metrics = new StepMetrics();
        long tokens = 0;
        for (int micro = 0; micro < optimisation.accumulation(); micro++) {
          long[] seeds = seeds(budget.seed(), step, micro, n);
          // one prompt per micro-batch, from an endless per-epoch shuffle of the prompts (a function of the step)
          String promptText = prompts.get(StepRandom.rows(budget.seed(), prompts.size(),
              step * optimisation.accumulation() + micro, 1)[0]);
          long[] prompt = encoding.prompt(promptText);
          try (NDManager m = root.newSubManager()) {
            BatchSampler.Samples samples = BatchSampler.sample(offline ? proposal.model : policy, m, prompt, seeds,
                method.maxNewTokens(), method.temperature());
            List<long[]> sequences = new ArrayList<>(n);
            int[] starts = new int[n];
            for (int i = 0; i < n; i++) {
              sequences.add(LmEncoding.concat(prompt, samples.tokens().get(i)));
              starts[i] = prompt.length;
            }
            SequenceBatch batch = SequenceBatch.of(sequences, starts, context);
            tokens += batch.realTokens();
            double[] logBase = doubles(sequenceLogProbs(base, batch, m));
            double[][] phi = target.features(tokenizer, promptText, samples);
            double[] logTarget = target.logTarget(logBase, phi, lambda);
            // q = pi exactly when sampling the policy at temperature 1; otherwise the density sampled from
            boolean exactOnPolicy = !offline && method.temperature() == 1.0;
            optimisation.backward(() -> {
              NDArray logPolicyArray = sequenceLogProbs(policy, batch, m);
              double[] logPolicy = doubles(logPolicyArray.stopGradient());
              double[] logProposal = exactOnPolicy ? logPolicy : samples.logProposal();
              double z;
              if (method.conditional()) {
                // Z(c) of this micro-batch's prompt: its own samples' estimate (a moving average would mix prompts)
                z = ImportanceSampledDivergences.partition(capped(logTarget, logProposal), new double[n]);
              } else {
                // P/q; 0 where the constraint fails; capped like every exponent of f-DPG
                for (double logRatio : capped(logTarget, logProposal)) {
                  partition.add(Math.exp(logRatio));
                }
                z = partition.mean(0);
              }
              metrics.add("z", z, n);
              metrics.add("sample_tokens", Arrays.stream(samples.lengths()).average().orElse(0), n);
              addDistinct(metrics, samples, n);
              target.addSatisfaction(metrics, phi, logPolicy, logProposal, n);
              if (!(z > 0)) {
                metrics.add("skipped", 1, n);
                return logPolicyArray.mul(0f).mean();
              }
              metrics.add("skipped", 0, n);
              double logZ = Math.log(z);
              double[] rewards = new double[n];
              double batchMean = 0;
              for (int i = 0; i < n; i++) {
                double logT = Math.max(-LOG_T_CAP, Math.min(LOG_T_CAP, logPolicy[i] - (logTarget[i] - logZ)));
                rewards[i] = divergence.pseudoReward(logT, alpha);
                batchMean += rewards[i] / n;
              }
              double[] importance = FDpgLoss.importance(logPolicy, logProposal);
              double[] advantages = FDpgLoss.advantages(rewards, importance, baseline);
              double meanBaseline = 0;
              for (int i = 0; i < n; i++) {
                meanBaseline += (rewards[i] - advantages[i]) / n;
              }
              metrics.add("baseline", meanBaseline, n);
              metrics.add("pseudo_reward", batchMean, n);
              metrics.add("importance_weight", Arrays.stream(importance).average().orElse(0), n);
              metrics.add("kl_target_policy", ImportanceSampledDivergences.klTargetPolicy(logTarget, logZ, logPolicy, logProposal), n);
              metrics.add("tv_target_policy", ImportanceSampledDivergences.tv(logTarget, logZ, logPolicy, logProposal), n);
              metrics.add("js_target_policy", ImportanceSampledDivergences.js(logTarget, logZ, logPolicy, logProposal), n);
              metrics.add("kl_policy_base", ImportanceSampledDivergences.klPolicyBase(logPolicy, logBase, logProposal), n);
              double entropy = 0;
              for (int i = 0; i < n; i++) {
                entropy += importance[i] * -logPolicy[i] / n;
              }
              metrics.add("entropy", entropy, n);
              if (offline) {
                metrics.add("proposal_tv_target", ImportanceSampledDivergences.tv(logTarget, logZ, logProposal, logProposal), n);
              }
              return FDpgLoss.compute(logPolicyArray, m.create(floats(importance)), m.create(floats(advantages)));
            }, n);
          }
        }
        Map<String, Double> stepMetrics = metrics.means();
        if (offline) {
          // GDC: the policy becomes the proposal once it is estimated closer to the target (before this step's update)
          Double policyTv = stepMetrics.get("tv_target_policy");
          Double proposalTv = stepMetrics.get("proposal_tv_target");
          if (policyTv != null && proposalTv != null && stepMetrics.get("skipped") == 0 && policyTv < proposalTv) {
            proposal.replaceWith(policy, run.workDir().resolve("proposal-" + step));
            run.log(String.format("step %d: policy TV %.4f < proposal TV %.4f, the policy becomes the proposal", step + 1,
                policyTv, proposalTv));
          }
          stepMetrics.put("proposal_replacements", (double) proposal.replacements);
        }
        return new TrainingLoop.StepOutput(stepMetrics, (long) n * optimisation.accumulation(), tokens);
      }, dir -> ModelFolders.save(dir, d -> {
        policy.save(d);
        ModelFolders.copyTokenizer(baseDir, d);
      }), 0, "tokens");
      Path out = run.workDir().resolve("model");
      ModelFolders.save(out, d -> {
        policy.save(d);
        ModelFolders.copyTokenizer(baseDir, d);
      });
      proposal.close();
      Map<String, Double> finals = new LinkedHashMap<>(last);
      if (lambda != null) {
        for (int k = 0; k < lambda.length; k++) {
          finals.put("lambda/" + k, lambda[k]);
        }
      }
      return new TrainingOutcome(out, finals);
    }
  }

  /** The offline proposal (null model when on-policy) and how often it was replaced. */
  private static final class Proposal {
    final NDManager root;
    LlamaModel model;
    int replacements;

    Proposal(NDManager root, int replacements) {
      this.root = root;
      this.replacements = replacements;
    }

    /** A frozen copy of the policy's current weights (through a model folder: the exact float32 values). */
    void replaceWith(LlamaModel policy, Path scratch) {
      ModelFolders.save(scratch, policy::save);
      LlamaModel copy = LlamaModel.load(root, scratch);
      model.close();
      model = copy;
      replacements++;
    }

    void close() {
      if (model != null) {
        model.close();
      }
    }
  }

  /** The pointwise constraint or the distributional constraints, as features of samples. */
  record Target(SampleFeature constraint, List<SampleFeature> features, double[] means, double[] fixedLambda) {

    static Target of(FDpgSpec spec) {
      if (spec.constraint() != null) {
        return new Target(SampleFeature.of(spec.constraint()), null, null, null);
      }
      if (spec.rlhf() != null) {
        // a(x) exp(r(x) / beta): an exponential family with one feature and lambda = 1 / beta, nothing to fit
        return new Target(null, List.of(SampleFeature.of(spec.rlhf().reward())), null, new double[] {1 / spec.rlhf().beta()});
      }
      return new Target(null, spec.moments().features().stream().map(SampleFeature::of).toList(),
          spec.moments().means().stream().mapToDouble(Double::doubleValue).toArray(), null);
    }

    /** An exponential-family target (moments or rlhf): log P = log a + lambda . phi. */
    boolean exponential() {
      return constraint == null;
    }

    /** Moments whose lambda is fitted (not rlhf). */
    boolean moments() {
      return means != null;
    }

    /** phi(x_i): one row per sample, one column (the constraint) or one per feature, values 0 or 1. */
    double[][] features(TextTokenizer tokenizer, String prompt, BatchSampler.Samples samples) {
      List<SampleFeature> columns = exponential() ? features : List.of(constraint);
      double[][] phi = new double[samples.size()][columns.size()];
      for (int i = 0; i < samples.size(); i++) {
        long[] own = Arrays.copyOf(samples.tokens().get(i), samples.lengths()[i]);
        String text = tokenizer.decode(own);
        for (int k = 0; k < columns.size(); k++) {
          phi[i][k] = columns.get(k).test(prompt, text, own.length) ? 1 : 0;
        }
      }
      return phi;
    }

    /** log P(x_i) = log a(x_i) + log b(x_i), or log a(x_i) + lambda . phi(x_i). */
    double[] logTarget(double[] logBase, double[][] phi, double[] lambda) {
      double[] out = new double[logBase.length];
      for (int i = 0; i < out.length; i++) {
        if (!exponential()) {
          out[i] = phi[i][0] == 1 ? logBase[i] : Double.NEGATIVE_INFINITY;
        } else {
          double dot = 0;
          for (int k = 0; k < lambda.length; k++) {
            dot += lambda[k] * phi[i][k];
          }
          out[i] = logBase[i] + dot;
        }
      }
      return out;
    }

    /** E_pi[b], or E_pi[phi_k] next to mu_k, importance-sampled. */
    void addSatisfaction(StepMetrics metrics, double[][] phi, double[] logPolicy, double[] logProposal, int n) {
      int columns = moments() ? means.length : 1;
      for (int k = 0; k < columns; k++) {
        boolean[] holds = new boolean[phi.length];
        for (int i = 0; i < phi.length; i++) {
          holds[i] = phi[i][k] == 1;
        }
        double estimate = ImportanceSampledDivergences.constraintSatisfaction(holds, logPolicy, logProposal);
        if (moments()) {
          metrics.add("moment/" + k, estimate, n);
          metrics.add("moment_target/" + k, means[k], n);
        } else if (exponential()) {
          metrics.add("reward", estimate, n); // E_pi[r]
        } else {
          metrics.add("constraint_satisfaction", estimate, n);
        }
      }
    }
  }

  /** lambda of the distributional constraints, fitted on {@value #MOMENT_FIT_SAMPLES} samples of the base (q = a). */
  private static double[] fitLambda(TrainingRun run, LlamaModel base, TextTokenizer tokenizer, NDManager root, long[] prompt,
      Target target, FDpgSpec method, long seed) {
    List<double[]> rows = new ArrayList<>();
    SplittableRandom random = StepRandom.at(seed, -1, PURPOSE_FIT);
    for (int from = 0; from < MOMENT_FIT_SAMPLES; from += FIT_CHUNK) {
      long[] seeds = new long[Math.min(FIT_CHUNK, MOMENT_FIT_SAMPLES - from)];
      for (int i = 0; i < seeds.length; i++) {
        seeds[i] = random.nextLong();
      }
      // samples of a itself at temperature 1: the moment matching's importance weights are all 1
      BatchSampler.Samples samples = BatchSampler.sample(base, root, prompt, seeds, method.maxNewTokens(), 1.0);
      rows.addAll(Arrays.asList(target.features(tokenizer, "", samples)));
    }
    double[][] phi = rows.toArray(new double[0][]);
    try {
      MomentMatching.Fit fit = MomentMatching.fit(phi, null, target.means(), null);
      run.log("f-DPG moments: lambda " + Arrays.toString(fit.lambda()) + " fitted on " + phi.length + " base samples in "
          + fit.iterations() + " Newton steps");
      return fit.lambda();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("spec.fDpg.moments.means: " + e.getMessage() + " (" + phi.length
          + " samples of the base; a feature the base never or always shows cannot be moved to a mean strictly inside (0, 1))", e);
    }
  }

  /** P(x_i) / q(x_i) as log-ratios capped at {@value #LOG_T_CAP}, so that their exponentials stay finite. */
  private static double[] capped(double[] logTarget, double[] logProposal) {
    double[] out = new double[logTarget.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.min(logTarget[i] - logProposal[i], LOG_T_CAP);
    }
    return out;
  }

  /** One sampler seed per sample of micro-batch {@code micro} of step {@code step}. */
  static long[] seeds(long seed, long step, int micro, int n) {
    SplittableRandom random = StepRandom.at(seed, step, PURPOSE_SAMPLE + 64 * micro);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextLong();
    }
    return out;
  }

  /**
   * log pi(x_i) of each whole sample (its tokens after the prompt, the end token included): the
   * sum of the token log-probs counted by the batch's target mask, shape [B]; differentiable when
   * gradients are being recorded.
   */
  static NDArray sequenceLogProbs(LlamaModel model, SequenceBatch batch, NDManager m) {
    NDArray tokenLogProbs = LogProbs.tokenLogProbs(model, batch.idsArray(m), batch.maskArray(m));
    float[] mask = new float[batch.targetMask().length];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = batch.targetMask()[i] ? 1f : 0f;
    }
    return tokenLogProbs.mul(m.create(mask, new Shape(batch.batch(), batch.length() - 1))).sum(new int[] {1});
  }

  /** distinct-1 and distinct-2 of the step's samples. */
  static void addDistinct(StepMetrics metrics, BatchSampler.Samples samples, int weight) {
    for (int order = 1; order <= 2; order++) {
      metrics.add("distinct_" + order, samples.distinct(order), weight);
    }
  }

  private static double[] doubles(NDArray array) {
    float[] f = array.toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static float[] floats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
