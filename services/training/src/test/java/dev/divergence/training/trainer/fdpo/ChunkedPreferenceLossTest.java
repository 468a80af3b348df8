package dev.divergence.training.trainer.fdpo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.training.trainer.Float32Tolerance;
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
 * the head chunk by chunk) equals the autograd one on full logits, loss, every parameter's gradient
 * and the entropy metric within float32 bounds derived from the computation (Float32Tolerance and the
 * log-ratio error below), for the four divergences and label smoothing.
 */
class ChunkedPreferenceLossTest {

  static final int PAIRS = 3;
  static NDManager root;
  static LlamaModel policy;
  static GradientRecording recording;
  static PreferenceBatch batch;
  static double[][] reference = new double[2][PAIRS];
  /** The policy's sequence log-probs, chosen then rejected (float64, host). */
  static double[] policyLogProbs;
  /** Per sequence (chosen then rejected), d log pi(y|x) / d parameter, by autograd. */
  static List<Map<String, float[]>> sequenceGradients = new ArrayList<>();

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
      policyLogProbs = batch.logProbs(policy, m, 1024);
      for (int i = 0; i < PAIRS; i++) {
        reference[0][i] = policyLogProbs[i] + 4 * random.nextDouble() - 2;
        reference[1][i] = policyLogProbs[PAIRS + i] + 4 * random.nextDouble() - 2;
      }
      for (int i = 0; i < 2 * PAIRS; i++) {
        int sequence = i;
        recording.backward(() -> batch.score(policy, m).logProbs().get(sequence));
        sequenceGradients.add(gradientsThenZero());
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

      // Tolerances from the computation (Float32Tolerance). Each parameter's gradient is
      // sum_s c_s d log pi(y_s|x_s) / d parameter with c_s = dLoss / d log pi(y_s|x_s); S_i sums |c_s| times
      // the magnitudes of the sequences' own gradients. Beyond reordered float32 reductions, the autograd side
      // carries float32 log-ratios r_s: its sequence log-prob is a float32 sum of T_s non-positive terms
      // (error <= T_s eps32 |log pi|), the reference is rounded to float32 (eps32 |ref|), and so is their
      // difference (eps32 |r|). An error dr in r moves c_s by at most |c_s| dr (the third derivative of f is
      // at most its second in magnitude for the four divergences) plus, through h,
      // beta^2 / (4 B) |f''_s| (|f''_w| dr_w + |f''_l| dr_l); twice that bound (second-order terms) is added.
      double[] chosen = java.util.Arrays.copyOfRange(policyLogProbs, 0, PAIRS);
      double[] rejected = java.util.Arrays.copyOfRange(policyLogProbs, PAIRS, 2 * PAIRS);
      double[] c = loss.sequenceGradient(chosen, rejected, reference[0], reference[1]);
      double beta = 0.1;
      double[] dr = new double[2 * PAIRS];
      double[] f2 = new double[2 * PAIRS];
      for (int i = 0; i < 2 * PAIRS; i++) {
        double ref = reference[i / PAIRS][i % PAIRS];
        double r = policyLogProbs[i] - ref;
        dr[i] = Float32Tolerance.EPS32 * (s.length() * Math.abs(policyLogProbs[i]) + Math.abs(ref) + Math.abs(r));
        f2[i] = Math.abs(divergence.secondDerivative(r, 0.5));
      }
      double[] dc = new double[2 * PAIRS];
      double valueError = 0;
      for (int i = 0; i < 2 * PAIRS; i++) {
        int pair = i % PAIRS;
        double throughH = beta * beta / (4 * PAIRS) * f2[i] * (f2[pair] * dr[pair] + f2[PAIRS + pair] * dr[PAIRS + pair]);
        dc[i] = 2 * (Math.abs(c[i]) * dr[i] + throughH);
        valueError += 2 * Math.abs(c[i]) * dr[i];
      }
      Map<String, double[]> magnitudes = new LinkedHashMap<>();
      Map<String, double[]> extra = new LinkedHashMap<>();
      for (int i = 0; i < 2 * PAIRS; i++) {
        int sequence = i;
        sequenceGradients.get(i).forEach((name, g) -> {
          magnitudes.put(name, Float32Tolerance.addMagnitudes(magnitudes.get(name), g, c[sequence]));
          extra.put(name, Float32Tolerance.addMagnitudes(extra.get(name), g, dc[sequence]));
        });
      }
      // the float32 reductions on the way: logits (H), log-softmax and entropy over V, the head's gradients
      // (V for dL/dh, rows for dL/dW), the sums over an answer's positions, the backward (context, MLP width, H)
      var config = policy.config();
      long reductions = 2L * config.hiddenSize() + 2L * config.vocabSize() + (long) s.batch() * (s.length() - 1)
          + 2L * s.length() + config.intermediateSize();
      assertThat(chunked).isCloseTo(full, Offset.offset(valueError + 2 * Float32Tolerance.EPS32 * reductions * Math.abs(full)));
      // the entropy metric: a mean of non-negative token entropies, each a sum over V
      assertThat(entropy[1]).isCloseTo(entropy[0], Offset.offset(2 * Float32Tolerance.EPS32 * reductions * Math.abs(entropy[0])));
      double largest = Float32Tolerance.assertGradientsClose(fullGradients, chunkedGradients, magnitudes, reductions, extra);
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
