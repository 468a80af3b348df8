package dev.divergence.merging.domain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every method against a direct float64 computation in {@link Reference}. Both sides are float64
 * over at most 10 classes, so they agree to a few ulps of values <= log(10); 1e-12 leaves room for
 * the different summation orders and exp/log evaluations without hiding a wrong formula.
 */
class MergeMethodsTest {

  private static final double TOL = 1e-12;
  private static final long SEED = 20261206L;

  /** Identical predictions: JS = 0, lambda = the middle of [lambda_min, lambda_max]. */
  @Test
  void t3AtAgreementIsTheMiddleOfTheRange() {
    double[][] logits = {{1, 2, 3}, {0, 0, 0}};
    MergePlan plan = MergeMethods.create("t3", Map.of("lambda_min", 0.2, "lambda_max", 0.6)).plan(new ModelOutputs(logits, logits));
    assertArrayEquals(new double[] {0, 0}, plan.jsDivergence(), TOL);
    assertArrayEquals(new double[] {0.4, 0.4}, plan.lambda(), TOL);
    assertArrayEquals(new double[] {0.4, 0.4}, plan.generalistWeight(), TOL);
  }

  /**
   * Disjoint one-hot predictions: JS = ln 2 nats = 1 bit, so with the defaults lambda =
   * sigmoid(0.5 ln 2) = 1 / (1 + 2^-1/2) = 2 - sqrt 2, and in bits sigmoid(0.5).
   */
  @Test
  void t3AtTotalDisagreementReachesTheTopOfTheEffectiveRange() {
    ModelOutputs disjoint = new ModelOutputs(new double[][] {{800, 0}}, new double[][] {{0, 800}});
    MergePlan nats = MergeMethods.create("t3", Map.of()).plan(disjoint);
    assertEquals(Math.log(2), nats.jsDivergence()[0], TOL);
    assertEquals(2 - Math.sqrt(2), nats.lambda()[0], TOL);
    assertEquals(0.5, nats.effectiveLambdaRange().min(), TOL);
    assertEquals(2 - Math.sqrt(2), nats.effectiveLambdaRange().max(), TOL);
    assertEquals("nats", nats.jsUnit());
    assertEquals("generalist", nats.dominant(0));

    MergePlan bits = MergeMethods.create("t3", Map.of("log_base", "bits")).plan(disjoint);
    assertEquals(1.0, bits.jsDivergence()[0], TOL);
    assertEquals(1 / (1 + Math.exp(-0.5)), bits.lambda()[0], TOL);
    assertEquals(1 / (1 + Math.exp(-0.5)), bits.effectiveLambdaRange().max(), TOL);
  }

  /** Large gamma saturates the sigmoid: any disagreement gives lambda_max. */
  @Test
  void t3WithLargeGammaSaturatesAtLambdaMax() {
    ModelOutputs disjoint = new ModelOutputs(new double[][] {{800, 0}}, new double[][] {{0, 800}});
    MergePlan plan = MergeMethods.create("t3", Map.of("gamma", 1000.0, "lambda_min", -1.0, "lambda_max", 1.0)).plan(disjoint);
    assertEquals(1.0, plan.lambda()[0], TOL);
    assertEquals(0.0, plan.effectiveLambdaRange().min(), TOL);
  }

