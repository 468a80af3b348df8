package dev.divergence.merging.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.merging.domain.MergeMethod;
import dev.divergence.merging.domain.MergeMetrics;
import dev.divergence.merging.domain.MergePlan;
import dev.divergence.merging.domain.ModelOutputs;
import dev.divergence.merging.domain.Probabilities;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.model.classifier.InterpolationPair;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.Objects;

/**
 * A generalist and an expert of one architecture, checked on construction, and the execution of
 * merge plans on them. The pair does not own the classifiers: the caller closes them.
 *
 * <p>Construction also takes the two models' {@link InterpolationPair} (libs/model: both parameter
 * sets concatenated per layer for the per-sample mixed pass, flat copies for merging once), made on
 * the first pairing of the two classifier objects and cached on the generalist, so a pair made per
 * request costs nothing after the first. The classifiers' parameters must not change once paired.
 */
public final class ModelPair {

  private final Classifier generalist;
  private final Classifier expert;
  private final InterpolationPair interpolation;

  public ModelPair(Classifier generalist, Classifier expert) {
    requireCompatible(generalist, expert);
    this.generalist = generalist;
    this.expert = expert;
    this.interpolation = generalist.interpolationWith(expert);
  }

  public ClassifierSpec spec() {
    return generalist.spec();
  }

  /**
   * Rejects an expert whose architecture differs from the generalist's, naming the first differing
   * config field ({@code expert.model_type}, {@code expert.input_dim}, {@code expert.hidden_sizes},
   * {@code expert.num_classes}, {@code expert.image_size}, {@code expert.num_channels}) or tensor
   * ({@code expert.parameters.<name>}). Class names are labels only and may differ.
   */
  public static void requireCompatible(Classifier generalist, Classifier expert) {
    ClassifierSpec g = generalist.spec();
    ClassifierSpec e = expert.spec();
    requireEqual("model_type", g.modelType(), e.modelType());
    requireEqual("input_dim", g.inputDim(), e.inputDim());
    requireEqual("hidden_sizes", g.hidden(), e.hidden());
    requireEqual("num_classes", g.numClasses(), e.numClasses());
    requireEqual("image_size", g.imageSide(), e.imageSide());
    requireEqual("num_channels", g.imageChannels(), e.imageChannels());
    try {
      ParameterMerging.requireSameLayout(generalist.parameters(), expert.parameters(), "the expert");
    } catch (InvalidModelException ex) {
      throw new InvalidArgumentException("expert.parameters." + ex.item(), ex.getMessage());
    }
  }

  private static void requireEqual(String field, Object generalistValue, Object expertValue) {
    if (!Objects.equals(generalistValue, expertValue)) {
      throw new InvalidArgumentException("expert." + field, "is " + expertValue + ", the generalist's " + generalistValue
          + ": the two models must share one architecture");
    }
  }

  /**
   * Runs both models on {@code inputs} [B][input_dim] (in one pass side by side), lets {@code method}
   * plan the merge from their logits and evaluates the merged model: per-sample plans in one pass with both parameter sets,
   * per-batch plans with one merged parameter set, output plans by mixing the probabilities.
   *
   * @throws InvalidArgumentException naming {@code inputs}, {@code inputs[i]} or {@code inputs[i][j]}
   */
  public MergedPrediction predict(NDManager manager, MergeMethod method, float[][] inputs) {
    float[] flat = flatten(inputs, spec().inputDim());
    try (NDManager m = manager.newSubManager()) {
      NDArray x = m.create(flat, new Shape(inputs.length, spec().inputDim()));
      // both models' logits in one pass (InterpolationPair#bothLogits: one forward's native ops), A = generalist
      double[][] both = rows(interpolation.bothLogits(x));
      int classes = spec().numClasses();
      double[][] generalistLogits = new double[both.length][];
      double[][] expertLogits = new double[both.length][];
      for (int i = 0; i < both.length; i++) {
        generalistLogits[i] = java.util.Arrays.copyOfRange(both[i], 0, classes);
        expertLogits[i] = java.util.Arrays.copyOfRange(both[i], classes, 2 * classes);
      }
      MergePlan plan = method.plan(new ModelOutputs(generalistLogits, expertLogits));
      double[][] logits = switch (plan.space()) {
        case PARAMETERS_PER_SAMPLE -> rows(perSampleLogits(x, plan.generalistWeight()));
        case PARAMETERS_PER_BATCH -> {
          double w = plan.generalistWeight()[0];
          yield w == 1 ? generalistLogits : w == 0 ? expertLogits : rows(perBatchLogits(m, x, w));
        }
        case OUTPUTS -> mixedLogProbabilities(generalistLogits, expertLogits, plan.generalistWeight());
      };
      double[][] probabilities = new double[logits.length][];
      for (int i = 0; i < logits.length; i++) {
        probabilities[i] = Probabilities.softmax(logits[i], 1);
      }
      return new MergedPrediction(plan, logits, probabilities);
    }
  }

