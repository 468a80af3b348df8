package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import java.util.Map;

/**
 * {@code task_arithmetic}: theta = theta_g + scale (theta_e - theta_g), the expert's task vector added
 * to the generalist. With a single task vector and scale in [0, 1] this is WiSE-FT at alpha = scale;
 * it differs by allowing extrapolation, scale in [0, 2]. Default 0.5 (the middle of the usual
 * 0.3-1.0 range of single-task scaling; tune it with a sweep).
 */
public record TaskArithmetic(double scale) implements MergeMethod {

  public static final String NAME = "task_arithmetic";
  public static final double DEFAULT_SCALE = 0.5;
  public static final double MAX_SCALE = 2.0;

  public TaskArithmetic {
    if (!(scale >= 0 && scale <= MAX_SCALE)) {
      throw new dev.divergence.platform.errors.InvalidArgumentException(MethodParameters.field("scale"), "must be in [0, " + MAX_SCALE + "], got " + scale);
    }
  }

  static TaskArithmetic read(MethodParameters p) {
    return new TaskArithmetic(p.number("scale", DEFAULT_SCALE));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Object> parameters() {
    return Map.of("scale", scale);
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    int n = outputs.size();
    return new MergePlan(NAME, parameters(), MergeSpace.PARAMETERS_PER_BATCH, MergeMethod.filled(n, 1 - scale),
        MergeMethod.filled(n, scale), LambdaSide.EXPERT, MergeMethod.jsPerSample(outputs, LogBase.NATS), "nats",
        new LambdaRange(scale, scale));
  }
}
