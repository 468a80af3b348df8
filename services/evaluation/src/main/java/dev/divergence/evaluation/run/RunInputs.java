package dev.divergence.evaluation.run;

import dev.divergence.evaluation.run.RunSpec.PromptItem;
import java.util.List;

/** What a run evaluates on, resolved from its prompt source: prompts for language models, rows for classifiers. */
public record RunInputs(List<PromptItem> prompts, ClassificationData classification) {

  /** Labelled feature rows, each with the split it came from. */
  public record ClassificationData(float[][] features, int[] labels, String[] splits) {

    public int size() {
      return labels.length;
    }
  }

  public static RunInputs ofPrompts(List<PromptItem> prompts) {
    return new RunInputs(List.copyOf(prompts), null);
  }

  public static RunInputs ofClassification(ClassificationData data) {
    return new RunInputs(List.of(), data);
  }
}
