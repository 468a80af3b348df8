package dev.divergence.training.trainer.distillation;

import dev.divergence.training.job.Algorithm;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.trainer.Trainer;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.TrainingRun;
import org.springframework.stereotype.Component;

/** Teacher → student distillation: classifiers on classification data, language models on text. */
@Component
public class DistillationTrainer implements Trainer {

  @Override
  public Algorithm algorithm() {
    return Algorithm.DISTILLATION;
  }

  @Override
  public TrainingOutcome train(TrainingRun run) {
    return run.dataset().kind() == DatasetKind.CLASSIFICATION
        ? ClassifierDistillation.train(run)
        : LanguageModelDistillation.train(run);
  }
}
