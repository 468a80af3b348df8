package dev.divergence.training.trainer.distillation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.training.JsonLines;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.TeacherCacheSpec;
import dev.divergence.training.trainer.JobCancelledException;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.Weights;
import dev.divergence.model.assets.SyntheticCorpus;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DistillationTrainerTest {

  private final DistillationTrainer trainer = new DistillationTrainer();

  static JobSpec cancer(String divergence, long steps, int checkpointEvery) {
    return new JobSpec("distillation", "breast-cancer-mlp-student", "breast-cancer", TestRun.budget(steps, 32, 3e-3, checkpointEvery),
        new DistillationSpec("breast-cancer-mlp-teacher", DivergenceChoice.of(divergence), 1.0, 0.0, 0.0, false, 0, null), null, null);
  }

  /**
   * Forward, reverse and adaptive KL lower the held-out KL to the teacher; the others optimise
   * other objectives (JSD, a batch transport cost, a ranking) whose minimiser is the same but whose
   * path need not lower KL on held-out data in 40 steps, so for them the job's own divergence must fall.
   */
  @ParameterizedTest
  @CsvSource({"reverse_kl", "kl", "jsd", "akl", "sinkhorn", "pld"})
  void breastCancerStudentMovesTowardsItsTeacher(String divergence, @TempDir Path checkpoints) {
    TestRun run = new TestRun(cancer(divergence, 40, 100), checkpoints);
    TrainingOutcome outcome = trainer.train(run);
    if (!java.util.Set.of("kl", "reverse_kl", "akl").contains(divergence)) {
      assertThat(run.mean("divergence/" + divergence, 8, true)).isLessThan(run.mean("divergence/" + divergence, 8, false));
    } else {
      assertThat(outcome.finalMetrics().get("eval/divergence/kl")).isLessThan(outcome.finalMetrics().get("eval/divergence/kl_initial"));
    }
    assertThat(run.steps).hasSize(40).endsWith(40L);
    assertThat(run.first()).containsKeys("loss", "grad_norm", "learning_rate", "samples_per_second", "epoch",
        "divergence/" + divergence, "divergence/kl");
    assertThat(Files.isRegularFile(outcome.modelDir().resolve("model.safetensors"))).isTrue();
    assertThat(Files.isRegularFile(outcome.modelDir().resolve("config.json"))).isTrue();
    assertThat(run.checkpoints().latest()).hasValueSatisfying(c -> assertThat(c.step()).isEqualTo(40));
  }

  @Test
  void digitsCnnDistillationWithCrossEntropyMixLowersTheDivergence(@TempDir Path checkpoints) {
    JobSpec spec = new JobSpec("distillation", "digits-cnn-expert", "digits", TestRun.budget(25, 32, 3e-3, 100),
        new DistillationSpec("digits-cnn-generalist", new DivergenceChoice("jsd", null, 0.5), 1.0, 0.2, 0.0, false, 0, null), null, null);
    TestRun run = new TestRun(spec, checkpoints);
    TrainingOutcome outcome = trainer.train(run);
    assertThat(outcome.finalMetrics().get("eval/divergence/kl")).isLessThan(outcome.finalMetrics().get("eval/divergence/kl_initial"));
  }

  @Test
  void resumedRunEndsWhereTheUninterruptedRunEnds(@TempDir Path uninterrupted, @TempDir Path interrupted) {
    TrainingOutcome whole = trainer.train(new TestRun(cancer("reverse_kl", 20, 5), uninterrupted));
    TestRun first = new TestRun(cancer("reverse_kl", 20, 5), interrupted).cancelAfter(12);
    assertThatThrownBy(() -> trainer.train(first)).isInstanceOf(JobCancelledException.class);
    assertThat(first.checkpoints().latest()).hasValueSatisfying(c -> assertThat(c.step()).isEqualTo(10));
    TestRun second = new TestRun(cancer("reverse_kl", 20, 5), interrupted);
    TrainingOutcome resumed = trainer.train(second);
    assertThat(second.steps.getFirst()).isEqualTo(11L);
    assertThat(second.steps.getLast()).isEqualTo(20L);
    assertThat(Weights.maxAbsDifference(whole.modelDir(), resumed.modelDir())).isLessThan(1e-4);
    // and a different run really differs (the comparison can fail)
    TrainingOutcome other = trainer.train(new TestRun(cancer("kl", 20, 5), interrupted.resolve("other")));
    assertThat(Weights.maxAbsDifference(whole.modelDir(), other.modelDir())).isGreaterThan(1e-3);
  }

  @ParameterizedTest
  @CsvSource({"kl,0.0,false,0", "reverse_kl,0.5,true,0", "kl,0.0,false,16", "sinkhorn,0.0,false,0"})
  void languageModelStudentMovesTowardsTheTinyLm(String divergence, double onPolicy, boolean sequenceLevel, int topK,
      @TempDir Path checkpoints) {
    JobSpec spec = new JobSpec("distillation", "tiny-lm-student", "arithmetic", TestRun.budget(15, 4, 1e-2, 100),
        new DistillationSpec("tiny-lm", DivergenceChoice.of(divergence), 1.0, 0.0, onPolicy, sequenceLevel, topK, null), null, null);
    TestRun run = new TestRun(spec, checkpoints);
    TrainingOutcome outcome = trainer.train(run);
    assertThat(outcome.finalMetrics().get("eval/divergence/kl")).isLessThan(0.8 * outcome.finalMetrics().get("eval/divergence/kl_initial"));
    assertThat(run.first()).containsKeys("loss", "grad_norm", "learning_rate", "tokens_per_second", "divergence/" + divergence,
        "divergence/kl", "generated_fraction");
    double generated = run.reported.stream().mapToDouble(m -> m.get("generated_fraction")).average().orElseThrow();
    if (sequenceLevel || onPolicy > 0) {
      // every micro-batch is generated: by the student (on-policy draws) or else by the teacher (sequence-level KD)
      assertThat(generated).isEqualTo(1.0);
      double studentShare = run.reported.stream().mapToDouble(m -> m.get("on_policy_fraction")).average().orElseThrow();
      assertThat(studentShare).isBetween(0.1, 0.9);
    } else {
      assertThat(generated).isZero();
    }
    assertThat(Files.isRegularFile(outcome.modelDir().resolve("tokenizer.json"))).isTrue();
  }

  static JobSpec lm(String divergence, int topK, TeacherCacheSpec cache, long steps) {
    return new JobSpec("distillation", "tiny-lm-student", "small-arithmetic", TestRun.budget(steps, 4, 1e-2, 100),
        new DistillationSpec("tiny-lm", DivergenceChoice.of(divergence), 2.0, 0.0, 0.0, false, topK, cache), null, null);
  }

  /** 160 arithmetic lines uploaded as a text dataset (the cache covers a whole dataset: keep it small). */
  static RegisteredDataset smallArithmetic(Path dir) throws IOException {
    Path file = dir.resolve("small-arithmetic.jsonl");
    JsonLines.write(file, SyntheticCorpus.lines(160, 3).stream().map(line -> JsonLines.record("text", line)).toList());
    return new RegisteredDataset("small-arithmetic", DatasetKind.TEXT, file.toUri().toString(), 160L, false, "test", null);
  }

  /**
   * Training on the teacher-logit cache follows the live top-k path step for step (same seed, same
   * k and temperature); a second attempt of the job reuses the cache instead of running the teacher.
   */
  @Test
  void teacherCacheGivesTheLiveTopKLossTrajectory(@TempDir Path live, @TempDir Path cached, @TempDir Path data) throws IOException {
    RegisteredDataset dataset = smallArithmetic(data);
    TestRun liveRun = new TestRun(lm("js", 8, null, 6), live, dataset);
    trainer.train(liveRun);
    TestRun cachedRun = new TestRun(lm("js", 0, new TeacherCacheSpec(8), 6), cached, dataset);
    TrainingOutcome outcome = trainer.train(cachedRun);
    assertThat(cachedRun.logs).anyMatch(l -> l.startsWith("building the teacher-logit cache"));
    assertThat(cachedRun.reported).hasSameSizeAs(liveRun.reported);
    for (int i = 0; i < liveRun.reported.size(); i++) {
      assertThat(cachedRun.reported.get(i).get("loss")).as("loss at step %d", i + 1)
          .isCloseTo(liveRun.reported.get(i).get("loss"), org.assertj.core.data.Offset.offset(1e-5));
      assertThat(cachedRun.reported.get(i).get("divergence/js")).isCloseTo(liveRun.reported.get(i).get("divergence/js"),
          org.assertj.core.data.Offset.offset(1e-5));
    }
    assertThat(liveRun.reported.getFirst().get("loss")).isNotEqualTo(liveRun.reported.getLast().get("loss"));
    assertThat(outcome.finalMetrics()).containsKeys("eval/divergence/kl_topk", "eval/divergence/kl_topk_initial");
    assertThat(cachedRun.first()).containsKey("divergence/kl_topk");

    TestRun secondAttempt = new TestRun(lm("js", 0, new TeacherCacheSpec(8), 8), cached, dataset);
    trainer.train(secondAttempt);
    assertThat(secondAttempt.logs).anyMatch(l -> l.startsWith("teacher-logit cache reused"))
        .noneMatch(l -> l.startsWith("building"));
    assertThat(secondAttempt.steps.getFirst()).isEqualTo(7L);
  }
}