  /** Default evaluation batch: T³_B's coefficient depends on the batch, so its size is part of the result. */
  public static final int DEFAULT_EVALUATION_BATCH = 64;

  /**
   * Predicts {@code inputs} in consecutive batches of {@code batchSize} (the last may be smaller)
   * and scores the merged predictions against {@code labels}.
   *
   * @throws InvalidArgumentException naming {@code batchSize}, {@code labels}, {@code labels[i]} or the inputs
   */
  public MergeMetrics evaluate(NDManager manager, MergeMethod method, float[][] inputs, int[] labels, int batchSize) {
    return evaluateWithLambda(manager, method, inputs, labels, batchSize).metrics();
  }

  /** The metrics of {@link #evaluate} and the per-sample lambda they summarise (experiments report its quantiles). */
  public record Evaluation(MergeMetrics metrics, double[] lambda) {}

  /** {@link #evaluate}, keeping each sample's lambda. */
  public Evaluation evaluateWithLambda(NDManager manager, MergeMethod method, float[][] inputs, int[] labels, int batchSize) {
    if (batchSize < 1) {
      throw new InvalidArgumentException("batchSize", "must be at least 1, got " + batchSize);
    }
    flatten(inputs, spec().inputDim());
    if (labels == null || labels.length != inputs.length) {
      throw new InvalidArgumentException("labels", "has " + (labels == null ? 0 : labels.length) + " entries for " + inputs.length + " inputs");
    }
    int n = inputs.length;
    double[][] probabilities = new double[n][];
    double[] lambda = new double[n];
    double[] generalistWeight = new double[n];
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      MergedPrediction part = predict(manager, method, java.util.Arrays.copyOfRange(inputs, from, to));
      for (int i = from; i < to; i++) {
        probabilities[i] = part.probabilities()[i - from];
        lambda[i] = part.plan().lambda()[i - from];
        generalistWeight[i] = part.plan().generalistWeight()[i - from];
      }
    }
    return new Evaluation(MergeMetrics.of(probabilities, labels, lambda, generalistWeight), lambda);
  }

  /**
   * Logits of sample i under w_i theta_g + (1 - w_i) theta_e for every i, in one layer-by-layer pass
   * with both parameter sets ({@link InterpolationPair#perSampleLogits}: per layer one matmul or
   * convolution over the two sets' concatenated weights and one per-sample mix); no per-sample
   * weights are materialised. The result lives on {@code features}' manager.
   */
  public NDArray perSampleLogits(NDArray features, double[] generalistWeight) {
    return interpolation.perSampleLogits(features, generalistWeight);
  }

  /**
   * Logits under one merged parameter set w theta_g + (1 - w) theta_e, merged once for the batch
   * ({@link InterpolationPair#mergedLogits}: the values of {@link ParameterMerging#interpolate},
   * written into a buffer the layer weights are views of, then the plain forward). The result lives
   * on {@code features}' manager; {@code manager} is no longer needed (kept for callers).
   */
  public NDArray perBatchLogits(NDManager manager, NDArray features, double generalistWeight) {
    return interpolation.mergedLogits(features, generalistWeight);
  }

  /** log(w p_g + (1 - w) p_e): logits whose softmax is the mixture. */
  private static double[][] mixedLogProbabilities(double[][] g, double[][] e, double[] w) {
    double[][] out = new double[g.length][];
    for (int i = 0; i < g.length; i++) {
      double[] pg = Probabilities.softmax(g[i], 1);
      double[] pe = Probabilities.softmax(e[i], 1);
      out[i] = new double[pg.length];
      for (int j = 0; j < pg.length; j++) {
        out[i][j] = Math.log(w[i] * pg[j] + (1 - w[i]) * pe[j]);
      }
    }
    return out;
  }

  static double[][] rows(NDArray matrix) {
    long[] shape = matrix.getShape().getShape();
    float[] flat = matrix.toFloatArray();
    double[][] out = new double[(int) shape[0]][(int) shape[1]];
    for (int i = 0; i < out.length; i++) {
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = flat[i * out[i].length + j];
      }
    }
    return out;
  }

  static float[] flatten(float[][] inputs, int width) {
    if (inputs == null || inputs.length == 0) {
      throw new InvalidArgumentException("inputs", "must not be empty");
    }
    float[] flat = new float[inputs.length * width];
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i] == null || inputs[i].length != width) {
        throw new InvalidArgumentException("inputs[" + i + "]", "has " + (inputs[i] == null ? 0 : inputs[i].length)
            + " values, the models take " + width);
      }
      for (int j = 0; j < width; j++) {
        if (!Float.isFinite(inputs[i][j])) {
          throw new InvalidArgumentException("inputs[" + i + "][" + j + "]", "must be finite, got " + inputs[i][j]);
        }
      }
      System.arraycopy(inputs[i], 0, flat, i * width, width);
    }
    return flat;
  }
}
