package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.trainer.Djl;
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
      assertThat(value).isCloseTo(Math.log(2) / 4, within(1e-6));
      // TV of the same pair: (1/4 + 1/4 + 0) / 2
      double tv = create("tv", null, null, 1.0, 0, 0).compute(sub.create(p, new Shape(1, 3)), sub.create(q, new Shape(1, 3)), null, null).getFloat();
      assertThat(tv).isCloseTo(0.25, within(1e-6));
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
    assertThat(Djl.value(m, of(loss, MASK), student, ROWS, V)).isCloseTo(expected, within(2e-6));
  }

  @Test
  void skewLossesDefaultToAlphaOneTenth() {
    double expected = Reference.mean("skew_kl", 0.1, teacher, student, ROWS, V, null, 1.0);
    assertThat(Djl.value(m, of(create("skew_kl", null, null, 1.0, 0, 0), null), student, ROWS, V)).isCloseTo(expected, within(2e-6));
  }

  @Test
  void generalisedJsdLimitsAreForwardAndReverseKl() {
    double forward = Reference.mean("kl", 0, teacher, student, ROWS, V, MASK, 1.0);
    double reverse = Reference.mean("reverse_kl", 0, teacher, student, ROWS, V, MASK, 1.0);
    assertThat(Djl.value(m, of(create("jsd", null, 0.0, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(forward, within(2e-6));
    assertThat(Djl.value(m, of(create("jsd", null, 1.0, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(reverse, within(2e-6));
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
    assertThat(Djl.value(m, of(loss, null), student, ROWS, V)).isCloseTo(expected / ROWS, within(2e-6));
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
    assertThat(Djl.value(m, of(create("akl", null, null, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(expected / 2, within(2e-6));
  }

  @Test
  void pldIsTheListwiseLossWithTheTrueLabelFirst() {
    double expected = 0;
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
      }
    }
    assertThat(Djl.value(m, of(create("pld", null, null, 1.0, 0, 0), MASK), student, ROWS, V)).isCloseTo(expected / 2, within(2e-5));
    assertThatThrownBy(() -> DistillationLosses.create(new DistillationSpec("t", DivergenceChoice.of("pld"), 1.0, 0.0, 0.0, false, 0, null), false))
        .hasMessageContaining("classifiers");
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
    assertThat(Djl.value(m, of(create("reverse_kl", null, null, 2.0, 0, 0.3), MASK), student, ROWS, V)).isCloseTo(expected, within(5e-6));
  }

  @ParameterizedTest
  @CsvSource({"kl,,,1.0,0,0", "reverse_kl,,,2.0,0,0", "js,,,1.0,0,0", "jsd,,0.3,1.0,0,0", "jsd,,0.0,1.0,0,0", "jsd,,1.0,1.0,0,0",
      "tv,,,1.0,0,0", "skew_kl,0.1,,1.0,0,0", "skew_reverse_kl,0.1,,1.5,0,0", "sinkhorn,,,1.0,0,0",
      "pld,,,1.0,0,0", "kl,,,1.0,2,0", "reverse_kl,,,1.0,3,0", "kl,,,2.0,0,0.4"})
  void gradientsMatchFiniteDifferences(String name, Double alpha, Double beta, double temperature, int topK, double ce) {
    DistillationLoss loss = create(name, alpha, beta, temperature, topK, ce);
    Function<NDArray, NDArray> f = of(loss, MASK);
    float[] autograd = Djl.gradient(m, f, student, ROWS, V);
    double[] numeric = Djl.finiteDifferences(m, f, student, ROWS, V, 1e-2f);
    for (int i = 0; i < autograd.length; i++) {
      // tv is piecewise linear: its finite differences are exact away from kinks
      assertThat((double) autograd[i]).as("%s d/dz[%d]", name, i).isCloseTo(numeric[i], within(name.equals("tv") ? 1e-3 : 2e-3));
    }
    // masked rows get no gradient
    for (int i = V; i < 2 * V; i++) {
      assertThat(autograd[i]).isZero();
    }
  }

  @Test
  void topKIsRefusedWhereItCannotBeApplied() {
    assertThatThrownBy(() -> create("sinkhorn", null, null, 1.0, 5, 0)).hasMessageContaining("topK");
    assertThat(DivergenceRegistry.create("jsd", 0.5)).isNotNull();
  }
}
