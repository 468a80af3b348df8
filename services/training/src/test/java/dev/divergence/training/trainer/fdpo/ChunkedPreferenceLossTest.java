package dev.divergence.training.trainer.fdpo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.common.GradientRecording;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.loss.ChunkedHeadLoss;
import dev.divergence.training.trainer.loss.FDivergence;
import dev.divergence.training.trainer.loss.FDpoLoss;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chunked f-DPO loss (host log-probs, closed-form dLoss/d(sequence log-prob), gradients through
 * the head chunk by chunk) equals the autograd one on full logits: loss 1e-6, every parameter's
 * gradient 1e-5 (3e-5 relative above 1), the entropy metric 1e-5, for the four divergences and label smoothing.
 */
class ChunkedPreferenceLossTest {

  static final int PAIRS = 3;
  static NDManager root;
  static LlamaModel policy;
  static GradientRecording recording;
  static PreferenceBatch batch;
  static double[][] reference = new double[2][PAIRS];

  @BeforeAll
  static void policy() {
    root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
    policy = LlamaModel.load(root, TestRun.builtIns().ensure("tiny-lm"));
    policy.parameters().requireGradients();
    recording = new GradientRecording();
    SplittableRandom random = new SplittableRandom(9);
    List<long[]> sequences = new ArrayList<>();
    int[] starts = new int[2 * PAIRS];
    for (int i = 0; i < 2 * PAIRS; i++) {
      long[] s = new long[12 + random.nextInt(15)];
      s[0] = 256;
      for (int t = 1; t < s.length; t++) {
        s[t] = 48 + random.nextInt(20);
      }
      sequences.add(s);
      starts[i] = 3 + random.nextInt(6);
    }
    batch = new PreferenceBatch(SequenceBatch.of(sequences, starts, 128), PAIRS);
    // a reference near the policy (log-ratios within +-2), as after a few steps of training
    try (NDManager m = root.newSubManager()) {
      double[] policyLogProbs = batch.logProbs(policy, m, 1024);
      for (int i = 0; i < PAIRS; i++) {
        reference[0][i] = policyLogProbs[i] + 4 * random.nextDouble() - 2;
        reference[1][i] = policyLogProbs[PAIRS + i] + 4 * random.nextDouble() - 2;
      }
    }
  }

  @AfterAll
  static void close() {
    recording.close();
    policy.close();
    root.close();
  }

  @ParameterizedTest
  @CsvSource({"REVERSE_KL,0.0", "FORWARD_KL,0.0", "JS,0.1", "ALPHA,0.0"})
  void chunkedLossAndGradientsEqualTheAutogradOnes(FDivergence divergence, double labelSmoothing) {
    FDpoLoss loss = new FDpoLoss(divergence, 0.5, 0.1, labelSmoothing);
    try (NDManager m = root.newSubManager()) {
      double[] entropy = new double[2];
      double full = recording.backward(() -> {
        PreferenceBatch.Scores scores = batch.score(policy, m);
        entropy[0] = scores.entropy();
        return loss.compute(scores.logProbs().get("0:" + PAIRS), scores.logProbs().get(PAIRS + ":"),
            m.create(floats(reference[0])), m.create(floats(reference[1]))).loss();
      });
      Map<String, float[]> fullGradients = gradientsThenZero();
      SequenceBatch s = batch.sequences();
      double chunked = recording.backward(() -> {
        NDArray hidden = s.predictionRows(policy.hiddenStates(s.idsArray(m), s.maskArray(m)));
        ChunkedPreferenceLoss.Result result = ChunkedPreferenceLoss.compute(loss, hidden, ChunkedHeadLoss.headWeight(policy), s,
            PAIRS, reference[0], reference[1], 7);
        entropy[1] = result.entropy();
        return result.loss();
      });
      Map<String, float[]> chunkedGradients = gradientsThenZero();

      assertThat(chunked).isCloseTo(full, Offset.offset(1e-6));
      assertThat(entropy[1]).isCloseTo(entropy[0], Offset.offset(1e-5));
      double largest = 0;
      for (String name : fullGradients.keySet()) {
        float[] a = fullGradients.get(name);
        float[] b = chunkedGradients.get(name);
        for (int i = 0; i < a.length; i++) {
          // 1e-5; above 1 relative 3e-5: the autograd reference sums the answers' log-probs in float32
          // (~1e-6 off at -50), which forward KL's exp(-r) carries into its gradients
          double tolerance = Math.max(1e-5, 3e-5 * Math.abs(a[i]));
          assertThat((double) b[i]).as("%s[%d]", name, i).isCloseTo(a[i], Offset.offset(tolerance));
          largest = Math.max(largest, Math.abs(a[i]));
        }
      }
      assertThat(largest).as("gradients are not all zero").isGreaterThan(1e-4);
    }
  }

  private static float[] floats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  private static Map<String, float[]> gradientsThenZero() {
    Map<String, float[]> out = new LinkedHashMap<>();
    policy.parameters().asMap().forEach((name, p) -> {
      NDArray g = p.getGradient();
      out.put(name, g.toFloatArray());
      g.subi(g);
    });
    return out;
  }
}
