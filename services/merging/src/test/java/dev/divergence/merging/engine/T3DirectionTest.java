package dev.divergence.merging.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.merging.domain.MergePlan;
import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * T³'s mechanism on the real digits pair: the expert was fine-tuned on digits 0-4 only, so on test
 * digits 5-9 (classes the expert no longer serves) the two models disagree more, and T³ gives the
 * generalist more weight, than on digits 0-4.
 */
class T3DirectionTest {

  @Test
  void generalistWeighsMoreOnTheClassesTheExpertWasNotTunedOn() {
    try (NDManager manager = TestModels.manager(); NDManager m = manager.newSubManager()) {
      Classifier[] models = TestModels.digitsPair(m);
      ModelPair pair = new ModelPair(models[0], models[1]);
      LabeledData test = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, 20251126L)[1];
      MergePlan seen = pair.predict(m, MergeMethods.create("t3", Map.of()), test.onlyClasses(c -> c < 5).features()).plan();
      MergePlan novel = pair.predict(m, MergeMethods.create("t3", Map.of()), test.onlyClasses(c -> c >= 5).features()).plan();
      double jsSeen = mean(seen.jsDivergence());
      double jsNovel = mean(novel.jsDivergence());
      double lambdaSeen = mean(seen.generalistWeight());
      double lambdaNovel = mean(novel.generalistWeight());
      System.out.printf("mean JS digits 0-4 %.4f, 5-9 %.4f; mean generalist weight %.4f, %.4f%n", jsSeen, jsNovel, lambdaSeen, lambdaNovel);
      assertTrue(jsNovel > jsSeen, "JS should be larger on the classes the expert was not tuned on");
      assertTrue(lambdaNovel > lambdaSeen, "the generalist should weigh more there");
    }
  }

  private static double mean(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s / values.length;
  }
}
