package dev.divergence.training.trainer.rlvr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.RlvrSpec;
import dev.divergence.training.trainer.JobCancelledException;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import java.nio.file.Files;
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
    // step 1 samples the reference itself: pi = pi_ref on the rollout tokens, k3 = 0 (up to float32 rounding)
    assertThat(run.first().get("kl")).isLessThan(1e-3);
    // pass@k >= pass@1 for every prompt
    assertThat(outcome.finalMetrics().get("pass@4")).isGreaterThanOrEqualTo(outcome.finalMetrics().get("pass@1"));
    assertThat(outcome.modelDir().resolve("model.safetensors")).exists();
  }
}
