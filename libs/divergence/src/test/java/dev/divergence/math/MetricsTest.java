package dev.divergence.math;

import dev.divergence.math.calibration.BinEdges;
import dev.divergence.math.calibration.Calibration;
import dev.divergence.math.calibration.CalibrationNorm;
import dev.divergence.math.calibration.ReliabilityBin;
import dev.divergence.math.diversity.VendiScore;
import dev.divergence.math.evaluation.PassAtK;
import dev.divergence.math.stats.RunningStatistics;
import dev.divergence.math.transport.Sinkhorn;
import dev.divergence.math.transport.SinkhornOptions;
import dev.divergence.math.transport.SinkhornResult;
import dev.divergence.math.transport.Wasserstein1D;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Hand-checked values and input validation for the metric kernels. */
class MetricsTest {

    @Test
    void wassersteinOneDimensionalHandChecked() {
        // a pure shift moves every unit of mass by 5
        assertThat(Wasserstein1D.distance(new double[]{0, 1, 3}, new double[]{5, 6, 8})).isEqualTo(5.0);
        // weights 3:1 vs 2:2 on {0, 1}: a quarter of the mass moves by 1 (scipy docstring example)
        assertThat(Wasserstein1D.distance(new double[]{0, 1}, new double[]{3, 1}, new double[]{0, 1}, new double[]{2, 2}, 1))
                .isCloseTo(0.25, within(1e-15));
        // scipy docstring example with unequal sizes and weights
        assertThat(Wasserstein1D.distance(new double[]{3.4, 3.9, 7.5, 7.8}, new double[]{1.4, 0.9, 3.1, 7.2},
                new double[]{4.5, 1.4}, new double[]{3.2, 3.5}, 1)).isCloseTo(4.0781331438047861, within(1e-12));
        // W2: half of the mass moves by 2 -> sqrt(0.5 * 4)
        assertThat(Wasserstein1D.distance(new double[]{0, 0}, null, new double[]{0, 2}, null, 2))
                .isCloseTo(Math.sqrt(2), within(1e-15));
        // unsorted input and a shift: every p gives the shift
        assertThat(Wasserstein1D.distance(new double[]{3, 1, 2}, null, new double[]{3.5, 1.5, 2.5}, null, 3))
                .isCloseTo(0.5, within(1e-15));
        assertThatThrownBy(() -> Wasserstein1D.distance(new double[]{0, Double.NaN}, new double[]{1}))
                .hasMessageStartingWith("u[1]");
        assertThatThrownBy(() -> Wasserstein1D.distance(new double[]{0}, new double[]{-1}, new double[]{1}, null, 1))
                .hasMessageStartingWith("uWeights[0]");
        assertThatThrownBy(() -> Wasserstein1D.distance(new double[]{0}, null, new double[]{1}, null, 0.5))
                .hasMessageStartingWith("p:");
        assertThatThrownBy(() -> Wasserstein1D.distance(new double[0], new double[]{1})).hasMessageStartingWith("u:");
    }

