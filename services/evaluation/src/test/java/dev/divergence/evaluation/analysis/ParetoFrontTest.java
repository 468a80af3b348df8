package dev.divergence.evaluation.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Pareto-optimal subset, on cases worked out by hand. Axes: reward (max), divergence (min), diversity (max). */
class ParetoFrontTest {

  private static final List<Goal> FRONTIER = List.of(Goal.MAXIMISE, Goal.MINIMISE, Goal.MAXIMISE);

  @Test
  void handWorkedFrontier() {
    List<double[]> points = List.of(
        new double[] {0.8, 0.30, 5.0},  // 0: best reward
        new double[] {0.6, 0.10, 4.0},  // 1: least divergence
        new double[] {0.5, 0.20, 3.0},  // 2: dominated by 1 (less reward, more divergence, less diversity)
        new double[] {0.4, 0.50, 7.0},  // 3: most diverse
        new double[] {0.8, 0.35, 5.0},  // 4: dominated by 0 (same reward and diversity, more divergence)
        new double[] {0.7, 0.25, 4.5}); // 5: not dominated (0 diverges more, 1 has less reward)
    assertThat(ParetoFront.of(points, FRONTIER)).containsExactly(0, 1, 3, 5);
  }

  @Test
  void equalPointsDoNotDominateEachOther() {
    List<double[]> points = List.of(new double[] {0.5, 0.1, 2.0}, new double[] {0.5, 0.1, 2.0}, new double[] {0.4, 0.1, 2.0});
    assertThat(ParetoFront.of(points, FRONTIER)).containsExactly(0, 1);
  }

  @Test
  void theGoalOfAnAxisDecidesItsDirection() {
    // self_similarity as the diversity axis: smaller is better, so point 1 now wins that axis
    List<double[]> points = List.of(new double[] {0.5, 0.1, 0.9}, new double[] {0.5, 0.1, 0.2});
    assertThat(ParetoFront.of(points, FRONTIER)).containsExactly(0);
    assertThat(ParetoFront.of(points, List.of(Goal.MAXIMISE, Goal.MINIMISE, Goal.MINIMISE))).containsExactly(1);
  }

  @Test
  void emptyAndSinglePointSets() {
    assertThat(ParetoFront.of(List.of(), FRONTIER)).isEmpty();
    assertThat(ParetoFront.of(List.<double[]>of(new double[] {0, 0, 0}), FRONTIER)).containsExactly(0);
  }

  @Test
  void seededRandomSetsSatisfyTheDefinition() {
    long seed = 20261206L;
    System.out.println("ParetoFrontTest seed " + seed);
    Random random = new Random(seed);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(30);
      List<double[]> points = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        // a coarse grid makes ties on some axes frequent
        points.add(new double[] {random.nextInt(5), random.nextInt(5), random.nextInt(5)});
      }
      List<Integer> front = ParetoFront.of(points, FRONTIER);
      for (int i = 0; i < n; i++) {
        boolean dominated = false;
        for (int j = 0; j < n; j++) {
          double[] x = points.get(j);
          double[] y = points.get(i);
          boolean noWorse = x[0] >= y[0] && x[1] <= y[1] && x[2] >= y[2];
          boolean better = x[0] > y[0] || x[1] < y[1] || x[2] > y[2];
          dominated |= noWorse && better;
        }
        assertThat(front.contains(i)).as("seed %d trial %d point %d of %s", seed, trial, i, points.stream()
            .map(java.util.Arrays::toString).toList()).isEqualTo(!dominated);
      }
      assertThat(front).as("seed %d trial %d: a non-empty set has a non-empty front", seed, trial).isNotEmpty();
    }
  }

  @Test
  void refusesNaNAndWrongArity() {
    assertThatThrownBy(() -> ParetoFront.of(List.<double[]>of(new double[] {Double.NaN, 0, 0}), FRONTIER))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ParetoFront.of(List.<double[]>of(new double[] {0, 0}), FRONTIER))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
