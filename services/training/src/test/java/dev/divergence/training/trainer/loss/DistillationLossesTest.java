package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.trainer.Djl;
import dev.divergence.training.trainer.Float32Tolerance;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DistillationLossesTest {

  private static NDManager m;
  private static final int ROWS = 3;
  private static final int V = 5;
  private static final boolean[] MASK = {true, false, true};
  private static final long[] LABELS = {2, 0, 4};
  private static float[] teacher;
  private static float[] student;

  @BeforeAll
  static void setUp() {
    m = Djl.manager();
    SplittableRandom random = new SplittableRandom(7);
    teacher = new float[ROWS * V];
    student = new float[ROWS * V];
    for (int i = 0; i < teacher.length; i++) {
      teacher[i] = (float) (random.nextDouble() * 4 - 2);
      student[i] = (float) (random.nextDouble() * 4 - 2);
    }
  }

  @AfterAll
  static void tearDown() {
    m.close();
  }

  private static Function<NDArray, NDArray> of(DistillationLoss loss, boolean[] mask) {
    return s -> loss.compute(s.getManager().create(teacher, new Shape(ROWS, V)), s, mask, LABELS);
  }

  private static DistillationLoss create(String name, Double alpha, Double beta, double temperature, int topK, double ce) {
    return DistillationLosses.create(new DistillationSpec("t", new DivergenceChoice(name, alpha, beta), temperature, ce, 0.0, false, topK, null), true);
  }

  @Test
  void forwardKlOfAHandCheckedPair() {
    // p = (1/2, 1/4, 1/4), q = (1/4, 1/2, 1/4): KL(p||q) = 1/2 ln 2 - 1/4 ln 2 = ln(2)/4
    float[] p = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.25)};
    float[] q = {(float) Math.log(0.25), (float) Math.log(0.5), (float) Math.log(0.25)};
    DistillationLoss kl = create("kl", null, null, 1.0, 0, 0);
    try (NDManager sub = m.newSubManager()) {
      double value = kl.compute(sub.create(p, new Shape(1, 3)), sub.create(q, new Shape(1, 3)), null, null).getFloat();
      // float32 kernels: 2 eps32 (2 V + 4) times sum (p + q)(|log p| + |log q| + 1) = 6.5 (valueTolerance)
      double tolerance = 2 * Float32Tolerance.EPS32 * (2 * 3 + 4) * 6.5;
      assertThat(value).isCloseTo(Math.log(2) / 4, within(tolerance));
      // TV of the same pair: (1/4 + 1/4 + 0) / 2
      double tv = create("tv", null, null, 1.0, 0, 0).compute(sub.create(p, new Shape(1, 3)), sub.create(q, new Shape(1, 3)), null, null).getFloat();
      assertThat(tv).isCloseTo(0.25, within(tolerance));
    }
  }

  @ParameterizedTest
  @CsvSource({"kl,0,1.0", "reverse_kl,0,1.0", "js,0,1.0", "jsd,0.3,1.0", "jsd,0.5,2.0", "tv,0,1.0", "skew_kl,0.1,1.0",
      "skew_reverse_kl,0.1,1.0", "skew_kl,0.25,2.0", "kl,0,2.0", "reverse_kl,0,0.5"})
  void perTokenLossesMatchTheFormulasWithTemperatureAndMask(String name, double parameter, double temperature) {
    Double beta = name.equals("jsd") ? parameter : null;
    Double alpha = name.startsWith("skew") ? parameter : null;
    DistillationLoss loss = create(name, alpha, beta, temperature, 0, 0);
    double expected = Reference.mean(name, parameter, teacher, student, ROWS, V, MASK, temperature);
    assertThat(Djl.value(m, of(loss, MASK), student, ROWS, V)).isCloseTo(expected, within(valueTolerance(temperature)));
  }

  /**
   * float32 rounding of a per-token loss computed by the float32 kernels: each row's value is a sum over
   * V terms of the form p or q times (a difference of log-probabilities or a constant), after a
   * log-sum-exp over V, so it is off by at most 2 eps32 (2 V + 4) times the row's sum of
   * (p_i + q_i)(|log p_i| + |log q_i| + 1), the bound on its terms' magnitudes; the mean over rows adds
   * ROWS roundings. The largest row's bound is used.
   */
  private static double valueTolerance(double temperature) {
    return 2 * Float32Tolerance.EPS32 * (2 * V + 4 + ROWS) * largestRowMagnitude(toDoubles(student), temperature);
  }

  private static double largestRowMagnitude(double[] z, double temperature) {
    double largest = 0;
    for (int r = 0; r < ROWS; r++) {
      double[] p = Reference.softmax(teacher, r * V, V, temperature);
      double[] q = Reference.softmax(z, r * V, V, temperature);
      double sum = 0;
      for (int i = 0; i < V; i++) {
        sum += (p[i] + q[i]) * (Math.abs(Math.log(p[i])) + Math.abs(Math.log(q[i])) + 1);
      }
      largest = Math.max(largest, sum);
    }
    return largest;
  }

  private static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  @Test
  void skewLossesDefaultToAlphaOneTenth() {
    double expected = Reference.mean("skew_kl", 0.1, teacher, student, ROWS, V, null, 1.0);
    assertThat(Djl.value(m, of(create("skew_kl", null, null, 1.0, 0, 0), null), student, ROWS, V)).isCloseTo(expected, within(valueTolerance(1.0)));
  }

  @Test
  void generalisedJsdLimitsAreForwardAndReverseKl() {
    double forward = Reference.mean("kl", 0, teacher, student, ROWS, V, MASK, 1.0);
    double reverse = Reference.mean("reverse_kl", 0, teacher, student, ROWS, V, MASK, 1.0);
    assertThat(Djl.value(m, of(create("jsd", null, 0.0, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(forward, within(valueTolerance(1.0)));
    assertThat(Djl.value(m, of(create("jsd", null, 1.0, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(reverse, within(valueTolerance(1.0)));
    // the mixture formula itself vanishes at the limits; only the special case gives KL
    assertThat(Reference.rowValue("jsd", 0.0, new double[] {0.3, 0.7}, new double[] {0.6, 0.4})).isZero();
    // near the limit the generalised JSD is small, not KL: the special case is a definition (TRL's)
    assertThat(Djl.value(m, of(create("jsd", null, 1e-3, 1.0, 0, 0), MASK), student, ROWS, V)).isLessThan(forward / 10);
  }

  @Test
  void topKTeacherComparesKPlusOneBins() {
    int k = 2;
    DistillationLoss loss = create("kl", null, null, 1.0, k, 0);
    double expected = 0;
    for (int r = 0; r < ROWS; r++) {
      double[] p = Reference.softmax(teacher, r * V, V, 1.0);
      double[] q = Reference.softmax(student, r * V, V, 1.0);
      Integer[] order = {0, 1, 2, 3, 4};
      java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
      double[] pb = new double[k + 1];
      double[] qb = new double[k + 1];
      for (int i = 0; i < V; i++) {
        int slot = i < k ? i : k;
        pb[slot] += p[order[i]];
        qb[slot] += q[order[i]];
      }
      expected += Reference.kl(pb, qb);
    }
    assertThat(Djl.value(m, of(loss, null), student, ROWS, V)).isCloseTo(expected / ROWS, within(valueTolerance(1.0)));
  }

  @Test
  void aklWeighsForwardAndReverseKlByHeadAndTailErrors() {
    double expected = 0;
    for (int r : new int[] {0, 2}) {
      double[] p = Reference.softmax(teacher, r * V, V, 1.0);
      double[] q = Reference.softmax(student, r * V, V, 1.0);
      Integer[] order = {0, 1, 2, 3, 4};
      java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
      double head = 0;
      double tail = 0;
      double cumulative = 0;
      for (int j = 0; j < V; j++) {
        cumulative += p[order[j]];
        double e = Math.abs(p[order[j]] - q[order[j]]);
        if (j == 0 || cumulative <= 0.5) {
          head += e;
        } else {
          tail += e;
        }
      }
      expected += (head * Reference.kl(p, q) + tail * Reference.kl(q, p)) / (head + tail);
    }
    assertThat(Djl.value(m, of(create("akl", null, null, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(expected / 2, within(valueTolerance(1.0)));
  }

  @Test
  void pldIsTheListwiseLossWithTheTrueLabelFirst() {
    double expected = 0;
    double magnitude = 0;
    for (int r : new int[] {0, 2}) {
      double[] p = Reference.softmax(teacher, r * V, V, 1.0);
      int label = (int) LABELS[r];
      java.util.List<Integer> order = new java.util.ArrayList<>(java.util.List.of(0, 1, 2, 3, 4));
      order.remove(Integer.valueOf(label));
      order.sort((a, b) -> Double.compare(p[b], p[a]));
      order.add(0, label);
      for (int k = 0; k < V; k++) {
        double lse = 0;
        for (int j = k; j < V; j++) {
          lse += Math.exp(student[r * V + order.get(j)]);
        }
        expected += p[order.get(k)] * (Math.log(lse) - student[r * V + order.get(k)]);
        magnitude = Math.max(magnitude, p[order.get(k)] * (Math.abs(Math.log(lse)) + Math.abs(student[r * V + order.get(k)])));
      }
    }
    // float32 autograd ops: V-term log-sum-exps and sums, each term at most the largest p (|lse| + |s|), V of them
    double tolerance = 2 * Float32Tolerance.EPS32 * (2 * V + 4 + ROWS) * V * magnitude;
    assertThat(Djl.value(m, of(create("pld", null, null, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(expected / 2, within(tolerance));
    assertThatThrownBy(() -> DistillationLosses.create(new DistillationSpec("t", DivergenceChoice.of("pld"), 1.0, 0.0, 0.0, false, 0, null), false))
        .hasMessageContaining("classifiers");
  }

  /**
   * Logits a trained student reaches at a high rate (breast-cancer at 3e-3: gaps of hundreds between classes):
   * exp of a suffix's scores shifted by the row's maximum underflows to 0 in float32 below about -104, so a
   * suffix log-sum-exp of log(0) = -Infinity gave the loss -Infinity (and NaN gradients). The value and
   * gradient must match a float64 computation with a per-suffix shift.
   */
  @Test
  void pldStaysFiniteAndExactForLogitGapsOfAThousand() {
    int rows = 3;
    int classes = 5;
    float[] studentLogits = {
        1000f, 0f, -1000f, 500f, -500f,      // label 2, the least likely class: its term is about 2000
        -1000f, 1000f, 0f, 0.5f, -999f,      // label 1, the most likely
        -1000f, 1000f, 0f, 0.5f, -999f};     // masked: no value, no gradient
    float[] teacherLogits = {3f, 1f, -1f, 2f, 0f, -2f, 4f, 1f, 0.5f, -3f, 0f, 0f, 0f, 0f, 0f};
    long[] labels = {2, 1, 0};
    boolean[] mask = {true, true, false};
    DistillationLoss loss = create("pld", null, null, 1.0, 0, 0);
    Function<NDArray, NDArray> f = s -> loss.compute(s.getManager().create(teacherLogits, new Shape(rows, classes)), s, mask, labels);
    double expected = 0;
    double[] expectedGradient = new double[rows * classes];
    double magnitude = 0;
    double largestLogit = 0;
    for (int r = 0; r < 2; r++) {
      double[] p = Reference.softmax(teacherLogits, r * classes, classes, 1.0);
      int label = (int) labels[r];
      java.util.List<Integer> order = new java.util.ArrayList<>();
      for (int c = 0; c < classes; c++) {
        if (c != label) {
          order.add(c);
        }
      }
      order.sort((a, b) -> Double.compare(p[b], p[a]));
      order.add(0, label);
      for (int k = 0; k < classes; k++) {
        // float64 log-sum-exp of the suffix, shifted by the suffix's own maximum
        double top = Double.NEGATIVE_INFINITY;
        for (int j = k; j < classes; j++) {
          top = Math.max(top, studentLogits[r * classes + order.get(j)]);
        }
        double sum = 0;
        for (int j = k; j < classes; j++) {
          sum += Math.exp(studentLogits[r * classes + order.get(j)] - top);
        }
        double lse = top + Math.log(sum);
        double w = p[order.get(k)];
        double s = studentLogits[r * classes + order.get(k)];
        expected += w * (lse - s) / 2;
        magnitude += w * (Math.abs(lse) + Math.abs(s));
        largestLogit = Math.max(largestLogit, Math.max(Math.abs(lse), Math.abs(s)));
        // d/ds_j of w (lse_k - s_k): w softmax_suffix(s)_j - w [j = k]
        for (int j = k; j < classes; j++) {
          int c = order.get(j);
          expectedGradient[r * classes + c] += w * Math.exp(studentLogits[r * classes + c] - lse) / 2;
        }
        expectedGradient[r * classes + order.get(k)] -= w / 2;
      }
    }
    // float32: a recurrence of `classes` log-add-exps (max, two subtractions, two exps, add, log, add: 8 roundings
    // each), the subtraction, the weight (rounded to float32) and the sum over rows x classes; each term is off by
    // at most that many eps32 times its magnitude w (|lse| + |s|)
    int roundings = 8 * classes + 3 + rows * classes;
    double valueTolerance = 2 * Float32Tolerance.EPS32 * roundings * magnitude;
    double value = Djl.value(m, f, studentLogits, rows, classes);
    assertThat(value).as("value").isFinite().isCloseTo(expected, within(valueTolerance));
    // a gradient entry is a sum of weights (at most 1) times softmax probabilities exp(s - lse); lse carries an
    // absolute error of the roundings above times its magnitude (up to 1000), which is a relative error of exp(s - lse)
    double gradientTolerance = 2 * Float32Tolerance.EPS32 * roundings * largestLogit;
    float[] gradient = Djl.gradient(m, f, studentLogits, rows, classes);
    for (int i = 0; i < gradient.length; i++) {
      assertThat((double) gradient[i]).as("d/dz[%d]", i).isFinite().isCloseTo(expectedGradient[i], within(gradientTolerance));
    }
  }

  /** breast-cancer's shape: two classes, the student sure of the true label by a gap of 1200, the teacher not quite. */
  @Test
  void pldOfTwoClassesWithAHugeGapIsTheTeachersWeightOnTheOtherClassTimesZero() {
    float[] studentLogits = {600f, -600f};
    float[] teacherLogits = {5f, -5f};
    DistillationLoss loss = create("pld", null, null, 1.0, 0, 0);
    Function<NDArray, NDArray> f = s -> loss.compute(s.getManager().create(teacherLogits, new Shape(1, 2)), s, null, new long[] {0});
    // terms: w_0 (logaddexp(600, -600) - 600) = w_0 log1p(e^-1200) = 0 in float64, and w_1 (lse of {-600} - (-600)) = 0
    double value = Djl.value(m, f, studentLogits, 1, 2);
    assertThat(value).isFinite().isCloseTo(0.0, within(2 * Float32Tolerance.EPS32 * 12 * 600));
    // the gradient w_0 (softmax_0 - 1) and w_0 softmax_1 + w_1 (1 - 1) is 0 up to the same roundings times its scale 1
    for (float g : Djl.gradient(m, f, studentLogits, 1, 2)) {
      assertThat((double) g).isFinite().isCloseTo(0.0, within(2 * Float32Tolerance.EPS32 * 12));
    }
  }

  @Test
  void crossEntropyMixAddsTheHardTargetLoss() {
    double kd = Reference.mean("reverse_kl", 0, teacher, student, ROWS, V, MASK, 2.0);
    double ce = 0;
    for (int r : new int[] {0, 2}) {
      double[] q = Reference.softmax(student, r * V, V, 1.0);
      ce -= Math.log(q[(int) LABELS[r]]);
    }
    double expected = 0.7 * kd + 0.3 * ce / 2;
    // the divergence's float32 bound, and the cross-entropy's: a log-sum-exp over V of logits in [-2, 2]
    // (terms below e^2, sum below V e^2, log below 2 + log V) minus the label's logit
    double ceTolerance = 2 * Float32Tolerance.EPS32 * (2 * V + 4 + ROWS) * (4 + Math.log(V));
    assertThat(Djl.value(m, of(create("reverse_kl", null, null, 2.0, 0, 0.3), MASK), student, ROWS, V)).isCloseTo(expected,
        within(valueTolerance(2.0) + ceTolerance));
  }

  @ParameterizedTest
  @CsvSource({"kl,,,1.0,0,0", "reverse_kl,,,2.0,0,0", "js,,,1.0,0,0", "jsd,,0.3,1.0,0,0", "jsd,,0.0,1.0,0,0", "jsd,,1.0,1.0,0,0",
      "tv,,,1.0,0,0", "skew_kl,0.1,,1.0,0,0", "skew_reverse_kl,0.1,,1.5,0,0", "skew_kl,,,0.5,0,0",
      "pld,,,1.0,0,0", "kl,,,1.0,2,0", "reverse_kl,,,1.0,3,0", "js,,,1.0,2,0", "kl,,,2.0,0,0.4"})
  void gradientsMatchTheReferenceFormulas(String name, Double alpha, Double beta, double temperature, int topK, double ce) {
    DistillationLoss loss = create(name, alpha, beta, temperature, topK, ce);
    Function<NDArray, NDArray> f = of(loss, MASK);
    float[] autograd = Djl.gradient(m, f, student, ROWS, V);
    double[] z = toDoubles(student);
    double value = referenceLoss(name, alpha, beta, temperature, topK, ce, z);
    assertThat(Djl.value(m, f, student, ROWS, V)).as("%s value", name).isCloseTo(value, within(valueTolerance(temperature)));
    // float64 central differences of the reference (h = 1e-5: truncation h^2 times the third derivative over 6 < 1e-10 for these
    // smooth losses of logits in [-2, 2] at T >= 0.5, cancellation 1e-16 |f| / h < 1e-10)
    double h = 1e-5;
    // the gradient of a row is made of the same terms as its value, over T and the kept rows:
    // the float32 bound of valueTolerance divided by T, plus the central differences' error
    double tolerance = valueTolerance(temperature) / temperature + 1e-9;
    for (int i = 0; i < z.length; i++) {
      double keep = z[i];
      z[i] = keep + h;
      double up = referenceLoss(name, alpha, beta, temperature, topK, ce, z);
      z[i] = keep - h;
      double down = referenceLoss(name, alpha, beta, temperature, topK, ce, z);
      z[i] = keep;
      assertThat((double) autograd[i]).as("%s d/dz[%d]", name, i).isCloseTo((up - down) / (2 * h), within(tolerance));
    }
    // masked rows get no gradient
    for (int i = V; i < 2 * V; i++) {
      assertThat(autograd[i]).isZero();
    }
  }

  /** The loss of ALGORITHMS.md in float64 for student logits {@code z}: token mean over MASK's rows. */
  private static double referenceLoss(String name, Double alpha, Double beta, double t, int topK, double ce, double[] z) {
    double total = 0;
    double crossEntropy = 0;
    int kept = 0;
    for (int r = 0; r < ROWS; r++) {
      if (!MASK[r]) {
        continue;
      }
      kept++;
      double[] p = Reference.softmax(teacher, r * V, V, t);
      double[] q = Reference.softmax(z, r * V, V, t);
      crossEntropy -= Math.log(Reference.softmax(z, r * V, V, 1.0)[(int) LABELS[r]]);
      if (name.equals("pld")) {
        total += pld(p, z, r);
        continue;
      }
      if (topK > 0) {
        // the teacher's k most likely tokens, the rest one bin, for both distributions
        Integer[] order = new Integer[V];
        for (int i = 0; i < V; i++) {
          order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double[] pb = new double[topK + 1];
        double[] qb = new double[topK + 1];
        for (int j = 0; j < V; j++) {
          pb[Math.min(j, topK)] += p[order[j]];
          qb[Math.min(j, topK)] += q[order[j]];
        }
        total += rowValue(name, alpha, beta, pb, qb);
      } else {
        total += rowValue(name, alpha, beta, p, q);
      }
    }
    return (1 - ce) * total / kept + ce * crossEntropy / kept;
  }

  /** A per-token divergence with the job's parameters: skew weight 0.1 by default; jsd's ends are the KLs. */
  private static double rowValue(String name, Double alpha, Double beta, double[] p, double[] q) {
    if (name.equals("jsd") && (beta == 0.0 || beta == 1.0)) {
      return beta == 0.0 ? Reference.kl(p, q) : Reference.kl(q, p);
    }
    double parameter = name.equals("jsd") ? beta : alpha == null ? 0.1 : alpha;
    return Reference.rowValue(name, parameter, p, q);
  }

  /** PLD of one row: the true label first, then by descending teacher probability; raw student scores. */
  private static double pld(double[] p, double[] z, int r) {
    int label = (int) LABELS[r];
    java.util.List<Integer> order = new java.util.ArrayList<>();
    for (int i = 0; i < V; i++) {
      if (i != label) {
        order.add(i);
      }
    }
    order.sort((a, b) -> Double.compare(p[b], p[a]));
    order.add(0, label);
    double value = 0;
    for (int k = 0; k < V; k++) {
      double lse = 0;
      for (int j = k; j < V; j++) {
        lse += Math.exp(z[r * V + order.get(j)]);
      }
      value += p[order.get(k)] * (Math.log(lse) - z[r * V + order.get(k)]);
    }
    return value;
  }

  @Test
  void topKIsRefusedWhereItCannotBeApplied() {
    for (String name : new String[] {"sinkhorn", "akl", "pld"}) {
      assertThatThrownBy(() -> create(name, null, null, 1.0, 5, 0)).as(name)
          .hasMessageContaining("topK").hasMessageContaining("not " + name).hasMessageContaining("skew_reverse_kl");
    }
    // every per-token divergence takes it
    for (String name : DistillationLosses.PER_TOKEN) {
      assertThat(create(name, null, null, 1.0, 2, 0)).as(name).isInstanceOf(DivergenceLogitsLoss.class);
    }
  }
}
