package dev.divergence.training.trainer.fdpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.JsonLines;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.job.FDpoSpec;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.Djl;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.PreferenceExample;
import dev.divergence.training.trainer.loss.FDivergence;
import dev.divergence.training.trainer.loss.FDpoLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * f-DPO on pairs longer than the context (policy and reference score the same cut tokens), the
 * held-out evaluation in batches and chunks against an independent per-sequence computation, and
 * the log-ratio metrics under their own names.
 */
class FDpoContextAndEvaluationTest {

  private static final double EPS = Math.ulp(1.0f);
  private static final int CONTEXT = 128; // tiny-lm's max_position_embeddings
  private static final int VOCAB = 259;

  private static String digits(int length, int seed) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append((char) ('0' + (i * 3 + seed * 7 + i * i) % 10));
    }
    return s.toString();
  }

  /**
   * Pairs of about 100 prompt bytes and 40 to 60 answer bytes (tokens of the byte-level model): every
   * sequence runs past the context of 128, and about 27 answer tokens of each stay inside it.
   */
  private static RegisteredDataset longPairs(Path dir) throws Exception {
    List<Map<String, Object>> records = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      records.add(JsonLines.record("prompt", digits(100, i) + "=", "chosen", digits(40 + i, i + 1),
          "rejected", digits(60 - i, i + 2)));
    }
    Path file = JsonLines.write(dir.resolve("long.jsonl"), records);
    return new RegisteredDataset("long", DatasetKind.PREFERENCE, file.toUri().toString(), 9L, false, "test", null);
  }

  @Test
  void pairsLongerThanTheContextAreCutTheSameForPolicyAndReference(@TempDir Path dir) throws Exception {
    double beta = 0.5;
    JobSpec spec = new JobSpec("f_dpo", "tiny-lm", "long", TestRun.budget(1, 4, 1e-3, 100), null,
        new FDpoSpec("tiny-lm", DivergenceChoice.of("reverse_kl"), beta, 0.0), null);
    TestRun run = new TestRun(spec, dir.resolve("checkpoints"), longPairs(dir));
    new FDpoTrainer().train(run);
    Map<String, Double> first = run.first();
    // the policy is the reference before the first update: every log-ratio is 0 up to float32
    // rounding. The policy's log-probs are float32 log-softmax sums, the reference's double sums of
    // the same float32 logits: per token at most (V + T) roundings of |log p|, summed over the
    // answer: (V + T) * eps * |sequence log-prob|, twice (both sides). Scoring the reference on
    // uncut sequences instead adds the log-probs of 15 to 35 more tokens (order 10 per sequence).
    for (String side : List.of("chosen", "rejected")) {
      double tolerance = 2 * (VOCAB + CONTEXT) * EPS * Math.abs(first.get("logps/" + side));
      assertThat(first.get("rewards/" + side)).as("rewards/%s", side).isCloseTo(0.0, within(beta * tolerance));
    }
  }

  @Test
  void logRatioMetricsAreNamedForWhatTheyAre(@TempDir Path dir) throws Exception {
    double beta = 0.5;
    JobSpec spec = new JobSpec("f_dpo", "tiny-lm-student", "prefs", TestRun.budget(2, 4, 1e-3, 100), null,
        new FDpoSpec("tiny-lm", DivergenceChoice.of("js"), beta, 0.0), null);
    TestRun run = new TestRun(spec, dir.resolve("checkpoints"), FDpoTrainerTest.smallPreferences(dir));
    new FDpoTrainer().train(run);
    for (Map<String, Double> step : run.reported) {
      assertThat(step).doesNotContainKey("kl").containsKeys("logratios/chosen", "logratios/rejected");
      // the mean log-ratio of the chosen answers is the implicit reward divided by beta (both means
      // over the same pairs of float32 differences: a few roundings of |reward|)
      for (String side : List.of("chosen", "rejected")) {
        double reward = step.get("rewards/" + side);
        assertThat(step.get("logratios/" + side)).as(side).isFinite()
            .isCloseTo(reward / beta, within(8 * EPS * Math.abs(reward / beta) + 1e-12));
      }
    }
    // a student policy against the tiny-lm reference: the log-ratios are far from 0
    assertThat(Math.abs(run.first().get("logratios/chosen"))).isGreaterThan(1);
  }

  /**
   * {@code evaluate} scores the held-out pairs in batches of the training batch size, each chunked
   * over positions: the same metrics as scoring each sequence alone through libs/model's
   * {@link LogProbs#tokenLogProbs} (no batching, no chunking) with the loss written out in double.
   */
  @Test
  void heldOutEvaluationInBatchesAndChunksEqualsPerSequenceScoring() {
    double beta = 0.3;
    List<PreferenceExample> heldOut = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      heldOut.add(new PreferenceExample(i + "*" + (i + 3) + "=", digits(2 + i, i), digits(9 - i, i + 5)));
    }
    Path policyDir = TestRun.builtIns().ensure("tiny-lm-student");
    Path referenceDir = TestRun.builtIns().ensure("tiny-lm");
    try (NDManager root = Djl.manager();
         TextTokenizer tokenizer = Tokenizers.load(policyDir);
         LlamaModel policy = LlamaModel.load(root, policyDir);
         LlamaModel reference = LlamaModel.load(root, referenceDir)) {
      LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
      FDpoLoss loss = new FDpoLoss(FDivergence.REVERSE_KL, 0.5, beta, 0.0);
      // 3 pairs per batch (7 pairs: batches of 3, 3, 1), 5 positions per chunk
      Map<String, Double> evaluated = FDpoTrainer.evaluate(policy, reference, loss, encoding, heldOut, CONTEXT, 3, 5);

      double lossSum = 0;
      double chosenSum = 0;
      double rejectedSum = 0;
      double logProbScale = 0;
      for (PreferenceExample e : heldOut) {
        double[] w = score(policy, reference, encoding, e.prompt(), e.chosen(), root);
        double[] l = score(policy, reference, encoding, e.prompt(), e.rejected(), root);
        double rw = w[0] - w[1];
        double rl = l[0] - l[1];
        double h = beta * (rw - rl);
        lossSum += Math.log1p(Math.exp(-h)); // -log sigma(h)
        chosenSum += beta * rw;
        rejectedSum += beta * rl;
        logProbScale = Math.max(logProbScale, Math.abs(w[0]) + Math.abs(w[1]) + Math.abs(l[0]) + Math.abs(l[1]));
      }
      int n = heldOut.size();
      // float32 log-probs of each token (V + T roundings of |log p|) summed over the answer, on all
      // four sequences of a pair: (V + T) * eps * the pair's total |log-prob|; the loss's derivative
      // in the margin is at most beta
      double tolerance = 2 * (VOCAB + CONTEXT) * EPS * logProbScale * beta;
      assertThat(evaluated.get("eval/rewards/chosen")).isCloseTo(chosenSum / n, within(tolerance));
      assertThat(evaluated.get("eval/rewards/rejected")).isCloseTo(rejectedSum / n, within(tolerance));
      assertThat(evaluated.get("eval/loss")).isCloseTo(lossSum / n, within(tolerance + 8 * EPS * lossSum / n));
      // the whole set in one batch and one chunk gives the same
      Map<String, Double> unchunked = FDpoTrainer.evaluate(policy, reference, loss, encoding, heldOut, CONTEXT, n, 4096);
      assertThat(unchunked.get("eval/loss")).isCloseTo(evaluated.get("eval/loss"), within(2 * tolerance));
    }
  }

  /** {policy, reference} log-prob of the answer's tokens (and EOS), each sequence scored alone. */
  private static double[] score(LlamaModel policy, LlamaModel reference, LmEncoding encoding, String prompt, String answer,
      NDManager root) {
    long[] full = encoding.full(prompt, answer);
    int start = encoding.prompt(prompt).length;
    double[] out = new double[2];
    LlamaModel[] models = {policy, reference};
    for (int k = 0; k < 2; k++) {
      try (NDManager m = root.newSubManager()) {
        long[] mask = new long[full.length];
        java.util.Arrays.fill(mask, 1);
        NDArray lp = LogProbs.tokenLogProbs(models[k], m.create(full, new Shape(1, full.length)), m.create(mask, new Shape(1, full.length)));
        float[] tokens = lp.toFloatArray(); // tokens[t] = log p(full[t+1] | full[..t])
        for (int t = start - 1; t < full.length - 1; t++) {
          out[k] += tokens[t];
        }
      }
    }
    return out;
  }
}
