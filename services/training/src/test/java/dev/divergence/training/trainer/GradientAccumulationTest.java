package dev.divergence.training.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.training.JsonLines;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.job.FDpoSpec;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.distillation.DistillationTrainer;
import dev.divergence.training.trainer.fdpo.FDpoTrainer;
import dev.divergence.training.trainer.supervised.SupervisedTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k micro-batches equal one k-times larger batch in every trainer, also when the micro-batches hold
 * different numbers of counted tokens: the first step of (batch 3, accumulation 2) reports the loss
 * and the metrics of (batch 6, accumulation 1) on the same six examples (the first epoch's
 * permutation, in the same order). The examples' token counts are 1 + powers of two, so no split of
 * them into two halves of three has equal token counts, and a mean of per-micro-batch means (or the
 * last micro-batch's metrics) differs from the step's mean by a large fraction.
 *
 * <p>Tolerance: both runs do the same float32 arithmetic on the same real tokens in batches of other
 * shapes (padding is masked), so they differ only by the rounding of reductions done in another
 * order or blocking. A reduction of n terms errs by at most n * eps * sum|terms|; the longest chain of
 * reductions behind a token's loss is the forward pass and the loss (hidden size, keys, feed-forward
 * width, vocabulary: 64 + 64 + 160 + 259 for tiny-lm, less for the student) and the mean over the
 * step's tokens (at most 80 here), so n < 700; the losses and divergences are means of non-negative
 * token terms, so sum|terms| is the value itself: relative tolerance 700 * eps = 8.3e-5. Rewards and
 * log-probs are signed sums over an answer's tokens: there sum|terms| is the mean absolute token
 * log-prob times the tokens, bounded by |logps/chosen| + |logps/rejected| (all log-probs are negative).
 */
class GradientAccumulationTest {

  private static final double EPS = Math.ulp(1.0f);
  private static final double RELATIVE = 700 * EPS;
  /** Completion lengths in bytes (tokens of the byte-level tiny models): counted tokens = length + 1 (EOS). */
  private static final int[] LENGTHS = {1, 2, 4, 8, 16, 32, 5};

  private static Budget budget(int batch, int accumulation) {
    return new Budget(1L, batch, 1e-3, 0, "constant", 100, 42L, accumulation, 1.0, 1);
  }

