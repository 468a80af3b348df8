package dev.divergence.merging.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pair's architecture check, input validation, and each merge space end to end on a small MLP
 * pair. The MLP (fan-ins 4 and 5, weights and inputs of order 1) keeps the float32 error of every
 * comparison below 1e-5 by the bound derived in {@link PerSampleMergeTest} (7e-6 there for a deeper
 * MLP), so 1e-5 on probabilities is derived, not fitted.
 */
class ModelPairTest {

  private static final ClassifierSpec SPEC = ClassifierSpec.mlp(4, List.of(5), 3);
  private static NDManager manager;

  @BeforeAll
  static void start() {
    manager = TestModels.manager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  @Test
  void incompatibleArchitecturesAreRejectedNamingTheField() {
    try (NDManager m = manager.newSubManager()) {
      Classifier g = Classifier.initialize(m, SPEC, 1);
      assertField("expert.input_dim", () -> new ModelPair(g, Classifier.initialize(m, ClassifierSpec.mlp(5, List.of(5), 3), 2)));
      assertField("expert.hidden_sizes", () -> new ModelPair(g, Classifier.initialize(m, ClassifierSpec.mlp(4, List.of(6), 3), 2)));
      assertField("expert.num_classes", () -> new ModelPair(g, Classifier.initialize(m, ClassifierSpec.mlp(4, List.of(5), 2), 2)));
      assertField("expert.model_type", () -> new ModelPair(Classifier.initialize(m, ClassifierSpec.cnn(2, 1, 2, 2, 3), 1),
          Classifier.initialize(m, ClassifierSpec.mlp(4, List.of(2, 2), 3), 2)));
      // class names are labels, not architecture
      new ModelPair(g, Classifier.initialize(m, SPEC.withClassNames(List.of("a", "b", "c")), 2));
    }
  }

  @Test
  void badInputsAreRejectedNamingTheField() {
    try (NDManager m = manager.newSubManager()) {
      ModelPair pair = new ModelPair(Classifier.initialize(m, SPEC, 1), Classifier.initialize(m, SPEC, 2));
      var t3 = MergeMethods.create("t3", Map.of());
      assertField("inputs", () -> pair.predict(m, t3, new float[0][]));
      assertField("inputs[1]", () -> pair.predict(m, t3, new float[][] {{1, 2, 3, 4}, {1, 2, 3}}));
      assertField("inputs[0][2]", () -> pair.predict(m, t3, new float[][] {{1, 2, Float.NaN, 4}}));
    }
  }

  @Test
  void eachSpaceMatchesItsDefinition() {
    try (NDManager m = manager.newSubManager()) {
      Classifier g = Classifier.initialize(m, SPEC, 1);
      Classifier e = Classifier.initialize(m, SPEC, 2);
      ModelPair pair = new ModelPair(g, e);
      SplittableRandom random = new SplittableRandom(7);
      float[][] x = new float[6][4];
      for (float[] row : x) {
        for (int j = 0; j < 4; j++) {
          row[j] = (float) random.nextGaussian();
        }
      }
      double[][] pg = new double[x.length][];
      double[][] pe = new double[x.length][];
      for (int i = 0; i < x.length; i++) {
        pg[i] = softmax(alone(m, g.parameters(), x[i]));
        pe[i] = softmax(alone(m, e.parameters(), x[i]));
      }

      MergedPrediction t3 = pair.predict(m, MergeMethods.create("t3", Map.of("gamma", 4.0)), x);
      MergedPrediction batch = pair.predict(m, MergeMethods.create("t3_batch", Map.of()), x);
      MergedPrediction ensemble = pair.predict(m, MergeMethods.create("ensemble", Map.of("weight", 0.3)), x);
      MergedPrediction generalist = pair.predict(m, MergeMethods.create("generalist", Map.of()), x);
      for (int i = 0; i < x.length; i++) {
        double w = t3.plan().generalistWeight()[i];
        assertArrayEquals(softmax(merged(m, g, e, w, x[i])), t3.probabilities()[i], 1e-5, "t3 sample " + i);
        double wb = batch.plan().generalistWeight()[0];
        assertArrayEquals(softmax(merged(m, g, e, wb, x[i])), batch.probabilities()[i], 1e-5, "t3_batch sample " + i);
        double[] mix = new double[3];
        for (int c = 0; c < 3; c++) {
          mix[c] = 0.3 * pg[i][c] + 0.7 * pe[i][c];
        }
        assertArrayEquals(mix, ensemble.probabilities()[i], 1e-5, "ensemble sample " + i);
        assertArrayEquals(pg[i], generalist.probabilities()[i], 1e-5, "generalist sample " + i);
        assertEquals(1.0, sum(t3.probabilities()[i]), 1e-12);
        assertTrue(t3.plan().lambda()[i] >= 0.5 && t3.plan().lambda()[i] <= t3.plan().effectiveLambdaRange().max());
      }
    }
  }

  /** Evaluation predicts in consecutive batches (T³_B's lambda depends on them) and scores the predictions. */
  @Test
  void evaluationScoresBatchByBatchPredictions() {
    try (NDManager m = manager.newSubManager()) {
      ModelPair pair = new ModelPair(Classifier.initialize(m, SPEC, 1), Classifier.initialize(m, SPEC, 2));
      SplittableRandom random = new SplittableRandom(11);
      float[][] x = new float[5][4];
      int[] labels = new int[5];
      for (int i = 0; i < x.length; i++) {
        for (int j = 0; j < 4; j++) {
          x[i][j] = (float) random.nextGaussian();
        }
        labels[i] = random.nextInt(3);
      }
      var method = MergeMethods.create("t3_batch", Map.of("gamma", 8.0));
      var metrics = pair.evaluate(m, method, x, labels, 2);
      // the same batches by hand: [0, 2), [2, 4), [4, 5)
      double correct = 0;
      double lambdaSum = 0;
      for (int from = 0; from < 5; from += 2) {
        float[][] part = java.util.Arrays.copyOfRange(x, from, Math.min(5, from + 2));
        MergedPrediction p = pair.predict(m, method, part);
        for (int i = 0; i < part.length; i++) {
          correct += p.predictedClass(i) == labels[from + i] ? 1 : 0;
          lambdaSum += p.plan().lambda()[i];
        }
      }
      assertEquals(correct / 5, metrics.accuracy(), 1e-15);
      assertEquals(lambdaSum / 5, metrics.lambda().mean(), 1e-15);
      assertField("batchSize", () -> pair.evaluate(m, method, x, labels, 0));
      assertField("labels", () -> pair.evaluate(m, method, x, new int[] {0}, 2));
      assertField("labels[1]", () -> pair.evaluate(m, method, x, new int[] {0, 7, 0, 0, 0}, 2));
    }
  }

  private static double[] merged(NDManager m, Classifier g, Classifier e, double w, float[] row) {
    try (NDManager s = m.newSubManager()) {
      return alone(s, ParameterMerging.interpolate(s, g.parameters(), e.parameters(), w), row);
    }
  }

  private static double[] alone(NDManager m, Parameters params, float[] row) {
    try (NDManager s = m.newSubManager()) {
      return ModelPair.rows(new Classifier(SPEC, params).logits(s.create(row, new Shape(1, row.length))))[0];
    }
  }

  private static double[] softmax(double[] z) {
    double max = Math.max(z[0], Math.max(z[1], z[2]));
    double[] p = new double[z.length];
    double s = 0;
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] - max);
      s += p[i];
    }
    for (int i = 0; i < z.length; i++) {
      p[i] /= s;
    }
    return p;
  }

  private static double sum(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s;
  }

  private static void assertField(String field, Runnable action) {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, action::run);
    assertEquals(field, e.violations().get(0).field(), e.getMessage());
  }
}
