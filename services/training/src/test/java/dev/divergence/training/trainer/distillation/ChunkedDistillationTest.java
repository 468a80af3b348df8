package dev.divergence.training.trainer.distillation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.registry.BuiltInModels;
import dev.divergence.training.trainer.common.GradientRecording;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.loss.CrossEntropyMix;
import dev.divergence.training.trainer.loss.DistillationLoss;
import dev.divergence.training.trainer.loss.DivergenceLogitsLoss;
import dev.divergence.training.trainer.TestRun;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chunked loss (hidden states through the head chunk by chunk, gradients applied through the
 * head on the host) equals the loss on the full logits: value to 1e-6 and the gradient of every
 * student parameter to 1e-5, for several divergences, the live top-k path, a cached top-k teacher
 * and the CE mix, with chunks that do not divide the row count.
 */
class ChunkedDistillationTest {

  static NDManager root;
  static LlamaModel teacher;
  static LlamaModel student;
  static GradientRecording recording;
  static SequenceBatch batch;

  @BeforeAll
  static void models() {
    TestRun.builtIns(); // configures DJL like the other trainer tests
    root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
    // a trained teacher: distributions far from uniform, so divergences and gradients are not tiny
    teacher = LlamaModel.load(root, TestRun.builtIns().ensure("tiny-lm"));
    student = LlamaModel.initialize(root, BuiltInModels.tinyLmStudentConfig(), 6);
    student.parameters().requireGradients();
    recording = new GradientRecording();
    SplittableRandom random = new SplittableRandom(3);
    List<long[]> sequences = new ArrayList<>();
    int[] starts = {1, 4, 9};
    for (int length : new int[] {23, 17, 30}) {
      long[] s = new long[length];
      s[0] = 256;
      for (int t = 1; t < length; t++) {
        s[t] = random.nextInt(256);
      }
      sequences.add(s);
    }
    batch = SequenceBatch.of(sequences, starts, 64); // padded rows and prompt rows are masked
  }

  @AfterAll
  static void close() {
    recording.close();
    student.close();
    teacher.close();
    root.close();
  }

  static DistillationLoss loss(String name, int topK, double ceWeight) {
    var divergence = switch (name) {
      case "jsd" -> DivergenceRegistry.create("jsd", 0.3);
      case "skew_kl" -> DivergenceRegistry.create("skew_kl", 0.2);
      default -> DivergenceRegistry.create(name);
    };
    DistillationLoss base = new DivergenceLogitsLoss(name, divergence, 1.7, topK);
    return ceWeight > 0 ? new CrossEntropyMix(base, ceWeight) : base;
  }