    @Test
    void sinkhornBatchNonSquareAndValidation() {
        Random random = new Random(5);
        double[][] a = new double[4][];
        double[][] b = new double[4][];
        double[][] costs = new double[4][];
        for (int k = 0; k < 4; k++) {
            a[k] = simplex(random, 5);
            b[k] = simplex(random, 3);
            costs[k] = new double[15];
            for (int i = 0; i < 15; i++) {
                costs[k][i] = random.nextDouble();
            }
        }
        SinkhornOptions options = SinkhornOptions.of(0.05).withPlan(true);
        SinkhornResult[] all = Sinkhorn.solveAll(a, b, costs, options);
        for (int k = 0; k < 4; k++) {
            SinkhornResult one = Sinkhorn.solve(a[k], b[k], costs[k], options);
            assertThat(all[k].cost()).isEqualTo(one.cost());
            assertThat(one.converged()).isTrue();
            // both marginals of the returned plan
            for (int i = 0; i < 5; i++) {
                double row = 0;
                for (int j = 0; j < 3; j++) {
                    row += one.plan()[i * 3 + j];
                }
                assertThat(row).isCloseTo(a[k][i], within(1e-9));
            }
            for (int j = 0; j < 3; j++) {
                double col = 0;
                for (int i = 0; i < 5; i++) {
                    col += one.plan()[i * 3 + j];
                }
                assertThat(col).isCloseTo(b[k][j], within(1e-9));
            }
        }
        SinkhornResult capped = Sinkhorn.solve(a[0], b[0], costs[0], SinkhornOptions.of(1e-3).withEpsilonScaling(false)
                .withMaxIterations(3).withTolerance(1e-15));
        assertThat(capped.converged()).isFalse();
        assertThat(capped.iterations()).isEqualTo(3);
        assertThatThrownBy(() -> Sinkhorn.solve(new double[]{0.5, 0.5}, new double[]{0.5, 0.6}, new double[4], options))
                .hasMessageStartingWith("b: has total mass");
        assertThatThrownBy(() -> Sinkhorn.solve(new double[]{1.5, -0.5}, new double[]{0.5, 0.5}, new double[4], options))
                .hasMessageStartingWith("a[1]");
        assertThatThrownBy(() -> Sinkhorn.solve(new double[]{0.5, 0.5}, new double[]{0.5, 0.5}, new double[]{0, 1, Double.NaN, 0}, options))
                .hasMessageStartingWith("cost[2]");
        assertThatThrownBy(() -> Sinkhorn.solve(new double[]{0.5, 0.5}, new double[]{0.5, 0.5}, new double[3], options))
                .hasMessageStartingWith("cost: has length 3");
        assertThatThrownBy(() -> SinkhornOptions.of(0)).hasMessageStartingWith("epsilon");
    }