  @Test
  void t3MatchesTheFormulaOnRandomBatches() {
    SplittableRandom random = new SplittableRandom(SEED);
    System.out.println("t3MatchesTheFormulaOnRandomBatches seed " + SEED);
    for (int trial = 0; trial < 50; trial++) {
      ModelOutputs outputs = randomOutputs(random, 1 + random.nextInt(8), 2 + random.nextInt(9));
      double gamma = 0.01 + random.nextDouble() * 20;
      double lmin = random.nextDouble() * 0.5;
      double lmax = lmin + random.nextDouble() * (1 - lmin);
      boolean bits = random.nextBoolean();
      boolean expertSide = random.nextBoolean();
      Map<String, Object> params = Map.of("gamma", gamma, "lambda_min", lmin, "lambda_max", lmax,
          "log_base", bits ? "bits" : "nats", "lambda_weights", expertSide ? "expert" : "generalist");
      MergePlan plan = MergeMethods.create("t3", params).plan(outputs);
      assertEquals(MergeSpace.PARAMETERS_PER_SAMPLE, plan.space());
      assertEquals(params.get("log_base"), plan.parameters().get("log_base"));
      for (int i = 0; i < outputs.size(); i++) {
        double js = Reference.jsNats(Reference.softmax(outputs.generalistLogits()[i], 1), Reference.softmax(outputs.expertLogits()[i], 1));
        if (bits) {
          js /= Math.log(2);
        }
        double lambda = lmin + (lmax - lmin) * Reference.sigmoid(gamma * js);
        String where = "trial " + trial + " sample " + i + " params " + params;
        assertEquals(js, plan.jsDivergence()[i], TOL, where);
        assertEquals(lambda, plan.lambda()[i], TOL, where);
        assertEquals(expertSide ? 1 - lambda : lambda, plan.generalistWeight()[i], TOL, where);
        assertTrue(plan.lambda()[i] >= plan.effectiveLambdaRange().min() - TOL && plan.lambda()[i] <= plan.effectiveLambdaRange().max() + TOL, where);
      }
    }
  }

  @Test
  void t3BatchAveragesLambdaOrJs() {
    SplittableRandom random = new SplittableRandom(SEED + 1);
    System.out.println("t3BatchAveragesLambdaOrJs seed " + (SEED + 1));
    for (int trial = 0; trial < 30; trial++) {
      ModelOutputs outputs = randomOutputs(random, 2 + random.nextInt(10), 3 + random.nextInt(5));
      double gamma = 0.5 + random.nextDouble() * 10;
      int n = outputs.size();
      double[] js = new double[n];
      double meanJs = 0;
      double meanLambda = 0;
      for (int i = 0; i < n; i++) {
        js[i] = Reference.jsNats(Reference.softmax(outputs.generalistLogits()[i], 1), Reference.softmax(outputs.expertLogits()[i], 1));
        meanJs += js[i] / n;
        meanLambda += Reference.sigmoid(gamma * js[i]) / n;
      }
      MergePlan byLambda = MergeMethods.create("t3_batch", Map.of("gamma", gamma)).plan(outputs);
      MergePlan byJs = MergeMethods.create("t3_batch", Map.of("gamma", gamma, "average", "js")).plan(outputs);
      String where = "trial " + trial;
      assertEquals(MergeSpace.PARAMETERS_PER_BATCH, byLambda.space());
      assertEquals("lambda", byLambda.parameters().get("average"));
      assertArrayEquals(js, byLambda.jsDivergence(), TOL, where);
      for (int i = 0; i < n; i++) {
        assertEquals(meanLambda, byLambda.lambda()[i], TOL, where);
        assertEquals(meanLambda, byLambda.generalistWeight()[i], TOL, where);
        assertEquals(Reference.sigmoid(gamma * meanJs), byJs.lambda()[i], TOL, where);
      }
      // sigmoid is concave on [0, inf): lambda of the mean JS is at least the mean lambda (Jensen)
      assertTrue(byJs.lambda()[0] >= byLambda.lambda()[0] - TOL, where);
    }
  }