  private static String text(int length, int seed) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append((char) ('0' + (i * 7 + seed) % 10));
    }
    return s.toString();
  }

  /** Seven records, the last held out: six training examples. */
  private static RegisteredDataset texts(Path dir) throws Exception {
    List<Map<String, Object>> records = new ArrayList<>();
    for (int i = 0; i < LENGTHS.length; i++) {
      records.add(JsonLines.record("text", text(LENGTHS[i], i)));
    }
    Path file = JsonLines.write(dir.resolve("lengths.jsonl"), records);
    return new RegisteredDataset("lengths", DatasetKind.TEXT, file.toUri().toString(), (long) LENGTHS.length, false, "test", null);
  }

  private static RegisteredDataset pairs(Path dir) throws Exception {
    List<Map<String, Object>> records = new ArrayList<>();
    for (int i = 0; i < LENGTHS.length; i++) {
      records.add(JsonLines.record("prompt", i + "+" + i + "=", "chosen", text(LENGTHS[i], i),
          "rejected", text(LENGTHS[(i + 3) % LENGTHS.length], i + 1)));
    }
    Path file = JsonLines.write(dir.resolve("pairs.jsonl"), records);
    return new RegisteredDataset("pairs", DatasetKind.PREFERENCE, file.toUri().toString(), (long) LENGTHS.length, false, "test", null);
  }

  private static Map<String, Double> firstStep(Trainer trainer, JobSpec spec, Path dir, RegisteredDataset data) {
    TestRun run = new TestRun(spec, dir, data);
    trainer.train(run);
    return run.first();
  }

  private static void assertSameMean(Map<String, Double> accumulated, Map<String, Double> whole, String metric, double tolerance) {
    assertThat(accumulated).containsKey(metric);
    System.out.printf("%s: accumulated %.9g, one batch %.9g, difference %.3g, tolerance %.3g%n", metric, accumulated.get(metric),
        whole.get(metric), Math.abs(accumulated.get(metric) - whole.get(metric)), tolerance);
    assertThat(accumulated.get(metric)).as(metric).isFinite().isCloseTo(whole.get(metric), within(tolerance));
  }

  @Test
  void supervisedLanguageModel(@TempDir Path dir) throws Exception {
    RegisteredDataset data = texts(dir);
    Map<String, Double> accumulated = firstStep(new SupervisedTrainer(),
        new JobSpec("supervised", "tiny-lm", "lengths", budget(3, 2), null, null, null), dir.resolve("a"), data);
    Map<String, Double> whole = firstStep(new SupervisedTrainer(),
        new JobSpec("supervised", "tiny-lm", "lengths", budget(6, 1), null, null, null), dir.resolve("b"), data);
    assertSameMean(accumulated, whole, "loss", RELATIVE * whole.get("loss"));
  }

  @Test
  void languageModelDistillation(@TempDir Path dir) throws Exception {
    RegisteredDataset data = texts(dir);
    DistillationSpec method = new DistillationSpec("tiny-lm", DivergenceChoice.of("js"), 1.0, 0.0, 0.0, false, 0, null);
    Map<String, Double> accumulated = firstStep(new DistillationTrainer(),
        new JobSpec("distillation", "tiny-lm-student", "lengths", budget(3, 2), method, null, null), dir.resolve("a"), data);
    Map<String, Double> whole = firstStep(new DistillationTrainer(),
        new JobSpec("distillation", "tiny-lm-student", "lengths", budget(6, 1), method, null, null), dir.resolve("b"), data);
    for (String metric : List.of("loss", "divergence/js", "divergence/kl")) {
      assertSameMean(accumulated, whole, metric, RELATIVE * whole.get(metric));
    }
  }

  @Test
  void fDpo(@TempDir Path dir) throws Exception {
    RegisteredDataset data = pairs(dir);
    FDpoSpec method = new FDpoSpec("tiny-lm", DivergenceChoice.of("reverse_kl"), 0.5, 0.0);
    // a policy other than the reference, so the log-ratios and rewards are not all 0
    Map<String, Double> accumulated = firstStep(new FDpoTrainer(),
        new JobSpec("f_dpo", "tiny-lm-student", "pairs", budget(3, 2), null, method, null), dir.resolve("a"), data);
    Map<String, Double> whole = firstStep(new FDpoTrainer(),
        new JobSpec("f_dpo", "tiny-lm-student", "pairs", budget(6, 1), null, method, null), dir.resolve("b"), data);
    double logProbScale = Math.abs(whole.get("logps/chosen")) + Math.abs(whole.get("logps/rejected"));
    assertSameMean(accumulated, whole, "entropy", RELATIVE * whole.get("entropy"));
    for (String metric : List.of("logps/chosen", "logps/rejected")) {
      assertSameMean(accumulated, whole, metric, RELATIVE * logProbScale);
    }
    // rewards are beta * (policy - reference): the reference's log-probs add the same size again
    for (String metric : List.of("rewards/chosen", "rewards/rejected", "rewards/margins")) {
      assertSameMean(accumulated, whole, metric, 0.5 * 2 * RELATIVE * 2 * logProbScale);
    }
    // the loss, log sigma of beta times the margin: its derivative is at most beta
    assertSameMean(accumulated, whole, "loss", 0.5 * 2 * RELATIVE * 2 * logProbScale + RELATIVE * whole.get("loss"));
    assertThat(accumulated.get("rewards/accuracies")).isEqualTo(whole.get("rewards/accuracies"));
  }
}
