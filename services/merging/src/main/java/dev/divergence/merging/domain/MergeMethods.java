package dev.divergence.merging.domain;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.List;
import java.util.Map;

/** The method catalogue: a method by API name from its parameters (defaults for those not given). */
public final class MergeMethods {

  public static final List<String> NAMES = List.of(T3.NAME, T3Batch.NAME, SingleModel.GENERALIST, SingleModel.EXPERT,
      OutputEnsemble.NAME, WeightAverage.NAME, TaskArithmetic.NAME, DaWin.NAME, ConfidenceInterpolation.NAME);

  private MergeMethods() {
  }

  /** @throws InvalidArgumentException naming {@code method} or {@code parameters.<name>} */
  public static MergeMethod create(String name, Map<String, ?> parameters) {
    MethodParameters p = new MethodParameters(parameters);
    MergeMethod method = switch (name == null ? "" : name) {
      case T3.NAME -> new T3(T3Parameters.read(p));
      case T3Batch.NAME -> {
        T3Parameters coefficient = T3Parameters.read(p);
        yield new T3Batch(coefficient, T3Batch.Average.parse(p.text("average", T3Batch.Average.LAMBDA.apiName())));
      }
      case SingleModel.GENERALIST -> new SingleModel(LambdaSide.GENERALIST);
      case SingleModel.EXPERT -> new SingleModel(LambdaSide.EXPERT);
      case OutputEnsemble.NAME -> OutputEnsemble.read(p);
      case WeightAverage.NAME -> WeightAverage.read(p);
      case TaskArithmetic.NAME -> TaskArithmetic.read(p);
      case DaWin.NAME -> DaWin.read(p);
      case ConfidenceInterpolation.NAME -> ConfidenceInterpolation.read(p);
      default -> throw new InvalidArgumentException("method", "unknown merge method '" + name + "'; one of " + NAMES);
    };
    p.requireAllUsed();
    return method;
  }

  /** A WiSE-FT alpha sweep: {@code parameters.alphas} (default 0, 0.1, ..., 1). */
  public static List<WeightAverage> alphaSweep(Map<String, ?> parameters) {
    MethodParameters p = new MethodParameters(parameters);
    List<WeightAverage> sweep = WeightAverage.sweep(p.numbers("alphas", WeightAverage.DEFAULT_SWEEP));
    p.requireAllUsed();
    return sweep;
  }
}
