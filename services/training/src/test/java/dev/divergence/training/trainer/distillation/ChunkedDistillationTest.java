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
import dev.divergence.training.trainer.Float32Tolerance;
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
 * head on the host) equals the loss on the full logits, value and the gradient of every student
 * parameter within float32 rounding bounds derived from the computation (Float32Tolerance), for several divergences, the live top-k path, a cached top-k teacher
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

      java.util.function.Function<boolean[], NDArray> fullLoss = rowMask -> {
        NDArray studentRows = batch.predictionRows(student.forward(ids, mask));
        return top != null ? loss.computeTopK(top, studentRows, rowMask, batch.targets())
            : loss.compute(teacherLogits, studentRows, rowMask, batch.targets());
      };
      double full = backward(() -> fullLoss.apply(batch.targetMask()));
      Map<String, float[]> fullGradients = gradientsThenZero();
      // S_i of Float32Tolerance: each sequence's share of the loss (its counted rows' mean times their
      // share of the counted rows) differentiated on its own, magnitudes summed over the sequences
      boolean[] counted = batch.targetMask();
      int perSequence = batch.length() - 1;
      int kept = count(counted, 0, counted.length);
      Map<String, double[]> magnitudes = new HashMap<>();
      double valueMagnitude = 0;
      for (int b = 0; b < batch.batch(); b++) {
        boolean[] only = new boolean[counted.length];
        System.arraycopy(counted, b * perSequence, only, b * perSequence, perSequence);
        int share = count(only, 0, only.length);
        if (share == 0) {
          continue;
        }
        valueMagnitude += Math.abs(backward(() -> fullLoss.apply(only))) * share / kept;
        gradientsThenZero().forEach((parameter, g) ->
            magnitudes.put(parameter, Float32Tolerance.addMagnitudes(magnitudes.get(parameter), g, (double) share / kept)));
      }

      Map<String, Double> metrics = new LinkedHashMap<>();
      ChunkedDistillation.Teacher target = top != null ? new ChunkedDistillation.Teacher.Cached(top, 1.7)
          : new ChunkedDistillation.Teacher.Live(batch.predictionRows(teacher.hiddenStates(ids, mask)).stopGradient(),
              ChunkedDistillation.headWeight(teacher));
      double chunked = backward(() -> ChunkedDistillation.loss(loss, batch.predictionRows(student.hiddenStates(ids, mask)),
          ChunkedDistillation.headWeight(student), target, batch, 7, metrics));
      Map<String, float[]> chunkedGradients = gradientsThenZero();

      // the float32 reductions between the inputs and a parameter's gradient: the logits (H), the
      // divergence's sums over the vocabulary (V), the head's gradients (V for dL/dh, rows for dL/dW), and
      // the student's backward (attention over the context, the MLP's intermediate width, H again)
      var config = student.config();
      long reductions = 2L * config.hiddenSize() + 2L * config.vocabSize() + counted.length + batch.length()
          + config.intermediateSize();
      double valueTolerance = 2 * Float32Tolerance.EPS32 * reductions * valueMagnitude;
      assertThat(chunked).isCloseTo(full, org.assertj.core.data.Offset.offset(valueTolerance));
      assertThat(full).isPositive();
      double largest = Float32Tolerance.assertGradientsClose(fullGradients, chunkedGradients, magnitudes, reductions, null);
      assertThat(largest).as("gradients are not all zero").isGreaterThan(1e-4);
      assertThat(metrics).containsKey("divergence/" + name);
      // (for kl the common yardstick divergence/kl, at temperature 1, takes the name)
      if (ceWeight == 0 && !name.equals("kl")) {
        assertThat(metrics.get("divergence/" + name)).isCloseTo(full, org.assertj.core.data.Offset.offset(valueTolerance));
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

  private static int count(boolean[] mask, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      n += mask[i] ? 1 : 0;
    }
    return n;
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
