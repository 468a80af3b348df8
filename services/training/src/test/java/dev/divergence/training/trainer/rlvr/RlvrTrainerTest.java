package dev.divergence.training.trainer.rlvr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.training.JsonLines;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.RlvrSpec;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.JobCancelledException;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RlvrTrainerTest {

  private final RlvrTrainer trainer = new RlvrTrainer();

  static JobSpec spec(RlvrSpec method, long steps, int checkpointEvery) {
    return new JobSpec("rlvr", "tiny-lm", "arithmetic", TestRun.budget(steps, 8, 3e-3, checkpointEvery), null, null, null, null,
        method);
  }

  static RlvrSpec arithmetic(RlvrSpec.Regulariser regulariser, int updatesPerBatch) {
    return new RlvrSpec(4, 2, 4, null, null, null, updatesPerBatch, null, null, regulariser,
        new RlvrSpec.Evaluation(4, 4, 4, 2));
  }

  private static void assertFinite(TestRun run) {
    for (Map<String, Double> step : run.reported) {
      step.forEach((metric, value) -> assertThat(value).as(metric).isFinite());
    }
  }

  @Test
  void arithmeticWithKlRunsAndReportsTheRlvrMetrics(@TempDir Path dir) {
    TestRun run = new TestRun(spec(arithmetic(RlvrSpec.Regulariser.kl("k3", 0.04), 2), 4, 100), dir.resolve("c"));
    TrainingOutcome outcome = trainer.train(run);
    System.out.printf("rlvr arithmetic reward by step %s, pass@1 %s%n", run.reported.stream().map(m -> m.get("reward")).toList(),
        run.reported.stream().map(m -> m.get("pass@1")).toList());
    assertFinite(run);
    assertThat(run.reported).hasSize(4);
    for (Map<String, Double> step : run.reported) {
      assertThat(step).containsKeys("reward", "skipped", "clip_ratio", "entropy", "kl", "answer_tokens", "loss");
      assertThat(step.get("reward")).isBetween(0.0, 1.0);
      assertThat(step.get("clip_ratio")).isBetween(0.0, 1.0);
    }
    // evaluated every 2 steps before the update: steps 1 and 3
    assertThat(run.reported.get(0)).containsKeys("pass@1", "pass@4");
    assertThat(run.reported.get(1)).doesNotContainKey("pass@1");
    assertThat(run.reported.get(2)).containsKeys("pass@1", "pass@4");
    // step 1 samples the reference itself: pi = pi_ref on the rollout tokens, k3 = 0 up to float32 rounding
    // of two forwards: per token |d| <= (V + T) eps |log p| = (259 + 12) * 1.19e-7 * 10 = 3.2e-4 (as in
    // FDpgTrainerTest), k3 ~ d^2 / 2 <= 5.2e-8; the bound 1e-3 also holds for k1 = d itself
    assertThat(run.first().get("kl")).isLessThan(1e-3);
    // pass@k >= pass@1 for every prompt
    assertThat(outcome.finalMetrics().get("pass@4")).isGreaterThanOrEqualTo(outcome.finalMetrics().get("pass@1"));
    assertThat(outcome.modelDir().resolve("model.safetensors")).exists();
  }

  /**
   * The tiny LM rarely solves "a+b=" (its arithmetic answers are near random: the reward of the
   * built-in task stays 0 in a few steps), so the learning tests use a dataset whose answer it can
   * hit: "a+b=" prompts (a, b in [0, 20)) whose answer is the one-character text "4", checked
   * exactly, with one-token answers. About 1 in 4 of the tiny LM's first characters after "=" is a 4.
   */
  static RegisteredDataset answerFour(Path dir) throws IOException {
    Path file = dir.resolve("answer-four.jsonl");
    List<Map<String, Object>> records = new ArrayList<>();
    for (int a = 0; a < 20; a++) {
      for (int b = 0; b < 20; b++) {
        records.add(JsonLines.record("prompt", a + "+" + b + "=", "completion", "4"));
      }
    }
    JsonLines.write(file, records);
    return new RegisteredDataset("answer-four", DatasetKind.TEXT, file.toUri().toString(), (long) records.size(), false, "test", null);
  }

  static JobSpec answerFourSpec(RlvrSpec.Regulariser regulariser, long steps, int checkpointEvery) {
    RlvrSpec method = new RlvrSpec(8, 4, 1, null, null, null, 1, RlvrSpec.TASK_DATASET, RlvrSpec.CHECKER_EXACT, regulariser,
        new RlvrSpec.Evaluation(8, 8, 8, 10));
    return new JobSpec("rlvr", "tiny-lm", "answer-four", TestRun.budget(steps, 8, 3e-3, checkpointEvery), null, null, null, null,
        method);
  }

  /**
   * No regulariser, 30 steps of 4 prompts x 8 answers: the reward (a fraction of 32 answers, standard
   * error at most 0.5 / sqrt(32) = 0.088; a mean of 5 steps at most 0.04; the difference of two such
   * means at most 0.056) rises by more than 0.15 (2.7 standard errors), and held-out pass@1 with it.
   */
  @Test
  void rewardOfAnAnswerTheModelCanHitRises(@TempDir Path dir) throws IOException {
    TestRun run = new TestRun(answerFourSpec(null, 30, 100), dir.resolve("c"), answerFour(dir));
    TrainingOutcome outcome = trainer.train(run);
    double before = run.mean("reward", 5, false);
    double after = run.mean("reward", 5, true);
    System.out.printf("rlvr answer-four reward %.3f -> %.3f; by step %s; pass@1 %s -> %s%n", before, after,
        run.reported.stream().map(m -> m.get("reward")).toList(), run.first().get("pass@1"), outcome.finalMetrics().get("pass@1"));
    assertFinite(run);
    assertThat(after).isGreaterThan(before + 0.15);
    assertThat(outcome.finalMetrics().get("pass@1")).isGreaterThan(run.first().get("pass@1"));
  }

  static JobSpec builtInSpec(String task, long steps, double rate) {
    RlvrSpec method = new RlvrSpec(8, 4, 1, null, null, null, 1, task, null, null, new RlvrSpec.Evaluation(8, 8, 8, 10));
    return new JobSpec("rlvr", "tiny-lm", "arithmetic", TestRun.budget(steps, 8, rate, 100), null, null, null, null, method);
  }

  /** tiny-addition: the 9 prompts "a+b=" with a, b in {0, 1, 2}, 4 held out (at most half), answers their sums. */
  @Test
  void tinyAdditionHoldsTheNinePromptsWithTheirSums() {
    RlvrSpec method = builtInSpec(RlvrSpec.TASK_TINY_ADDITION, 10, 3e-3).rlvr().withDefaults();
    List<RlvrTrainer.Problem>[] parts = RlvrTrainer.problems(null, method, 42L);
    assertThat(parts[1]).hasSize(4);
    List<String> all = new ArrayList<>();
    for (List<RlvrTrainer.Problem> part : parts) {
      for (RlvrTrainer.Problem p : part) {
        String[] operands = p.prompt().substring(0, p.prompt().length() - 1).split("\\+");
        assertThat(p.answer()).as(p.prompt()).isEqualTo(Integer.toString(Integer.parseInt(operands[0]) + Integer.parseInt(operands[1])));
        all.add(p.prompt());
      }
    }
    assertThat(all).containsExactlyInAnyOrder("0+0=", "0+1=", "0+2=", "1+0=", "1+1=", "1+2=", "2+0=", "2+1=", "2+2=");
  }

  /**
   * The tiny LM does not learn the built-in arithmetic task (40 steps of 32 answers at rate 3e-3: one
   * right answer in 1280, every other group skipped), but it learns tiny-addition: one-token answers,
   * 60 steps of 4 prompts x 8 answers at rate 3e-3 (seed 42). The mean reward of 10 steps is a
   * fraction of 320 answers, standard error at most 0.5 / sqrt(320) = 0.028; the difference of the
   * first and last ten steps' means has standard error at most 0.04; the test asks a rise of 0.2
   * (5 standard errors; measured 0.09 to 0.68). Held-out pass@1 (4 prompts x 8 answers never trained
   * on) rises with it (measured 0.125 to 0.5).
   */
  @Test
  void rewardOfTheTinyAdditionTaskRises(@TempDir Path dir) {
    TestRun run = new TestRun(builtInSpec(RlvrSpec.TASK_TINY_ADDITION, 60, 3e-3), dir.resolve("c"));
    TrainingOutcome outcome = trainer.train(run);
    double before = run.mean("reward", 10, false);
    double after = run.mean("reward", 10, true);
    System.out.printf("rlvr tiny-addition reward %.3f -> %.3f; by step %s; pass@1 %s -> %s%n", before, after,
        run.reported.stream().map(m -> m.get("reward")).toList(), run.first().get("pass@1"), outcome.finalMetrics().get("pass@1"));
    assertFinite(run);
    assertThat(after).isGreaterThan(before + 0.2);
    assertThat(outcome.finalMetrics().get("pass@1")).isGreaterThan(run.first().get("pass@1"));
  }

  /**
   * JS rehearsal with 1 reference sample per prompt: the reference solves about 1 in 4 of the 32
   * prompts of 8 steps 1/1 (an empty set has probability about 0.75^32 = 1e-4); the set is written once to the
   * job folder and into each checkpoint. A run cancelled after step 2 resumes from the checkpoint:
   * it reads the set instead of sampling the reference again and follows the uninterrupted run's
   * rewards (same seeds, same weights).
   */
  @Test
  void rehearsalSetIsBuiltOnceAndRestoredOnResume(@TempDir Path dir) throws IOException {
    RegisteredDataset data = answerFour(dir);
    RlvrSpec.Regulariser rehearsal = RlvrSpec.Regulariser.rehearsal("js", 0.1, 1);
    TestRun whole = new TestRun(answerFourSpec(rehearsal, 8, 2), dir.resolve("whole"), data);
    trainer.train(whole);
    assertFinite(whole);
    Path jobDir = dir.resolve("whole-job");
    assertThat(jobDir.resolve(RlvrState.FILE)).exists();
    RlvrState set = RlvrState.read(jobDir);
    System.out.printf("rehearsal set %d of %d; rehearsal term by step %s%n", set.rehearsal().size(), set.scanned(),
        whole.reported.stream().map(m -> m.get("rehearsal")).toList());
    assertThat(set.scanned()).isEqualTo(32);
    assertThat(set.rehearsal()).isNotEmpty();
    for (RlvrState.Entry e : set.rehearsal()) {
      assertThat(e.referenceLogProbs()).hasSize(e.response().length);
    }
    // the first step's policy is the reference: f(1) = 0 with zero slope on the stored tokens, so two
    // forwards' float32 rounding (|l| <= 3.2e-4 per token, see above) leaves f ~ f''(1) l^2 / 2 <= 1e-7
    assertThat(whole.first().get("rehearsal")).isLessThan(1e-4);
    assertThat(whole.last().get("rehearsal_set_size")).isEqualTo((double) set.rehearsal().size());

    TestRun first = new TestRun(answerFourSpec(rehearsal, 8, 2), dir.resolve("split"), data).cancelAfter(3);
    assertThatThrownBy(() -> trainer.train(first)).isInstanceOf(JobCancelledException.class);
    TestRun second = new TestRun(answerFourSpec(rehearsal, 8, 2), dir.resolve("split"), data);
    trainer.train(second);
    assertThat(second.logs).anyMatch(line -> line.startsWith("rehearsal set read from"));
    assertThat(RlvrState.read(dir.resolve("split-job")).rehearsal()).hasSize(set.rehearsal().size());
    List<Double> resumed = second.reported.stream().map(m -> m.get("reward")).toList();
    List<Double> uninterrupted = whole.reported.subList(whole.reported.size() - resumed.size(), whole.reported.size()).stream()
        .map(m -> m.get("reward")).toList();
    assertThat(resumed).isEqualTo(uninterrupted);
  }
}
