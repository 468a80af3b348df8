package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.trainer.Djl;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A top-k teacher whose k tokens hold all its mass to float32 rounding: 1 - (top-k mass) is 0 there,
 * while the true tail (e^-40 of the mass) is not, and the student puts most of its mass in the tail.
 * The loss and its gradient must be those of the exact (k+1)-bin divergence, computed here in float64
 * from the logits, for every divergence a top-k teacher supports. Row 1 also has a student whose
 * probability of a top-k token underflows a double (logit 800 below the rest): the divergence is large
 * but finite, and so is its gradient.
 */
class TopKTailTest {

  private static final int ROWS = 2;
  private static final int V = 8;
  private static final int K = 3;
  /** Teacher: three tokens, then five 40+ nats lower (tail mass 5e-18 and 2e-18, where 1 - top-3 mass is -1e-8). */
  private static final float[] TEACHER = {
      0f, -3f, -1.75f, -40f, -41f, -45f, -50f, -42f,
      -43f, -48f, -41f, -40.5f, 0.5f, -44f, -2.5f, -1.25f};
  /** Student: spread over all tokens (tail mass about 0.6); in row 1 token 14 (a teacher top-3 token) at -800. */
  private static final float[] STUDENT = {
      0.3f, -0.2f, 0.1f, 0.4f, -0.1f, 0.2f, 0f, 0.5f,
      0.1f, 0.3f, -0.4f, 0.2f, 0.6f, 0f, -800f, -0.3f};
  private static NDManager m;

  @BeforeAll
  static void setUp() {
    m = Djl.manager();
  }

  @AfterAll
  static void tearDown() {
    m.close();
  }

  @ParameterizedTest
  @CsvSource({"kl,0", "reverse_kl,0", "js,0", "jsd,0.3", "tv,0", "skew_kl,0.1", "skew_reverse_kl,0.1"})
  void lossAndGradientAreTheExactBinnedDivergence(String name, double parameter) {
    // the premise: 1 - (top-k mass) of the float32 log-probabilities is 0 where the true tail is 1e-18
    TopKTeacher teacher = DivergenceLogitsLoss.topKTeacher(TEACHER, ROWS, V, K, 1.0);
    TopKTeacher derived = new TopKTeacher(ROWS, K, teacher.indices(), teacher.logProbs());
    for (int r = 0; r < ROWS; r++) {
      assertThat(derived.tailMass()[r]).as("row %d: 1 - top-k mass", r).isZero();
      assertThat(teacher.tailMass()[r]).as("row %d: stored tail", r).isCloseTo(exactTail(r), within(1e-12 * exactTail(r)));
    }
    Double beta = name.equals("jsd") ? parameter : null;
    Double alpha = name.startsWith("skew") ? parameter : null;
    DistillationLoss loss = DistillationLosses.create(
        new DistillationSpec("t", new DivergenceChoice(name, alpha, beta), 1.0, 0.0, 0.0, false, K, null), false);
    Function<NDArray, NDArray> f = s -> loss.compute(s.getManager().create(TEACHER, new Shape(ROWS, V)), s, null, null);
    double value = Djl.value(m, f, STUDENT, ROWS, V);
    float[] gradient = Djl.gradient(m, f, STUDENT, ROWS, V);

    double expected = referenceLoss(name, parameter, toDoubles(STUDENT));
    assertThat(expected).as("reference").isFinite();
    // the loss is computed in float64 from the same float32 teacher log-probabilities as the reference
    // and handed back as one float32: a relative error of 2^-24 (6e-8), plus float64 noise
    assertThat(value).as("%s loss", name).isCloseTo(expected, within(6e-8 * Math.abs(expected) + 1e-12));
    double[] numeric = referenceGradient(name, parameter);
    for (int i = 0; i < gradient.length; i++) {
      assertThat(gradient[i]).as("%s d/dz[%d]", name, i).isFinite();
      // one float32 rounding of a float64 gradient (2^-24 relative), and the central difference's error:
      // truncation h^2/6 |f'''| with |f'''| <= 1 for these softmax-based losses per unit of logit
      // (h = 1e-4: 2e-9) plus cancellation 2 * 1e-16 * |f| / h (|f| <= 1e3: 2e-9)
      assertThat((double) gradient[i]).as("%s d/dz[%d]", name, i)
          .isCloseTo(numeric[i], within(6e-8 * Math.abs(numeric[i]) + 5e-9));
    }
  }