    @Test
    void sinkhornSurvivesAKernelThatUnderflows() {
        // exp(-M/eps) underflows to 0 for every off-diagonal cell (10 / 1e-3 = 1e4): the scaling
        // iterations cannot run there, the log-domain sweep takes over and still finds the identity plan
        int n = 4;
        double[] cost = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                cost[i * n + j] = i == j ? 0.0 : 10.0 + i + j;
            }
        }
        double[] w = {0.25, 0.25, 0.25, 0.25};
        for (boolean scaling : new boolean[]{false, true}) {
            SinkhornResult r = Sinkhorn.solve(w, w, cost, SinkhornOptions.of(1e-3).withEpsilonScaling(scaling).withPlan(true));
            assertThat(r.converged()).isTrue();
            assertThat(r.cost()).isCloseTo(0.0, within(1e-12));
            for (int i = 0; i < n; i++) {
                assertThat(r.plan()[i * n + i]).isCloseTo(0.25, within(1e-12));
            }
        }
    }

    static double[] simplex(Random random, int n) {
        double[] x = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) {
            x[i] = 0.1 + random.nextDouble();
            s += x[i];
        }
        for (int i = 0; i < n; i++) {
            x[i] /= s;
        }
        return x;
    }

    @Test
    void passAtKHandChecksAndValidation() {
        // n = 2, c = 1: pass@1 = 1/2, pass@2 = 1
        assertThat(PassAtK.allK(2, 1)).containsExactly(0.5, 1.0);
        // n = 4, c = 2, k = 2: 1 - C(2,2)/C(4,2) = 1 - 1/6
        assertThat(PassAtK.estimate(4, 2, 2)).isCloseTo(5.0 / 6, within(1e-15));
        assertThat(PassAtK.mean(new int[]{2, 4}, new int[]{1, 2}, 2)).isCloseTo((1 + 5.0 / 6) / 2, within(1e-15));
        assertThatThrownBy(() -> PassAtK.estimate(5, 6, 1)).hasMessageStartingWith("c: must be in [0, n = 5]");
        assertThatThrownBy(() -> PassAtK.estimate(5, 1, 0)).hasMessageStartingWith("k:");
        assertThatThrownBy(() -> PassAtK.mean(new int[]{5, 0}, new int[]{1, 0}, 1)).hasMessageStartingWith("problems[1]");
    }

    /** k draws without replacement from n samples need k <= n; human-eval's 1.0 there would claim a pass with c = 0. */
    @Test
    void passAtKRejectsMoreDrawsThanSamples() {
        assertThatThrownBy(() -> PassAtK.estimate(5, 0, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("k: must be at most n = 5 but is 10");
        assertThatThrownBy(() -> PassAtK.estimate(5, 2, 6)).hasMessage("k: must be at most n = 5 but is 6");
        assertThatThrownBy(() -> PassAtK.mean(new int[]{10, 3}, new int[]{1, 0}, 4))
                .hasMessage("problems[1]: k: must be at most n = 3 but is 4");
        // k = n is still defined: with one correct sample among n, n draws always include it
        assertThat(PassAtK.estimate(5, 1, 5)).isEqualTo(1.0);
        assertThat(PassAtK.estimate(5, 0, 5)).isEqualTo(0.0);
    }

    @Test
    void calibrationHandChecksAndValidation() {
        // one bin: ECE = |accuracy - mean confidence|
        double[] conf = {0.9, 0.8, 0.7, 0.6};
        double[] acc = {1, 1, 0, 0};
        assertThat(Calibration.error(conf, acc, 1, CalibrationNorm.L1)).isCloseTo(Math.abs(0.5 - 0.75), within(1e-15));
        ReliabilityBin[] bins = Calibration.reliability(conf, acc, 2, BinEdges.NUMPY_HISTOGRAM);
        assertThat(bins).hasSize(2);
        assertThat(bins[0].count()).isZero();
        assertThat(bins[0].meanConfidence()).isNaN();
        assertThat(bins[1].count()).isEqualTo(4);
        assertThat(Calibration.brier(new double[][]{{0.7, 0.2, 0.1}}, new int[]{0})).isCloseTo(0.14, within(1e-15));
        assertThat(Calibration.brierBinary(new double[]{0.8, 0.3}, new double[]{1, 0})).isCloseTo((0.04 + 0.09) / 2, within(1e-15));
        assertThatThrownBy(() -> Calibration.error(new double[]{0.5, 1.2}, new double[]{1, 1}, 10, CalibrationNorm.L1))
                .hasMessageStartingWith("confidences[1]");
        assertThatThrownBy(() -> Calibration.error(conf, acc, 0, CalibrationNorm.L1)).hasMessageStartingWith("bins");
        assertThatThrownBy(() -> Calibration.topLabel(new double[][]{{0.5, 0.5}}, new int[]{2})).hasMessageStartingWith("targets[0]");
        assertThatThrownBy(() -> Calibration.error(new double[0], new double[0], 3, CalibrationNorm.L1)).hasMessageStartingWith("confidences");
        // the parallel path (>= 65536 samples) gives the serial result
        Random random = new Random(6);
        int n = 200_000;
        double[] c = new double[n];
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = random.nextDouble();
            a[i] = random.nextDouble() < c[i] * 0.9 ? 1 : 0;
        }
        double serialSum = 0;
        double[] confSum = new double[15];
        double[] accSum = new double[15];
        double[] count = new double[15];
        for (int i = 0; i < n; i++) {
            int bin = Math.min((int) (c[i] * 15), 14);
            confSum[bin] += c[i];
            accSum[bin] += a[i];
            count[bin]++;
        }
        for (int b = 0; b < 15; b++) {
            serialSum += count[b] / n * Math.abs(accSum[b] / count[b] - confSum[b] / count[b]);
        }
        assertThat(Calibration.error(c, a, 15, CalibrationNorm.L1)).isCloseTo(serialSum, within(1e-12));
    }

    @Test
    void vendiValidation() {
        assertThatThrownBy(() -> VendiScore.score(new double[][]{{1, 0.5}, {0.4, 1}}, 1)).hasMessageStartingWith("similarity[2]");
        assertThatThrownBy(() -> VendiScore.score(new double[][]{{1, 0}, {0, 1}}, -1)).hasMessageStartingWith("q:");
        // n distinct items: score n for every order
        assertThat(VendiScore.score(new double[][]{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 2)).isCloseTo(3, within(1e-12));
    }

    @Test
    void runningStatisticsAndConfidenceInterval() {
        RunningStatistics all = new RunningStatistics();
        RunningStatistics left = new RunningStatistics();
        RunningStatistics right = new RunningStatistics();
        for (int i = 1; i <= 10; i++) {
            all.add(i);
            (i <= 4 ? left : right).add(i);
        }
        assertThat(all.mean()).isEqualTo(5.5);
        assertThat(all.variance()).isCloseTo(55.0 / 6, within(1e-12)); // sum (i - 5.5)^2 / 9 = 82.5 / 9
        left.merge(right);
        assertThat(left.count()).isEqualTo(10);
        assertThat(left.mean()).isCloseTo(5.5, within(1e-15));
        assertThat(left.variance()).isCloseTo(55.0 / 6, within(1e-12));
        assertThat(left.min()).isEqualTo(1);
        assertThat(left.max()).isEqualTo(10);
        RunningStatistics.Interval ci = all.confidenceInterval(0.95);
        // t_{0.975, 9} = 2.262157 from printed t tables (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2), given
        // to 6 decimals: the half width may differ by 5e-7 times the standard error sqrt(55/6/10) < 1
        double half = 2.262157 * Math.sqrt(55.0 / 6 / 10);
        assertThat(ci.lower()).isCloseTo(5.5 - half, within(5e-7));
        assertThat(ci.upper()).isCloseTo(5.5 + half, within(5e-7));
        assertThat(ci.level()).isEqualTo(0.95);
        assertThatThrownBy(() -> all.add(Double.NaN)).hasMessageStartingWith("value[10]");
        assertThatThrownBy(() -> new RunningStatistics().addAll(new double[]{1, Double.POSITIVE_INFINITY}))
                .hasMessageStartingWith("values[1]");
        assertThatThrownBy(() -> new RunningStatistics().add(1).confidenceInterval(0.95)).hasMessageStartingWith("count");
        assertThatThrownBy(() -> all.confidenceInterval(1.0)).hasMessageStartingWith("level");
    }

    @Test
    void probabilityInputValidation() {
        var kl = dev.divergence.math.divergence.DivergenceRegistry.create("kl");
        assertThatThrownBy(() -> kl.between(new double[]{0.5, -0.1, 0.6}, new double[]{0.3, 0.3, 0.4}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("p[1]: must not be negative");
        assertThatThrownBy(() -> kl.between(new double[]{0.5, 0.5}, new double[]{0.3, Double.NaN}))
                .hasMessageStartingWith("q[1]: must be finite");
        assertThatThrownBy(() -> kl.between(new double[]{1, 2}, new double[]{0.5, 0.5}))
                .hasMessageStartingWith("p: sums to 3.0, not 1");
        assertThat(kl.between(new double[]{1, 2}, new double[]{2, 1}, Normalisation.NORMALISE))
                .isCloseTo(Math.log(2) / 3, within(1e-15)); // (1/3) log(1/2) + (2/3) log 2
        assertThatThrownBy(() -> kl.between(new double[]{0.5, 0.5}, new double[]{1.0}))
                .hasMessageStartingWith("q: has length 1 but 2");
        assertThatThrownBy(() -> kl.between(new double[0], new double[0])).hasMessageStartingWith("p: must not be empty");
        assertThatThrownBy(() -> kl.between(new double[]{0, 0}, new double[]{0.5, 0.5}, Normalisation.NORMALISE))
                .hasMessageStartingWith("p: sums to 0");
    }
}
