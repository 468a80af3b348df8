package dev.divergence.evaluation.run.inputs;

import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpec.PromptSource;
import org.springframework.stereotype.Component;

/** Turns a run's prompt source into the prompts or rows it evaluates on. */
@Component
public class InputResolver {

  private final DatasetInputs datasets;

  public InputResolver(DatasetInputs datasets) {
    this.datasets = datasets;
  }

  public RunInputs resolve(RunSpec spec) {
    PromptSource source = spec.prompts();
    if (source.builtIn() != null) {
      return RunInputs.ofPrompts(BuiltInPromptSets.find(source.builtIn()).orElseThrow().generate(source.limit(), source.seed()));
    }
    if (source.items() != null) {
      return RunInputs.ofPrompts(source.limit() == null || source.limit() >= source.items().size() ? source.items()
          : source.items().subList(0, source.limit()));
    }
    return datasets.read(spec);
  }
}
