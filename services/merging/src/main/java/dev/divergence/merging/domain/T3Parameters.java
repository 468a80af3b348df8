package dev.divergence.merging.domain;

import dev.divergence.math.LogBase;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * T³'s coefficient lambda(x) = lambda_min + (lambda_max - lambda_min) * sigmoid(gamma * JS(p_g(x) || p_e(x))).
 *
 * <p>Defaults: gamma 0.5 (the authors' README); lambda_min 0 and lambda_max 1 and natural log, i.e.
 * the published formula with no rescaling (the authors' values for these are not confirmed);
 * lambda weights the generalist, the stated intent being that the generalist takes over as the
 * models disagree. Because JS >= 0, sigmoid(gamma JS) >= 1/2: lambda never falls below the middle
 * of [lambda_min, lambda_max], and {@link #effectiveRange()} reports what the parameters can reach
 * (50 % to 58.7 % with the defaults). lambda_min and lambda_max may lie outside [0, 1] (e.g. -1 and 1
 * so that agreement gives lambda 0) as long as that effective range stays inside [0, 1].
 */
public record T3Parameters(double gamma, double lambdaMin, double lambdaMax, LogBase logBase, LambdaSide lambdaWeights) {

  public static final double DEFAULT_GAMMA = 0.5;
  public static final double DEFAULT_LAMBDA_MIN = 0.0;
  public static final double DEFAULT_LAMBDA_MAX = 1.0;
  public static final LogBase DEFAULT_LOG_BASE = LogBase.NATS;
  public static final LambdaSide DEFAULT_LAMBDA_WEIGHTS = LambdaSide.GENERALIST;

  public T3Parameters {
    MethodParameters.positive("gamma", gamma);
    if (lambdaMin > lambdaMax) {
      throw new InvalidArgumentException(MethodParameters.field("lambda_min"), "must not exceed lambda_max (" + lambdaMax + "), got " + lambdaMin);
    }
  }

  public static T3Parameters defaults() {
    return new T3Parameters(DEFAULT_GAMMA, DEFAULT_LAMBDA_MIN, DEFAULT_LAMBDA_MAX, DEFAULT_LOG_BASE, DEFAULT_LAMBDA_WEIGHTS);
  }

  static T3Parameters read(MethodParameters p) {
    String base = p.text("log_base", "nats");
    LogBase logBase = switch (base) {
      case "nats", "e" -> LogBase.NATS;
      case "bits", "2" -> LogBase.BITS;
      default -> throw new InvalidArgumentException(MethodParameters.field("log_base"), "must be 'nats' or 'bits', got '" + base + "'");
    };
    T3Parameters t = new T3Parameters(p.number("gamma", DEFAULT_GAMMA), p.number("lambda_min", DEFAULT_LAMBDA_MIN),
        p.number("lambda_max", DEFAULT_LAMBDA_MAX), logBase,
        LambdaSide.parse(MethodParameters.field("lambda_weights"), p.text("lambda_weights", DEFAULT_LAMBDA_WEIGHTS.apiName())));
    LambdaRange range = t.effectiveRange();
    if (range.min() < 0) {
      throw new InvalidArgumentException(MethodParameters.field("lambda_min"), "lets lambda reach " + range.min() + " < 0 (effective range " + range + ")");
    }
    if (range.max() > 1) {
      throw new InvalidArgumentException(MethodParameters.field("lambda_max"), "lets lambda reach " + range.max() + " > 1 (effective range " + range + ")");
    }
    return t;
  }

  /** The largest JS in this unit: log 2, i.e. ln 2 nats or 1 bit. */
  public double maxJs() {
    return logBase.fromNats(Math.log(2));
  }

  public double lambda(double js) {
    return lambdaMin + (lambdaMax - lambdaMin) * Probabilities.sigmoid(gamma * js);
  }

  /** [lambda(0), lambda(JS_max)]: the half of [lambda_min, lambda_max] above its middle that gamma lets lambda reach. */
  public LambdaRange effectiveRange() {
    return new LambdaRange(lambda(0), lambda(maxJs()));
  }

  Map<String, Object> asMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("gamma", gamma);
    m.put("lambda_min", lambdaMin);
    m.put("lambda_max", lambdaMax);
    m.put("log_base", MergeMethod.unit(logBase));
    m.put("lambda_weights", lambdaWeights.apiName());
    return m;
  }
}