  @Test
  void singleModelsAndStaticMerges() {
    ModelOutputs outputs = randomOutputs(new SplittableRandom(SEED + 2), 3, 4);
    assertArrayEquals(new double[] {1, 1, 1}, MergeMethods.create("generalist", Map.of()).plan(outputs).generalistWeight());
    assertArrayEquals(new double[] {0, 0, 0}, MergeMethods.create("expert", Map.of()).plan(outputs).generalistWeight());

    MergePlan wise = MergeMethods.create("wise_ft", Map.of("alpha", 0.3)).plan(outputs);
    assertArrayEquals(new double[] {0.7, 0.7, 0.7}, wise.generalistWeight(), TOL);
    assertEquals(LambdaSide.EXPERT, wise.lambdaSide());
    assertEquals(0.5, MergeMethods.create("wise_ft", Map.of()).parameters().get("alpha"));

    // theta_g + 1.5 (theta_e - theta_g) = -0.5 theta_g + 1.5 theta_e
    assertArrayEquals(new double[] {-0.5, -0.5, -0.5}, MergeMethods.create("task_arithmetic", Map.of("scale", 1.5)).plan(outputs).generalistWeight(), TOL);

    MergePlan ensemble = MergeMethods.create("ensemble", Map.of("weight", 0.25)).plan(outputs);
    assertEquals(MergeSpace.OUTPUTS, ensemble.space());
    assertArrayEquals(new double[] {0.25, 0.25, 0.25}, ensemble.generalistWeight(), TOL);
    assertEquals("expert", ensemble.dominant(0));

    List<WeightAverage> sweep = MergeMethods.alphaSweep(Map.of());
    assertEquals(11, sweep.size());
    assertEquals(0.7, sweep.get(7).alpha(), TOL);
    assertEquals(List.of(0.0, 1.0), MergeMethods.alphaSweep(Map.of("alphas", List.of(0, 1))).stream().map(WeightAverage::alpha).toList());
  }

  /** DaWin's expert weight from entropies; without offset it is sigmoid(H_g - H_e). */
  @Test
  void dawinMatchesEntropyRatio() {
    SplittableRandom random = new SplittableRandom(SEED + 3);
    System.out.println("dawinMatchesEntropyRatio seed " + (SEED + 3));
    for (int trial = 0; trial < 30; trial++) {
      ModelOutputs outputs = randomOutputs(random, 1 + random.nextInt(6), 2 + random.nextInt(9));
      double tg = 0.5 + random.nextDouble() * 2;
      double te = 0.5 + random.nextDouble() * 2;
      double b = random.nextBoolean() ? 0 : random.nextDouble();
      double w = 1 + random.nextDouble() * 3;
      MergePlan plan = MergeMethods.create("dawin", Map.of("temperature_generalist", tg, "temperature_expert", te, "offset", b, "offset_divisor", w)).plan(outputs);
      for (int i = 0; i < outputs.size(); i++) {
        double hg = Reference.entropyNats(Reference.softmax(outputs.generalistLogits()[i], tg));
        double he = Reference.entropyNats(Reference.softmax(outputs.expertLogits()[i], te));
        double a = (Math.exp(-he) + b / w) / (Math.exp(-hg) + Math.exp(-he) + b);
        String where = "trial " + trial + " sample " + i;
        assertEquals(a, plan.lambda()[i], TOL, where);
        assertEquals(1 - a, plan.generalistWeight()[i], TOL, where);
        if (b == 0) {
          assertEquals(Reference.sigmoid(hg - he), plan.lambda()[i], TOL, where);
        }
      }
    }
  }

  @Test
  void confidenceInterpolationWeighsByTopProbability() {
    // generalist [0.5, 0.5] (c = 0.5), expert softmax([ln 3, 0]) = [0.75, 0.25] (c = 0.75): a = 0.75 / 1.25 = 0.6
    ModelOutputs outputs = new ModelOutputs(new double[][] {{0, 0}}, new double[][] {{Math.log(3), 0}});
    MergePlan plan = MergeMethods.create("confidence", Map.of()).plan(outputs);
    assertEquals(0.6, plan.lambda()[0], TOL);
    assertEquals(0.4, plan.generalistWeight()[0], TOL);
    assertEquals("expert", plan.dominant(0));
    // temperature 2: expert softmax([ln 3 / 2, 0]) = [sqrt3, 1] / (sqrt3 + 1)
    double ce = Math.sqrt(3) / (Math.sqrt(3) + 1);
    assertEquals(ce / (ce + 0.5), MergeMethods.create("confidence", Map.of("temperature", 2.0)).plan(outputs).lambda()[0], TOL);
  }

