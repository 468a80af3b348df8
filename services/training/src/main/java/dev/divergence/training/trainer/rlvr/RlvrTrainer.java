package dev.divergence.training.trainer.rlvr;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.math.evaluation.PassAtK;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Algorithm;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.RlvrSpec;
import dev.divergence.training.registry.DatasetKind;
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
import dev.divergence.training.trainer.fdpg.BatchSampler;
import dev.divergence.training.trainer.rl.ClippedPolicyLoss;
import dev.divergence.training.trainer.rl.GroupAdvantages;
import dev.divergence.training.trainer.rl.KlPenalty;
import dev.divergence.training.trainer.rl.RehearsalDivergence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.springframework.stereotype.Component;

/**
 * RL with verifiable rewards (ALGORITHMS.md "RL with verifiable rewards + f-divergence rehearsal
 * (DPH-RL)"). A rollout batch takes {@code promptsPerStep} prompts of the training schedule and
 * samples {@code groupSize} answers to each from the current policy with batched KV-cache sampling
 * ({@link BatchSampler}); the checker scores them 0 or 1, {@link GroupAdvantages} normalises them
 * per prompt, and the policy's token log-probs at that moment are kept as pi_old. Then
 * {@code updatesPerBatch} optimiser steps (each one budget step) minimise {@link ClippedPolicyLoss}
 * on the batch, plus, by regulariser:
 * <ul>
 *   <li>{@code kl}: coefficient * the mean over answers of the mean over their tokens of
 *       {@link KlPenalty} (log pi - log pi_ref on the rollout tokens, pi_ref the job's model, frozen);</li>
 *   <li>{@code rehearsal}: coefficient * the same mean of {@link RehearsalDivergence} f(pi / pi_ref)
 *       on {@code promptsPerStep} entries of the rehearsal set (cycled), whose tokens and reference
 *       log-probs were stored once ({@link RlvrState}): no reference forward during training.</li>
 * </ul>
 * The rehearsal set: before the first step the reference answers every prompt the schedule will use
 * {@code referenceSamples} times; prompts solved every time become rehearsal prompts (one correct
 * answer kept), the others are the exploration prompts the rollouts cycle through.
 *
 * <p>Log-probs of pi_old, pi and pi_ref are at temperature 1 whatever the sampling temperature (the
 * temperature only shapes exploration, as in TRL's GRPO at temperature 1). A job resumed between
 * the updates of one batch samples that batch again from the resumed weights (with the same seeds):
 * with the default {@code updatesPerBatch} 1 resume is exact.
 *
 * <p>Metrics per step: {@code reward} (mean over the batch's answers), {@code skipped} (share of
 * groups whose answers all scored the same: advantage 0, nothing to learn), {@code clip_ratio},
 * {@code entropy} (mean -log pi_old per answer token, a sampled estimate of the per-token entropy),
 * {@code kl} or {@code rehearsal} (the regulariser's term before its coefficient),
 * {@code answer_tokens}, and every {@code evaluation.every} steps (before that step's update, so
 * step 1 measures the reference) and at the end {@code pass@1} and {@code pass@k} on the held-out
 * prompts, each answered {@code evaluation.samples} times (the unbiased estimator
 * 1 - C(n-c, k) / C(n, k), {@link PassAtK}).
 */
@Component
public class RlvrTrainer implements Trainer {

  private static final int PURPOSE_ROLLOUT = 51;
  private static final int PURPOSE_EVAL = 52;
  private static final int PURPOSE_REFERENCE = 53;
  private static final long SCHEDULE_SALT = 0x51a7e5L;
  /** Operand range of the built-in arithmetic task: the tiny LM's corpus's (libs/model SyntheticCorpus). */
  static final int ARITHMETIC_RANGE = 50;
  /** Operand range of the built-in tiny-addition task: a, b in [0, 3), answers 0..4. */
  static final int TINY_ADDITION_RANGE = 3;

  @Override
  public Algorithm algorithm() {
    return Algorithm.RLVR;
  }

