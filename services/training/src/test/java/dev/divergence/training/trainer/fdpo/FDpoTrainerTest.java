package dev.divergence.training.trainer.fdpo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.PreferenceExample;
import dev.divergence.training.trainer.data.SequenceBatch;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import dev.divergence.training.JsonLines;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.job.FDpoSpec;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.trainer.JobCancelledException;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.Weights;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.data.TrainingData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FDpoTrainerTest {

  private final FDpoTrainer trainer = new FDpoTrainer();

  static JobSpec spec(String divergence, Double alpha, long steps, int checkpointEvery) {
    return new JobSpec("f_dpo", "tiny-lm", "arithmetic-preferences", TestRun.budget(steps, 8, 3e-3, checkpointEvery), null,
        new FDpoSpec("tiny-lm", new DivergenceChoice(divergence, alpha, null), 0.5, 0.0), null);
  }

  /**
   * 18 arithmetic preference pairs uploaded as JSONL (16 train, 2 held out): 25 steps of 8 pairs
   * see each about 12 times, so the tiny model can learn the ranking of these pairs (it cannot
   * learn arithmetic in 25 steps, which is what fresh pairs of the built-in dataset would ask).
   */
  static RegisteredDataset smallPreferences(Path dir) throws Exception {
    Path file = JsonLines.write(dir.resolve("prefs.jsonl"), TrainingData.arithmeticPreferences(18, 99).stream()
        .map(e -> JsonLines.record("prompt", e.prompt(), "chosen", e.chosen(), "rejected", e.rejected())).toList());
    return new RegisteredDataset("prefs", DatasetKind.PREFERENCE, file.toUri().toString(), 18L, false, "test", null);
  }

  @ParameterizedTest
  @CsvSource({"reverse_kl,", "js,", "alpha,0.3", "kl,"})
  void preferenceAccuracyRises(String divergence, Double alpha, @TempDir Path checkpoints) throws Exception {
    TestRun run = new TestRun(spec(divergence, alpha, 25, 100), checkpoints.resolve("checkpoints"), smallPreferences(checkpoints));
    TrainingOutcome outcome = trainer.train(run);
    // policy = reference at the start: every implicit reward is 0 (up to float32 rounding between batchings)
    assertThat(outcome.finalMetrics().get("eval/rewards/margins_initial")).isCloseTo(0.0, within(1e-4));
    // on the pairs it trains on, the policy learns to rank chosen above rejected (eval/* on the 2
    // held-out pairs is reported, not asserted: the tiny model does not learn arithmetic here)
    assertThat(run.mean("rewards/accuracies", 5, true)).isGreaterThan(0.8).isGreaterThan(run.mean("rewards/accuracies", 5, false));
    assertThat(run.mean("rewards/margins", 5, true)).isGreaterThan(run.mean("rewards/margins", 5, false));
    assertThat(run.mean("loss", 5, true)).isLessThan(run.mean("loss", 5, false));
    assertThat(outcome.finalMetrics()).containsKeys("eval/rewards/accuracies", "eval/loss");
    assertThat(run.last()).containsKeys("loss", "grad_norm", "learning_rate", "tokens_per_second", "epoch", "rewards/chosen",
        "rewards/rejected", "rewards/margins", "rewards/accuracies", "f_scores/chosen", "f_scores/rejected", "f_scores/margins",
        "logps/chosen", "logps/rejected", "logratios/chosen", "logratios/rejected", "entropy", "ref_logps_cache_hit_rate");
    // policy = reference before the first update; training moves the policy away from it
    assertThat(run.first().get("logratios/chosen")).isCloseTo(0.0, within(1e-4));
    assertThat(run.last().get("logratios/chosen")).isNotCloseTo(0.0, within(1e-3));
  }

  @Test
  void resumedRunEndsWhereTheUninterruptedRunEnds(@TempDir Path uninterrupted, @TempDir Path interrupted) {
    TrainingOutcome whole = trainer.train(new TestRun(spec("js", null, 8, 4), uninterrupted));
    TestRun first = new TestRun(spec("js", null, 8, 4), interrupted).cancelAfter(5);
    assertThatThrownBy(() -> trainer.train(first)).isInstanceOf(JobCancelledException.class);
    TestRun second = new TestRun(spec("js", null, 8, 4), interrupted);
    TrainingOutcome resumed = trainer.train(second);
    assertThat(second.steps).containsExactly(5L, 6L, 7L, 8L);
    assertThat(Weights.maxAbsDifference(whole.modelDir(), resumed.modelDir())).isLessThan(1e-4);
  }

  /** Batches larger than one loss chunk take the chunked loss: the same trajectory as the unchunked one. */
  @Test
  void chunkedLossFollowsTheUnchunkedTrajectory(@TempDir Path dir) throws Exception {
    RegisteredDataset data = smallPreferences(dir);
    TestRun whole = new TestRun(spec("kl", null, 5, 100), dir.resolve("whole"), data);
    trainer.train(whole);
    TestRun chunked = new TestRun(spec("kl", null, 5, 100), dir.resolve("chunked"), data).lossChunkRows(16);
    trainer.train(chunked);
    for (int i = 0; i < whole.reported.size(); i++) {
      for (String metric : new String[] {"loss", "rewards/margins", "entropy", "grad_norm"}) {
        double expected = whole.reported.get(i).get(metric);
        // float32 sums in another order: agreement relative to the size (grad norms reach ~350)
        assertThat(chunked.reported.get(i).get(metric)).as("%s at step %d", metric, i + 1)
            .isCloseTo(expected, within(1e-4 * Math.max(1, Math.abs(expected))));
      }
    }
    assertThat(whole.reported.getFirst().get("loss")).isNotEqualTo(whole.reported.getLast().get("loss"));
  }

  /** The demo's f-DPO job (ops/local DemoJob): its spec and its pairs are resources of ops/local, read from there. */
  static final Path DEMO = Path.of("..", "..", "ops", "local", "src", "main", "resources", "demo");

  /**
   * The f-DPO job the demo submits (./platform demo), run through the trainer exactly as specified: it must
   * learn to rank its pairs. Before training the policy is the reference, every implicit reward is 0 and no
   * pair counts as ranked (accuracy 0 by ties). Afterwards, each of the n training pairs is ranked by the
   * trained policy's log-ratio margin [log pi/pi_ref](chosen) - [log pi/pi_ref](rejected) > 0, computed here from
   * the saved model and the reference's forward passes (libs/model), not from the trainer's metrics. A policy
   * no better than chance ranks each pair right with probability 1/2, so the number right is Binomial(n, 1/2);
   * the test asks for the smallest count k whose tail P(X >= k) is below 1 %, computed from n, not fitted.
   */
  @Test
  void theDemoJobLearnsToRankItsPreferencePairs(@TempDir Path dir) throws Exception {
    JsonMapper json = JsonMapper.builder().build();
    JobSpec spec = json.readValue(Files.readString(DEMO.resolve("f-dpo-job.json")), JobSpec.class).withDefaults();
    Path pairsFile = DEMO.resolve("f-dpo-arithmetic-preferences.jsonl").toAbsolutePath();
    List<PreferenceExample> pairs = new ArrayList<>();
    for (String line : Files.readAllLines(pairsFile)) {
      JsonNode record = json.readTree(line);
      pairs.add(new PreferenceExample(record.get("prompt").asString(), record.get("chosen").asString(), record.get("rejected").asString()));
    }
    RegisteredDataset uploaded = new RegisteredDataset(spec.dataset(), DatasetKind.PREFERENCE, pairsFile.toUri().toString(),
        (long) pairs.size(), false, "test", null);
    TestRun run = new TestRun(spec, dir.resolve("checkpoints"), uploaded);
    TrainingOutcome outcome = trainer.train(run);
    List<PreferenceExample> train = TrainingData.preference(uploaded).train();
    int n = train.size();
    int right = 0;
    Path referenceDir = TestRun.builtIns().ensure(spec.fDpo().referenceModel());
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(referenceDir);
         LlamaModel policy = LlamaModel.load(root, outcome.modelDir());
         LlamaModel reference = LlamaModel.load(root, referenceDir)) {
      LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
      for (PreferenceExample pair : train) {
        double margin = answerLogProb(policy, encoding, pair.prompt(), pair.chosen(), root)
            - answerLogProb(reference, encoding, pair.prompt(), pair.chosen(), root)
            - answerLogProb(policy, encoding, pair.prompt(), pair.rejected(), root)
            + answerLogProb(reference, encoding, pair.prompt(), pair.rejected(), root);
        right += margin > 0 ? 1 : 0;
        System.out.printf("demo pair %s %s > %s: margin %.4f%n", pair.prompt(), pair.chosen(), pair.rejected(), margin);
      }
    }
    int k = binomialHalfQuantile(n, 0.01);
    System.out.printf("demo f-DPO job: %d of %d training pairs ranked right (chance threshold at 1 %%: %d); rewards/accuracies by logged step %s%n",
        right, n, k, run.reported.stream().map(m -> m.get("rewards/accuracies")).toList());
    assertThat(n).isGreaterThanOrEqualTo(10);
    assertThat(right).isGreaterThanOrEqualTo(k);
    assertThat(outcome.finalMetrics().get("eval/rewards/accuracies_initial")).isZero();
  }

  /** The smallest k with P(X >= k) <= alpha for X ~ Binomial(n, 1/2). */
  static int binomialHalfQuantile(int n, double alpha) {
    double tail = 0;
    double choose = 1; // C(n, j), j from n down
    for (int j = n; j >= 0; j--) {
      if (tail + choose / Math.pow(2, n) > alpha) {
        return j + 1;
      }
      tail += choose / Math.pow(2, n);
      choose = choose * j / (n - j + 1);
    }
    return 0;
  }

  @Test
  void binomialQuantilesMatchHandComputedTails() {
    // n = 17: P(X >= 14) = (680 + 136 + 17 + 1) / 2^17 = 0.0064, P(X >= 13) = (2380 + 834) / 2^17 = 0.0245
    assertThat(binomialHalfQuantile(17, 0.01)).isEqualTo(14);
    // n = 10: P(X >= 9) = 11 / 1024 = 0.0107 > 0.01, P(X = 10) = 1 / 1024
    assertThat(binomialHalfQuantile(10, 0.01)).isEqualTo(10);
  }

  /** log pi(answer + EOS | BOS + prompt): the answer's tokens' log-probs under {@code model}, one sequence. */
  private static double answerLogProb(LlamaModel model, LmEncoding encoding, String prompt, String answer, NDManager root) {
    try (NDManager m = root.newSubManager()) {
      SequenceBatch batch = SequenceBatch.of(List.of(encoding.full(prompt, answer)), new int[] {encoding.prompt(prompt).length},
          model.config().maxPositionEmbeddings());
      float[] tokens = LogProbs.tokenLogProbs(model, batch.idsArray(m), batch.maskArray(m)).toFloatArray();
      double sum = 0;
      for (int t = 0; t < tokens.length; t++) {
        sum += batch.targetMask()[t] ? tokens[t] : 0;
      }
      return sum;
    }
  }
}
