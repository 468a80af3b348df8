package dev.divergence.merging.domain;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code t3_batch} (T³_B): one coefficient for the whole batch, one merge per batch. The paper
 * describes averaging the interpolation weights; whether lambda or JS is averaged is not confirmed,
 * so both are offered: {@code average = "lambda"} (default) takes mean_i lambda(JS_i),
 * {@code average = "js"} takes lambda(mean_i JS_i). As lambda is concave in JS >= 0 (a scaled
 * sigmoid on its concave half), the "js" variant is never below the "lambda" one.
 */
public record T3Batch(T3Parameters coefficient, Average average) implements MergeMethod {

  public static final String NAME = "t3_batch";

  public enum Average {
    LAMBDA("lambda"),
    JS("js");

    private final String apiName;

    Average(String apiName) {
      this.apiName = apiName;
    }

    public String apiName() {
      return apiName;
    }

    static Average parse(String value) {
      for (Average a : values()) {
        if (a.apiName.equals(value)) {
          return a;
        }
      }
      throw new InvalidArgumentException(MethodParameters.field("average"), "must be 'lambda' or 'js', got '" + value + "'");
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Object> parameters() {
    Map<String, Object> m = new LinkedHashMap<>(coefficient.asMap());
    m.put("average", average.apiName());
    return m;
  }

  @Override
  public MergePlan plan(ModelOutputs outputs) {
    double[] js = MergeMethod.jsPerSample(outputs, coefficient.logBase());
    double sum = 0;
    for (double d : js) {
      sum += average == Average.JS ? d : coefficient.lambda(d);
    }
    double mean = sum / js.length;
    double batchLambda = average == Average.JS ? coefficient.lambda(mean) : mean;
    double w = coefficient.lambdaWeights().generalistWeight(batchLambda);
    return new MergePlan(NAME, parameters(), MergeSpace.PARAMETERS_PER_BATCH, MergeMethod.filled(js.length, w),
        MergeMethod.filled(js.length, batchLambda), coefficient.lambdaWeights(), js, MergeMethod.unit(coefficient.logBase()),
        coefficient.effectiveRange());
  }
}