  @ParameterizedTest
  @CsvSource({"kl,0,0,false", "js,0,0,false", "jsd,0,0,false", "tv,0,0,false", "skew_kl,0,0,false", "reverse_kl,12,0,false",
      "js,12,0,false", "js,0,0.3,false", "js,12,0,true", "kl,5,0.25,true"})
  void chunkedLossAndGradientsEqualTheFullLogitsOnes(String name, int topK, double ceWeight, boolean cachedTeacher) {
    DistillationLoss loss = loss(name, topK, ceWeight);
    try (NDManager m = root.newSubManager()) {
      NDArray ids = batch.idsArray(m);
      NDArray mask = batch.maskArray(m);
      NDArray teacherLogits = batch.predictionRows(teacher.forward(ids, mask)).stopGradient();
      int rows = Math.toIntExact(teacherLogits.getShape().get(0));
      TopKTeacher top = cachedTeacher
          ? DivergenceLogitsLoss.topKTeacher(teacherLogits.toFloatArray(), rows, 259, topK, 1.7) : null;

      Map<String, Double> fullMetrics = new HashMap<>();
      double full = backward(() -> {
        NDArray studentRows = batch.predictionRows(student.forward(ids, mask));
        return top != null ? loss.computeTopK(top, studentRows, batch.targetMask(), batch.targets())
            : loss.compute(teacherLogits, studentRows, batch.targetMask(), batch.targets());
      });
      Map<String, float[]> fullGradients = gradientsThenZero();

      Map<String, Double> metrics = new LinkedHashMap<>();
      ChunkedDistillation.Teacher target = top != null ? new ChunkedDistillation.Teacher.Cached(top, 1.7)
          : new ChunkedDistillation.Teacher.Live(batch.predictionRows(teacher.hiddenStates(ids, mask)).stopGradient(),
              ChunkedDistillation.headWeight(teacher));
      double chunked = backward(() -> ChunkedDistillation.loss(loss, batch.predictionRows(student.hiddenStates(ids, mask)),
          ChunkedDistillation.headWeight(student), target, batch, 7, metrics));
      Map<String, float[]> chunkedGradients = gradientsThenZero();

      assertThat(chunked).isCloseTo(full, org.assertj.core.data.Offset.offset(1e-6));
      assertThat(full).isPositive();
      double largest = 0;
      for (String parameter : fullGradients.keySet()) {
        float[] a = fullGradients.get(parameter);
        float[] b = chunkedGradients.get(parameter);
        for (int i = 0; i < a.length; i++) {
          assertThat((double) b[i]).as("%s[%d]", parameter, i).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-5));
          largest = Math.max(largest, Math.abs(a[i]));
        }
      }
      assertThat(largest).as("gradients are not all zero").isGreaterThan(1e-4);
      assertThat(metrics).containsKey("divergence/" + name);
      // (for kl the common yardstick divergence/kl, at temperature 1, takes the name)
      if (ceWeight == 0 && !name.equals("kl")) {
        assertThat(metrics.get("divergence/" + name)).isCloseTo(full, org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  /** A kl loss at temperature 1 is the common yardstick: divergence/kl is its value, not a second pass's. */
  @org.junit.jupiter.api.Test
  void commonKlMetricOfAKlLossAtTemperatureOneIsTheLoss() {
    DistillationLoss kl = new DivergenceLogitsLoss("kl", DivergenceRegistry.create("kl"), 1.0, 0);
    DistillationLoss js = new DivergenceLogitsLoss("js", DivergenceRegistry.create("js"), 1.0, 0);
    try (NDManager m = root.newSubManager()) {
      NDArray ids = batch.idsArray(m);
      NDArray mask = batch.maskArray(m);
      ChunkedDistillation.Teacher target = new ChunkedDistillation.Teacher.Live(
          batch.predictionRows(teacher.hiddenStates(ids, mask)).stopGradient(), ChunkedDistillation.headWeight(teacher));
      Map<String, Double> klMetrics = new LinkedHashMap<>();
      Map<String, Double> jsMetrics = new LinkedHashMap<>();
      double value = backward(() -> ChunkedDistillation.loss(kl, batch.predictionRows(student.hiddenStates(ids, mask)),
          ChunkedDistillation.headWeight(student), target, batch, 7, klMetrics));
      backward(() -> ChunkedDistillation.loss(js, batch.predictionRows(student.hiddenStates(ids, mask)),
          ChunkedDistillation.headWeight(student), target, batch, 7, jsMetrics));
      gradientsThenZero();
      assertThat(klMetrics.get("divergence/kl")).isCloseTo(value, org.assertj.core.data.Offset.offset(1e-6));
      // computed by its own pass next to another divergence
      assertThat(jsMetrics.get("divergence/kl")).isCloseTo(value, org.assertj.core.data.Offset.offset(1e-6));
    }
  }

  private static double backward(Supplier<NDArray> loss) {
    return recording.backward(loss);
  }

  private static Map<String, float[]> gradientsThenZero() {
    Map<String, float[]> out = new LinkedHashMap<>();
    student.parameters().asMap().forEach((name, p) -> {
      NDArray g = p.getGradient();
      out.put(name, g.toFloatArray());
      g.subi(g);
    });
    return out;
  }
}