  /** The teacher's mass outside its top 3, summed over those tokens in float64. */
  private static double exactTail(int row) {
    double[] logP = logSoftmax(toDoubles(TEACHER), row);
    int[] top = topIndices(row);
    double tail = 0;
    for (int i = 0; i < V; i++) {
      if (i != top[0] && i != top[1] && i != top[2]) {
        tail += Math.exp(logP[i]);
      }
    }
    return tail;
  }

  /** The teacher's three largest logits of a row, by hand from the table above. */
  private static int[] topIndices(int row) {
    return row == 0 ? new int[] {0, 2, 1} : new int[] {4, 7, 6};
  }

  /**
   * Token mean of the (k+1)-bin divergence, float64: teacher bins are its log-probabilities as the
   * cache keeps them (rounded to float32) and the exact tail; student bins are log-softmax values and
   * the log of its summed tail. Each formula as ALGORITHMS.md states it, in log space where q is a factor.
   */
  private static double referenceLoss(String name, double parameter, double[] student) {
    double total = 0;
    for (int r = 0; r < ROWS; r++) {
      double[] teacherLogP = logSoftmax(toDoubles(TEACHER), r);
      double[] studentLogQ = logSoftmax(student, r);
      int[] top = topIndices(r);
      double[] logP = new double[K + 1];
      double[] logQ = new double[K + 1];
      double tailQ = 0;
      for (int i = 0; i < V; i++) {
        tailQ += Math.exp(studentLogQ[i]);
      }
      for (int j = 0; j < K; j++) {
        logP[j] = (float) teacherLogP[top[j]];
        logQ[j] = studentLogQ[top[j]];
        tailQ -= Math.exp(studentLogQ[top[j]]);
      }
      logP[K] = Math.log(exactTail(r));
      // the student's tail here is well above rounding (0.6 and 0.99): its sum is exact enough
      logQ[K] = Math.log(tailQ);
      total += binned(name, parameter, logP, logQ);
    }
    return total / ROWS;
  }

  private static double binned(String name, double a, double[] logP, double[] logQ) {
    double s = 0;
    for (int j = 0; j < logP.length; j++) {
      double p = Math.exp(logP[j]);
      double q = Math.exp(logQ[j]);
      s += switch (name) {
        case "kl" -> p * (logP[j] - logQ[j]);
        case "reverse_kl" -> q * (logQ[j] - logP[j]);
        case "js" -> {
          double logM = Math.log(0.5 * p + 0.5 * q);
          yield 0.5 * p * (logP[j] - logM) + 0.5 * q * (logQ[j] - logM);
        }
        case "jsd" -> {
          double logM = Math.log(a * p + (1 - a) * q);
          yield a * p * (logP[j] - logM) + (1 - a) * q * (logQ[j] - logM);
        }
        case "tv" -> 0.5 * Math.abs(p - q);
        case "skew_kl" -> p * (logP[j] - Math.log(a * p + (1 - a) * q));
        case "skew_reverse_kl" -> q * (logQ[j] - Math.log((1 - a) * p + a * q));
        default -> throw new IllegalArgumentException(name);
      };
    }
    return s;
  }

  /** Central differences of the float64 reference in the student's logits, h = 1e-4. */
  private static double[] referenceGradient(String name, double parameter) {
    double[] z = toDoubles(STUDENT);
    double[] out = new double[z.length];
    double h = 1e-4;
    for (int i = 0; i < z.length; i++) {
      double keep = z[i];
      z[i] = keep + h;
      double up = referenceLoss(name, parameter, z);
      z[i] = keep - h;
      double down = referenceLoss(name, parameter, z);
      z[i] = keep;
      out[i] = (up - down) / (2 * h);
    }
    return out;
  }

  private static double[] logSoftmax(double[] z, int row) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < V; i++) {
      max = Math.max(max, z[row * V + i]);
    }
    double sum = 0;
    for (int i = 0; i < V; i++) {
      sum += Math.exp(z[row * V + i] - max);
    }
    double[] out = new double[V];
    for (int i = 0; i < V; i++) {
      out[i] = z[row * V + i] - max - Math.log(sum);
    }
    return out;
  }

  private static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
