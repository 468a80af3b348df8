package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.training.trainer.Djl;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * AKL against a float64 transcription of ALGORITHMS.md on seeded random logits: teacher tokens
 * sorted by probability (boxed ids, stable: ties by lower id), head up to cumulative mass alpha (the
 * first token always), g_head / g_tail the summed |p - q|, loss (g_head FKL + g_tail RKL) / (g_head +
 * g_tail) per kept row, token mean; gradient the central differences of that loss with the weights
 * held at their value (they carry no gradient). Logits on a grid of 0.5 give exactly tied teacher
 * probabilities, so the tie order matters.
 */
class AdaptiveKlLossTest {

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
  @CsvSource({"101,4,5,1.0,0.5,false", "102,3,37,2.0,0.5,false", "103,5,300,1.0,0.2,false", "104,4,64,1.5,0.9,true",
      "105,6,9,1.0,0.5,true", "106,2,1000,0.7,0.5,false", "107,3,12,1.0,0.0,true", "108,3,12,1.0,1.0,false"})
  void lossAndGradientMatchTheFormula(long seed, int rows, int vocab, double temperature, double headMass, boolean grid) {
    System.out.printf("AKL seed %d: rows %d, vocab %d, T %s, alpha %s, grid %s%n", seed, rows, vocab, temperature, headMass, grid);
    SplittableRandom random = new SplittableRandom(seed);
    float[] teacher = new float[rows * vocab];
    float[] student = new float[rows * vocab];
    for (int i = 0; i < teacher.length; i++) {
      double t = random.nextDouble(-3, 3);
      double s = random.nextDouble(-3, 3);
      teacher[i] = (float) (grid ? Math.round(2 * t) / 2.0 : t);
      student[i] = (float) (grid ? Math.round(2 * s) / 2.0 : s);
    }
    boolean[] mask = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      mask[r] = r != 1 || rows < 3; // drop row 1 of the larger batches
    }
    AdaptiveKlLoss loss = new AdaptiveKlLoss(temperature, headMass);
    Function<NDArray, NDArray> f = s -> loss.compute(s.getManager().create(teacher, new Shape(rows, vocab)), s, mask, null);
    double value = Djl.value(m, f, student, rows, vocab);
    float[] gradient = Djl.gradient(m, f, student, rows, vocab);

    double[][] weights = new double[rows][];
    double[] z = new double[student.length];
    for (int i = 0; i < z.length; i++) {
      z[i] = student[i];
    }
    double expected = reference(teacher, z, rows, vocab, mask, temperature, headMass, weights);
    // float64 inside, one float32 rounding of the value (2^-24 relative)
    assertThat(value).as("seed %d loss", seed).isCloseTo(expected, within(6e-8 * Math.abs(expected) + 1e-12));
    double h = 1e-5;
    for (int i = 0; i < z.length; i++) {
      double keep = z[i];
      z[i] = keep + h;
      double up = frozen(teacher, z, rows, vocab, mask, temperature, weights);
      z[i] = keep - h;
      double down = frozen(teacher, z, rows, vocab, mask, temperature, weights);
      z[i] = keep;
      double numeric = (up - down) / (2 * h);
      // one float32 rounding (2^-24 relative) and the central difference's error: truncation
      // h^2 |f'''| / 6 with |f'''| <= 1 / T^3 (< 3, T >= 0.7) = 5e-11, cancellation 1e-16 |f| / h (|f| < 10) = 1e-10
      assertThat((double) gradient[i]).as("seed %d d/dz[%d]", seed, i).isCloseTo(numeric, within(6e-8 * Math.abs(numeric) + 1e-9));
    }
    for (int r = 0; r < rows; r++) {
      if (!mask[r]) {
        for (int i = r * vocab; i < (r + 1) * vocab; i++) {
          assertThat(gradient[i]).isZero();
        }
      }
    }
  }

  /** The loss of ALGORITHMS.md; each kept row's {w_head, w_tail} into {@code weights}. */
  private static double reference(float[] teacher, double[] student, int rows, int vocab, boolean[] mask, double t,
      double headMass, double[][] weights) {
    double total = 0;
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      if (!mask[r]) {
        continue;
      }
      double[] p = Reference.softmax(teacher, r * vocab, vocab, t);
      double[] q = softmax(student, r * vocab, vocab, t);
      Integer[] order = new Integer[vocab];
      for (int i = 0; i < vocab; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
      double head = 0;
      double tail = 0;
      double cumulative = 0;
      for (int j = 0; j < vocab; j++) {
        cumulative += p[order[j]];
        double e = Math.abs(p[order[j]] - q[order[j]]);
        if (j == 0 || cumulative <= headMass) {
          head += e;
        } else {
          tail += e;
        }
      }
      weights[r] = head + tail == 0 ? new double[] {0.5, 0.5} : new double[] {head / (head + tail), tail / (head + tail)};
      total += weights[r][0] * Reference.kl(p, q) + weights[r][1] * Reference.kl(q, p);
      kept++;
    }
    return total / kept;
  }

  /** The same loss with the weights held fixed (what the gradient differentiates). */
  private static double frozen(float[] teacher, double[] student, int rows, int vocab, boolean[] mask, double t, double[][] weights) {
    double total = 0;
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      if (mask[r]) {
        double[] p = Reference.softmax(teacher, r * vocab, vocab, t);
        double[] q = softmax(student, r * vocab, vocab, t);
        total += weights[r][0] * Reference.kl(p, q) + weights[r][1] * Reference.kl(q, p);
        kept++;
      }
    }
    return total / kept;
  }

  private static double[] softmax(double[] z, int base, int v, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < v; i++) {
      max = Math.max(max, z[base + i] / t);
    }
    double[] p = new double[v];
    double s = 0;
    for (int i = 0; i < v; i++) {
      p[i] = Math.exp(z[base + i] / t - max);
      s += p[i];
    }
    for (int i = 0; i < v; i++) {
      p[i] /= s;
    }
    return p;
  }
}
