package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import java.util.Map;

/** {@code generalist} / {@code expert}: one model alone (lambda = 1 on its side), the two reference baselines. */
public record SingleModel(LambdaSide model) implements MergeMethod {

  public static final String GENERALIST = "generalist";
  public static final String EXPERT = "expert";

  @Override
  public String name() {
    return model.apiName();
  }

  @Override
  public Map<String, Object> parameters() {
    return Map.of();
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    int n = outputs.size();
    return new MergePlan(name(), parameters(), MergeSpace.PARAMETERS_PER_BATCH,
        MergeMethod.filled(n, model.generalistWeight(1)), MergeMethod.filled(n, 1), model,
        MergeMethod.jsPerSample(outputs, LogBase.NATS), "nats", new LambdaRange(1, 1));
  }
}
