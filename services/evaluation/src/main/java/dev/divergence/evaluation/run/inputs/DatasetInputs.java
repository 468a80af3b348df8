package dev.divergence.evaluation.run.inputs;

import dev.divergence.evaluation.datasets.ClassificationRows;
import dev.divergence.evaluation.datasets.DatasetClient;
import dev.divergence.evaluation.datasets.TextRecord;
import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * A run's inputs from a dataset of the training service's registry: classification rows for the
 * classifier suite, otherwise prompts with answers from a text dataset (records with a prompt, or
 * whole arithmetic lines "a+b=c" split at "="; other whole texts have no question and are skipped).
 */
@Component
public class DatasetInputs {

  /** Records read when a run sets no limit: a classifier's whole split, a language model's first prompts. */
  static final int DEFAULT_TEXT_LIMIT = 256;

  private final DatasetClient datasets;

  public DatasetInputs(DatasetClient datasets) {
    this.datasets = datasets;
  }

  public RunInputs read(RunSpec spec) {
    RunSpec.PromptSource source = spec.prompts();
    String split = source.split() == null ? "" : source.split();
    if (spec.has(Suite.CLASSIFIER)) {
      ClassificationRows rows = datasets.readClassification(source.dataset(), split, source.limit() == null ? 0 : source.limit());
      if (rows.size() == 0) {
        throw new InvalidArgumentException("spec.prompts.dataset", "'" + source.dataset() + "' has no records in split '"
            + split + "'");
      }
      return RunInputs.ofClassification(new RunInputs.ClassificationData(rows.features(), rows.labels(), rows.splits()));
    }
    int limit = source.limit() == null ? DEFAULT_TEXT_LIMIT : source.limit();
    List<PromptItem> prompts = new ArrayList<>();
    // read more than the limit: whole texts without a question are skipped
    for (TextRecord record : datasets.readTexts(source.dataset(), split, 0)) {
      record.promptAndAnswer().ifPresent(pa -> prompts.add(new PromptItem(pa.prompt(), pa.answer(), null, null)));
      if (prompts.size() == limit) {
        break;
      }
    }
    if (prompts.isEmpty()) {
      throw new InvalidArgumentException("spec.prompts.dataset", "'" + source.dataset()
          + "' has no record with a prompt (or an arithmetic line to split into one)");
    }
    return RunInputs.ofPrompts(prompts);
  }
}