  /** A prompt and its expected answer. */
  record Problem(String prompt, String answer) {}

  /** The rollouts of one batch, what its updates need. */
  private record Rollout(long batchIndex, SequenceBatch batch, float[] oldLogProbs, float[] referenceLogProbs,
      double[] advantages, double reward, double skipped, double entropy, double answerTokens) {}

  @Override
  public TrainingOutcome train(TrainingRun run) {
    JobSpec spec = run.spec();
    RlvrSpec method = spec.rlvr();
    Budget budget = spec.budget();
    RlvrSpec.Regulariser regulariser = method.regulariser();
    boolean kl = "kl".equals(regulariser.kind());
    boolean rehearsal = "rehearsal".equals(regulariser.kind());
    AnswerChecker checker = AnswerChecker.of(method.checker());
    RlvrSpec.Evaluation evaluation = method.evaluation();
    List<Problem>[] parts = problems(run, method, budget.seed());
    List<Problem> pool = parts[0];
    List<Problem> heldOut = parts[1];
    if (pool.isEmpty() || heldOut.isEmpty()) {
      throw new IllegalArgumentException("spec.dataset: no prompts to train or evaluate on (" + pool.size() + " training, "
          + heldOut.size() + " held-out)");
    }
    int groupSize = method.groupSize();
    int promptsPerStep = method.promptsPerStep();
    int updates = method.updatesPerBatch();
    long batches = (budget.maxSteps() + updates - 1) / updates;
    int scheduled = (int) Math.min(pool.size(), batches * promptsPerStep);
    DjlRuntime.configure(run.dataDir().resolve("djl"));
    Path baseDir = run.modelDir("spec.model", spec.model());
    TrainingLoop loop = new TrainingLoop(run);
    ClippedPolicyLoss policyLoss = new ClippedPolicyLoss(method.clipEpsilonLow(), method.clipEpsilonHigh());
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(baseDir);
         LlamaModel policy = LlamaModel.load(root, loop.weightsDir(baseDir));
         Optimisation optimisation = new Optimisation(policy.parameters(), budget)) {
      LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
      int context = policy.config().maxPositionEmbeddings();
      LlamaModel reference = kl || (rehearsal && !haveRehearsalSet(loop, run)) ? LlamaModel.load(root, baseDir) : null;
      RlvrState rehearsalSet = null;
      List<Integer> exploration = new ArrayList<>();
      if (rehearsal) {
        Optional<Path> stored = loop.resumeDir().filter(RlvrState::existsIn)
            .or(() -> Optional.of(run.jobDir()).filter(RlvrState::existsIn));
        if (stored.isPresent()) {
          rehearsalSet = RlvrState.read(stored.get());
          run.log("rehearsal set read from " + stored.get().getFileName() + ": " + rehearsalSet.rehearsal().size() + " of "
              + rehearsalSet.scanned() + " prompts");
        } else {
          rehearsalSet = buildRehearsalSet(reference, root, encoding, tokenizer, checker, pool, scheduled, method, context,
              budget.seed());
          rehearsalSet.write(run.jobDir());
          run.log("rehearsal set: the reference solved " + rehearsalSet.rehearsal().size() + " of " + scheduled + " prompts "
              + regulariser.referenceSamples() + "/" + regulariser.referenceSamples() + " times");
        }
        Set<Integer> solved = new HashSet<>();
        rehearsalSet.rehearsal().forEach(e -> solved.add(e.promptIndex()));
        for (int i = 0; i < scheduled; i++) {
          if (!solved.contains(i)) {
            exploration.add(i);
          }
        }
        if (exploration.isEmpty()) {
          run.log("the reference solves every scheduled prompt: they are explored as well");
          for (int i = 0; i < scheduled; i++) {
            exploration.add(i);
          }
        }
        RlvrState kept = rehearsalSet;
        loop.withExtraState(kept::write);
      } else {
        for (int i = 0; i < scheduled; i++) {
          exploration.add(i);
        }
      }
      RlvrState rehearsalState = rehearsalSet;
      RehearsalDivergence rehearsalDivergence = rehearsal ? RehearsalDivergence.of(regulariser.divergence()) : null;
      double alpha = regulariser.alpha() == null ? RlvrSpec.DEFAULT_ALPHA : regulariser.alpha();
      KlPenalty klPenalty = kl ? KlPenalty.of(regulariser.estimator()) : null;
      double coefficient = regulariser.coefficient() == null ? 0 : regulariser.coefficient();
      Rollout[] current = new Rollout[1];
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        StepMetrics metrics = new StepMetrics();
        if (step % evaluation.every() == 0) {
          metrics.addAll(evaluate(policy, root, encoding, tokenizer, checker, heldOut, method, budget.seed()), 1);
        }
        long batchIndex = step / updates;
        if (current[0] == null || current[0].batchIndex() != batchIndex) {
          List<Problem> prompts = new ArrayList<>(promptsPerStep);
          for (int j = 0; j < promptsPerStep; j++) {
            prompts.add(pool.get(exploration.get((int) ((batchIndex * promptsPerStep + j) % exploration.size()))));
          }
          current[0] = rollout(policy, reference, root, encoding, tokenizer, checker, prompts, method, context,
              budget.seed(), batchIndex, kl);
        }
        Rollout r = current[0];
        int answers = r.batch().batch();
        try (NDManager m = root.newSubManager()) {
          SequenceBatch batch = r.batch();
          NDArray mask = m.create(toFloats(batch.targetMask()), new Shape(answers, batch.length() - 1));
          NDArray old = m.create(r.oldLogProbs(), new Shape(answers, batch.length() - 1));
          NDArray advantages = m.create(toFloats(r.advantages()));
          optimisation.backward(() -> {
            NDArray logPolicy = LogProbs.tokenLogProbs(policy, batch.idsArray(m), batch.maskArray(m));
            ClippedPolicyLoss.Result clipped = policyLoss.compute(logPolicy, old, advantages, mask);
            metrics.add("clip_ratio", clipped.clipRatio(), 1);
            NDArray loss = clipped.loss();
            if (kl) {
              NDArray ref = m.create(r.referenceLogProbs(), new Shape(answers, batch.length() - 1));
              NDArray term = perAnswerMean(klPenalty.perToken(logPolicy, ref), mask);
              metrics.add("kl", term.getFloat(), 1);
              loss = loss.add(term.mul((float) coefficient));
            }
            if (rehearsal && !rehearsalState.rehearsal().isEmpty()) {
              NDArray term = rehearsalTerm(policy, m, rehearsalState, rehearsalDivergence, alpha, step, promptsPerStep, context);
              metrics.add("rehearsal", term.getFloat(), 1);
              loss = loss.add(term.mul((float) coefficient));
            }
            return loss;
          }, answers);
        }
        metrics.add("reward", r.reward(), 1);
        metrics.add("skipped", r.skipped(), 1);
        metrics.add("entropy", r.entropy(), 1);
        metrics.add("answer_tokens", r.answerTokens(), 1);
        if (rehearsal) {
          metrics.add("rehearsal_set_size", rehearsalState.rehearsal().size(), 1);
        }
        return new TrainingLoop.StepOutput(metrics.means(), answers, r.batch().realTokens());
      }, dir -> ModelFolders.save(dir, d -> {
        policy.save(d);
        ModelFolders.copyTokenizer(baseDir, d);
      }), 0, "tokens");
      Path out = run.workDir().resolve("model");
      ModelFolders.save(out, d -> {
        policy.save(d);
        ModelFolders.copyTokenizer(baseDir, d);
      });
      if (reference != null) {
        reference.close();
      }
      Map<String, Double> finals = new LinkedHashMap<>(last);
      // the trained policy's pass@k, after the last update
      finals.putAll(evaluate(policy, root, encoding, tokenizer, checker, heldOut, method, budget.seed()));
      return new TrainingOutcome(out, finals);
    }
  }

  private static boolean haveRehearsalSet(TrainingLoop loop, TrainingRun run) {
    return loop.resumeDir().filter(RlvrState::existsIn).isPresent() || RlvrState.existsIn(run.jobDir());
  }

  /**
   * The training prompts in schedule order (a seeded shuffle) and the held-out prompts. Arithmetic:
   * every "a+b=" with a, b in [0, {@value #ARITHMETIC_RANGE}), the first {@code evaluation.prompts}
   * of the shuffle held out (at most half); tiny-addition: likewise every "a+b=" with a, b in
   * [0, {@value #TINY_ADDITION_RANGE}) (9 prompts: at most 4 held out). Dataset: each training record's generation prompt (its prompt, or a
   * whole text up to its first '=' or ' ') with the rest of the record as the answer; the held-out
   * part's first {@code evaluation.prompts} records are the evaluation prompts.
   */
  @SuppressWarnings("unchecked")
  static List<Problem>[] problems(TrainingRun run, RlvrSpec method, long seed) {
    int heldOutCount = method.evaluation().prompts();
    SplittableRandom random = new SplittableRandom(seed ^ SCHEDULE_SALT);
    if (RlvrSpec.TASK_ARITHMETIC.equals(method.task())) {
      List<Problem> all = new ArrayList<>();
      for (int a = 0; a < ARITHMETIC_RANGE; a++) {
        for (int b = 0; b < ARITHMETIC_RANGE; b++) {
          all.add(new Problem(a + "+" + b + "=", Integer.toString(a + b)));
        }
      }
      shuffle(all, random);
      int cut = Math.min(heldOutCount, all.size() / 2);
      return new List[] {new ArrayList<>(all.subList(cut, all.size())), new ArrayList<>(all.subList(0, cut))};
    }
    if (RlvrSpec.TASK_TINY_ADDITION.equals(method.task())) {
      List<Problem> all = new ArrayList<>();
      for (int a = 0; a < TINY_ADDITION_RANGE; a++) {
        for (int b = 0; b < TINY_ADDITION_RANGE; b++) {
          all.add(new Problem(a + "+" + b + "=", Integer.toString(a + b)));
        }
      }
      shuffle(all, random);
      int cut = Math.min(heldOutCount, all.size() / 2);
      return new List[] {new ArrayList<>(all.subList(cut, all.size())), new ArrayList<>(all.subList(0, cut))};
    }
    TrainingData.Split<TextExample> split = run.dataset().kind() == DatasetKind.VERIFIABLE
        ? TrainingData.verifiable(run.dataset(), method.promptFieldOrDefault(), method.answerFieldOrDefault())
        : TrainingData.text(run.dataset());
    List<Problem> train = new ArrayList<>(split.train().stream().map(RlvrTrainer::problem).toList());
    shuffle(train, random);
    List<Problem> heldOut = split.heldOut().stream().map(RlvrTrainer::problem).limit(heldOutCount).toList();
    return new List[] {train, heldOut};
  }

  private static Problem problem(TextExample example) {
    String prompt = example.generationPrompt();
    return new Problem(prompt, example.fullText().substring(prompt.length()));
  }

  private static <T> void shuffle(List<T> list, SplittableRandom random) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  private static long[] seeds(SplittableRandom random, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = random.nextLong();
    }
    return out;
  }

  private static String answerText(TextTokenizer tokenizer, BatchSampler.Samples samples, int i) {
    return tokenizer.decode(Arrays.copyOf(samples.tokens().get(i), samples.lengths()[i]));
  }

  /** Samples G answers per prompt, scores them, and keeps pi_old's (and with kl pi_ref's) token log-probs. */
  private static Rollout rollout(LlamaModel policy, LlamaModel reference, NDManager root, LmEncoding encoding,
      TextTokenizer tokenizer, AnswerChecker checker, List<Problem> prompts, RlvrSpec method, int context, long seed,
      long batchIndex, boolean withReference) {
    int g = method.groupSize();
    SplittableRandom random = StepRandom.at(seed, batchIndex, PURPOSE_ROLLOUT);
    List<long[]> sequences = new ArrayList<>();
    List<Integer> starts = new ArrayList<>();
    double[] rewards = new double[prompts.size() * g];
    double answerTokens = 0;
    try (NDManager m = root.newSubManager()) {
      for (int p = 0; p < prompts.size(); p++) {
        long[] prompt = encoding.prompt(prompts.get(p).prompt());
        BatchSampler.Samples samples = BatchSampler.sample(policy, m, prompt, seeds(random, g), method.maxNewTokens(),
            method.temperature());
        for (int i = 0; i < g; i++) {
          sequences.add(LmEncoding.concat(prompt, samples.tokens().get(i)));
          starts.add(prompt.length);
          rewards[p * g + i] = checker.correct(answerText(tokenizer, samples, i), prompts.get(p).answer()) ? 1 : 0;
          answerTokens += samples.tokens().get(i).length;
        }
      }
      SequenceBatch batch = SequenceBatch.of(sequences, starts.stream().mapToInt(Integer::intValue).toArray(), context);
      float[] old = LogProbs.tokenLogProbs(policy, batch.idsArray(m), batch.maskArray(m)).toFloatArray();
      float[] ref = withReference ? LogProbs.tokenLogProbs(reference, batch.idsArray(m), batch.maskArray(m)).toFloatArray() : null;
      double[] advantages = GroupAdvantages.compute(rewards, g);
      int flat = 0;
      for (int p = 0; p < prompts.size(); p++) {
        boolean allSame = true;
        for (int i = 1; i < g; i++) {
          allSame &= rewards[p * g + i] == rewards[p * g];
        }
        flat += allSame ? 1 : 0;
      }
      double negLogSum = 0;
      long counted = 0;
      for (int t = 0; t < old.length; t++) {
        if (batch.targetMask()[t]) {
          negLogSum -= old[t];
          counted++;
        }
      }
      return new Rollout(batchIndex, batch, old, ref, advantages, Arrays.stream(rewards).average().orElse(0),
          (double) flat / prompts.size(), counted == 0 ? 0 : negLogSum / counted, answerTokens / rewards.length);
    }
  }

  /** The mean over answers of the mean over each answer's tokens of a per-token term [B, T-1]. */
  private static NDArray perAnswerMean(NDArray perToken, NDArray mask) {
    return perToken.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}).maximum(1f)).mean();
  }

  /** coefficient-free rehearsal term on {@code count} entries of the rehearsal set, cycled by step. */
  private static NDArray rehearsalTerm(LlamaModel policy, NDManager m, RlvrState set, RehearsalDivergence divergence,
      double alpha, long step, int count, int context) {
    int n = Math.min(count, set.rehearsal().size());
    List<long[]> sequences = new ArrayList<>(n);
    int[] starts = new int[n];
    List<RlvrState.Entry> entries = new ArrayList<>(n);
    for (int j = 0; j < n; j++) {
      RlvrState.Entry e = set.rehearsal().get((int) ((step * n + j) % set.rehearsal().size()));
      entries.add(e);
      sequences.add(LmEncoding.concat(e.prompt(), e.response()));
      starts[j] = e.prompt().length;
    }
    SequenceBatch batch = SequenceBatch.of(sequences, starts, context);
    float[] reference = scatter(batch, entries);
    Shape shape = new Shape(n, batch.length() - 1);
    NDArray mask = m.create(toFloats(batch.targetMask()), shape);
    NDArray logPolicy = LogProbs.tokenLogProbs(policy, batch.idsArray(m), batch.maskArray(m));
    return perAnswerMean(divergence.perToken(logPolicy, m.create(reference, shape), alpha), mask);
  }

  /** The stored reference log-probs placed at each row's counted positions, in order (0 elsewhere). */
  private static float[] scatter(SequenceBatch batch, List<RlvrState.Entry> entries) {
    int width = batch.length() - 1;
    float[] out = new float[batch.batch() * width];
    for (int b = 0; b < batch.batch(); b++) {
      float[] stored = entries.get(b).referenceLogProbs();
      int k = 0;
      for (int t = 0; t < width; t++) {
        if (batch.targetMask()[b * width + t] && k < stored.length) {
          out[b * width + t] = stored[k++];
        }
      }
    }
    return out;
  }

  /** The reference answers each of the first {@code scheduled} prompts k times; those it always solves form the set. */
  static RlvrState buildRehearsalSet(LlamaModel reference, NDManager root, LmEncoding encoding, TextTokenizer tokenizer,
      AnswerChecker checker, List<Problem> pool, int scheduled, RlvrSpec method, int context, long seed) {
    int k = method.regulariser().referenceSamples();
    SplittableRandom random = StepRandom.at(seed, -1, PURPOSE_REFERENCE);
    List<RlvrState.Entry> entries = new ArrayList<>();
    for (int index = 0; index < scheduled; index++) {
      Problem problem = pool.get(index);
      long[] prompt = encoding.prompt(problem.prompt());
      try (NDManager m = root.newSubManager()) {
        // the reference's own distribution (temperature 1): the rehearsal term's expectation is over pi_ref
        BatchSampler.Samples samples = BatchSampler.sample(reference, m, prompt, seeds(random, k), method.maxNewTokens(), 1.0);
        boolean all = true;
        for (int i = 0; i < k && all; i++) {
          all = checker.correct(answerText(tokenizer, samples, i), problem.answer());
        }
        if (!all) {
          continue;
        }
        long[] response = samples.tokens().get(0);
        SequenceBatch batch = SequenceBatch.of(List.of(LmEncoding.concat(prompt, response)), new int[] {prompt.length}, context);
        float[] logProbs = LogProbs.tokenLogProbs(reference, batch.idsArray(m), batch.maskArray(m)).toFloatArray();
        float[] kept = new float[batch.countedTokens()];
        int j = 0;
        for (int t = 0; t < logProbs.length; t++) {
          if (batch.targetMask()[t]) {
            kept[j++] = logProbs[t];
          }
        }
        entries.add(new RlvrState.Entry(index, prompt, response, kept));
      }
    }
    return new RlvrState(scheduled, entries);
  }

  /** pass@1 and pass@k of the policy on the held-out prompts, the same seeds at every evaluation. */
  static Map<String, Double> evaluate(LlamaModel policy, NDManager root, LmEncoding encoding, TextTokenizer tokenizer,
      AnswerChecker checker, List<Problem> heldOut, RlvrSpec method, long seed) {
    RlvrSpec.Evaluation evaluation = method.evaluation();
    int n = evaluation.samples();
    int[] ns = new int[heldOut.size()];
    int[] cs = new int[heldOut.size()];
    SplittableRandom random = StepRandom.at(seed, -2, PURPOSE_EVAL);
    for (int p = 0; p < heldOut.size(); p++) {
      try (NDManager m = root.newSubManager()) {
        BatchSampler.Samples samples = BatchSampler.sample(policy, m, encoding.prompt(heldOut.get(p).prompt()), seeds(random, n),
            method.maxNewTokens(), method.temperature());
        ns[p] = n;
        for (int i = 0; i < n; i++) {
          cs[p] += checker.correct(answerText(tokenizer, samples, i), heldOut.get(p).answer()) ? 1 : 0;
        }
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("pass@1", PassAtK.mean(ns, cs, 1));
    out.put("pass@" + evaluation.k(), PassAtK.mean(ns, cs, evaluation.k()));
    return out;
  }

  private static float[] toFloats(boolean[] mask) {
    float[] out = new float[mask.length];
    for (int i = 0; i < mask.length; i++) {
      out[i] = mask[i] ? 1f : 0f;
    }
    return out;
  }

  private static float[] toFloats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
