package dev.divergence.training.trainer.supervised;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.training.JsonLines;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.SupervisedSpec;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.TrainingOutcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisedTrainerTest {

  private final SupervisedTrainer trainer = new SupervisedTrainer();

  @Test
  void languageModelLearnsAnUploadedPromptCompletionDataset(@TempDir Path dir) throws Exception {
    List<Map<String, Object>> records = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      records.add(JsonLines.record("prompt", i % 10 + "+1=", "completion", String.valueOf(i % 10 + 1)));
    }
    Path file = JsonLines.write(dir.resolve("add-one.jsonl"), records);
    RegisteredDataset uploaded = new RegisteredDataset("add-one", DatasetKind.TEXT, file.toUri().toString(), 40L, false, "test", null);
    JobSpec spec = new JobSpec("supervised", "tiny-lm-student", "add-one", TestRun.budget(25, 8, 1e-2, 100), null, null, new SupervisedSpec());
    TestRun run = new TestRun(spec, dir.resolve("checkpoints"), uploaded);
    TrainingOutcome outcome = trainer.train(run);
    assertThat(outcome.finalMetrics().get("eval/loss")).isLessThan(0.7 * outcome.finalMetrics().get("eval/loss_initial"));
    assertThat(run.last()).containsKeys("loss", "grad_norm", "learning_rate", "tokens_per_second", "epoch");
  }

  @Test
  void classifierCrossEntropyKeepsItsAccuracy(@TempDir Path dir) {
    JobSpec spec = new JobSpec("supervised", "breast-cancer-mlp-student", "breast-cancer", TestRun.budget(20, 32, 1e-3, 100), null, null, null);
    TestRun run = new TestRun(spec, dir);
    TrainingOutcome outcome = trainer.train(run);
    assertThat(outcome.finalMetrics().get("eval/accuracy")).isGreaterThan(0.8);
    assertThat(run.mean("loss", 5, true)).isLessThan(run.mean("loss", 5, false) + 0.05);
    assertThat(run.last()).containsKey("samples_per_second");
  }
}