  @Test
  void invalidParametersNameTheirField() {
    assertField("parameters.gamma", () -> MergeMethods.create("t3", Map.of("gamma", 0.0)));
    assertField("parameters.gamma", () -> MergeMethods.create("t3_batch", Map.of("gamma", -1.0)));
    assertField("parameters.lambda_min", () -> MergeMethods.create("t3", Map.of("lambda_min", 0.8, "lambda_max", 0.2)));
    assertField("parameters.lambda_max", () -> MergeMethods.create("t3", Map.of("lambda_max", 3.0)));
    assertField("parameters.lambda_min", () -> MergeMethods.create("t3", Map.of("lambda_min", -2.0)));
    // -0.5 is allowed: the effective range starts at -0.5 + 1.5 / 2 = 0.25
    assertEquals(0.25, MergeMethods.create("t3", Map.of("lambda_min", -0.5)).plan(new ModelOutputs(new double[][] {{0, 0}}, new double[][] {{0, 0}})).lambda()[0], TOL);
    assertField("parameters.log_base", () -> MergeMethods.create("t3", Map.of("log_base", "decibans")));
    assertField("parameters.lambda_weights", () -> MergeMethods.create("t3", Map.of("lambda_weights", "both")));
    assertField("parameters.average", () -> MergeMethods.create("t3_batch", Map.of("average", "median")));
    assertField("parameters.alpha", () -> MergeMethods.create("wise_ft", Map.of("alpha", 1.5)));
    assertField("parameters.alpha", () -> MergeMethods.create("wise_ft", Map.of("alpha", -0.1)));
    assertField("parameters.alphas[1]", () -> MergeMethods.alphaSweep(Map.of("alphas", List.of(0.5, 2))));
    assertField("parameters.alphas", () -> MergeMethods.alphaSweep(Map.of("alphas", java.util.Collections.nCopies(102, 0.5))));
    assertEquals(101, MergeMethods.alphaSweep(Map.of("alphas", java.util.Collections.nCopies(101, 0.5))).size());
    assertField("parameters.weight", () -> MergeMethods.create("ensemble", Map.of("weight", 2.0)));
    assertField("parameters.scale", () -> MergeMethods.create("task_arithmetic", Map.of("scale", -1.0)));
    assertField("parameters.offset_divisor", () -> MergeMethods.create("dawin", Map.of("offset_divisor", 0.0)));
    assertField("parameters.temperature", () -> MergeMethods.create("confidence", Map.of("temperature", 0.0)));
    assertField("parameters.gamma", () -> MergeMethods.create("t3", Map.of("gamma", "big")));
    assertField("parameters.gamma", () -> MergeMethods.create("t3", Map.of("gamma", Double.NaN)));
    assertField("parameters.alpha", () -> MergeMethods.create("t3", Map.of("alpha", 0.5)));
    assertField("method", () -> MergeMethods.create("soup", Map.of()));
  }

  @Test
  void invalidBatchesNameTheirField() {
    assertField("generalist_logits", () -> new ModelOutputs(new double[0][], new double[0][]));
    assertField("expert_logits[1]", () -> new ModelOutputs(new double[][] {{1, 2}, {1, 2}}, new double[][] {{1, 2}, {1}}));
    assertField("expert_logits", () -> new ModelOutputs(new double[][] {{1, 2}}, new double[][] {{1, 2, 3}}));
    assertField("generalist_logits[0][1]", () -> new ModelOutputs(new double[][] {{1, Double.NaN}}, new double[][] {{1, 2}}));
  }

  private static void assertField(String field, Runnable action) {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, action::run);
    assertEquals(field, e.violations().get(0).field(), e.getMessage());
  }

  static ModelOutputs randomOutputs(SplittableRandom random, int rows, int classes) {
    double[][] g = new double[rows][classes];
    double[][] e = new double[rows][classes];
    for (int i = 0; i < rows; i++) {
      double scale = random.nextDouble() * 8;
      for (int j = 0; j < classes; j++) {
        g[i][j] = random.nextGaussian() * scale;
        e[i][j] = random.nextBoolean() ? g[i][j] + random.nextGaussian() * 0.1 : random.nextGaussian() * scale;
      }
    }
    return new ModelOutputs(g, e);
  }
}
