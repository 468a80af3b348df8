package dev.divergence.training.trainer.rl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The importance-sampled estimates on a small categorical space where every quantity is known
 * exactly: each estimate is a mean of n i.i.d. terms T(x), x ~ q, so it must lie within a few
 * standard errors sqrt(Var_q[T] / n) of E_q[T], and E_q[T] must be the exact divergence. The
 * variance is computed exactly from the distributions, so the tolerance is derived, not fitted:
 * 5 standard errors (a false failure has probability ~6e-7 per check).
 */
class ImportanceSampledDivergencesTest {

  private static final int K = 6;
  private static final int N = 40_000;

  private record Setup(double[] target, double z, double[] policy, double[] proposal, double[] base, boolean[] satisfied) {}

  /** An unnormalised target P = a b with a constraint b rejecting two outcomes; policy, proposal, base full-support. */
  private static Setup setup(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] base = distribution(random);
    boolean[] satisfied = new boolean[K];
    double[] target = new double[K];
    double z = 0;
    for (int x = 0; x < K; x++) {
      satisfied[x] = x % 3 != 0;
      target[x] = satisfied[x] ? base[x] : 0;
      z += target[x];
    }
    return new Setup(target, z, distribution(random), distribution(random), base, satisfied);
  }

  private static double[] distribution(SplittableRandom random) {
    double[] p = new double[K];
    double sum = 0;
    for (int x = 0; x < K; x++) {
      p[x] = 0.2 + random.nextDouble();
      sum += p[x];
    }
    for (int x = 0; x < K; x++) {
      p[x] /= sum;
    }
    return p;
  }

  private static double log(double v) {
    return v == 0 ? Double.NEGATIVE_INFINITY : Math.log(v);
  }

  /** Exact E_q[T] and Var_q[T] of a per-outcome term T(x). */
  private static double[] moments(double[] q, IntToDoubleFunction term) {
    double mean = 0;
    double square = 0;
    for (int x = 0; x < K; x++) {
      double t = term.applyAsDouble(x);
      mean += q[x] * t;
      square += q[x] * t * t;
    }
    return new double[] {mean, square - mean * mean};
  }

  @Test
  void estimatesAreWithinTheirStandardErrorOfTheExactValues() {
    long seed = 4242L;
    System.out.println("ImportanceSampledDivergencesTest seed " + seed);
    Setup s = setup(seed);
    double[] p = new double[K];
    for (int x = 0; x < K; x++) {
      p[x] = s.target()[x] / s.z();
    }
    double[] pi = s.policy();
    double[] q = s.proposal();
    // the exact divergences, computed directly over the K outcomes
    double kl = 0;
    double klBase = 0;
    double tv = 0;
    double js = 0;
    double satisfaction = 0;
    for (int x = 0; x < K; x++) {
      kl += p[x] == 0 ? 0 : p[x] * Math.log(p[x] / pi[x]);
      klBase += pi[x] * Math.log(pi[x] / s.base()[x]);
      tv += Math.abs(p[x] - pi[x]) / 2;
      double m = (p[x] + pi[x]) / 2;
      js += ((p[x] == 0 ? 0 : p[x] * Math.log(p[x] / m)) + pi[x] * Math.log(pi[x] / m)) / 2;
      satisfaction += s.satisfied()[x] ? pi[x] : 0;
    }
    // the terms each estimator averages, for their exact mean and variance
    double[][] checks = {
        moments(q, x -> s.target()[x] / q[x]),
        moments(q, x -> p[x] == 0 ? 0 : p[x] / q[x] * Math.log(p[x] / pi[x])),
        moments(q, x -> pi[x] / q[x] * Math.log(pi[x] / s.base()[x])),
        moments(q, x -> Math.abs(p[x] - pi[x]) / q[x] / 2),
        moments(q, x -> ((p[x] == 0 ? 0 : p[x] * Math.log(2 * p[x] / (p[x] + pi[x]))) + pi[x] * Math.log(2 * pi[x] / (p[x] + pi[x]))) / q[x] / 2),
        moments(q, x -> s.satisfied()[x] ? pi[x] / q[x] : 0)};
    double[] exact = {s.z(), kl, klBase, tv, js, satisfaction};
    for (int c = 0; c < exact.length; c++) {
      assertThat(checks[c][0]).as("E_q of term %d is the exact value", c).isCloseTo(exact[c], org.assertj.core.data.Offset.offset(1e-12));
    }

    SplittableRandom random = new SplittableRandom(seed + 1);
    double[] logTarget = new double[N];
    double[] logPolicy = new double[N];
    double[] logProposal = new double[N];
    double[] logBase = new double[N];
    boolean[] satisfied = new boolean[N];
    for (int i = 0; i < N; i++) {
      int x = sample(q, random);
      logTarget[i] = log(s.target()[x]);
      logPolicy[i] = Math.log(pi[x]);
      logProposal[i] = Math.log(q[x]);
      logBase[i] = Math.log(s.base()[x]);
      satisfied[i] = s.satisfied()[x];
    }
    double logZ = Math.log(s.z());
    double[] estimates = {
        ImportanceSampledDivergences.partition(logTarget, logProposal),
        ImportanceSampledDivergences.klTargetPolicy(logTarget, logZ, logPolicy, logProposal),
        ImportanceSampledDivergences.klPolicyBase(logPolicy, logBase, logProposal),
        ImportanceSampledDivergences.tv(logTarget, logZ, logPolicy, logProposal),
        ImportanceSampledDivergences.js(logTarget, logZ, logPolicy, logProposal),
        ImportanceSampledDivergences.constraintSatisfaction(satisfied, logPolicy, logProposal)};
    String[] names = {"Z", "KL(p||pi)", "KL(pi||a)", "TV", "JS", "E_pi[b]"};
    for (int c = 0; c < exact.length; c++) {
      double standardError = Math.sqrt(checks[c][1] / N);
      System.out.printf("%-10s exact %.6f estimate %.6f (se %.2e)%n", names[c], exact[c], estimates[c], standardError);
      assertThat(estimates[c]).as(names[c]).isCloseTo(exact[c], org.assertj.core.data.Offset.offset(5 * standardError + 1e-12));
    }
    assertThat(js).isLessThanOrEqualTo(Math.log(2));
  }

  @Test
  void theAverageOfManySmallEstimatesConvergesToTheExactValue() {
    // unbiasedness: R runs of n samples average to E_q[T] within 5 sqrt(Var / (R n))
    long seed = 77L;
    Setup s = setup(seed);
    double[] q = s.proposal();
    double[] pi = s.policy();
    int runs = 400;
    int n = 50;
    SplittableRandom random = new SplittableRandom(seed);
    double sum = 0;
    for (int r = 0; r < runs; r++) {
      double[] logTarget = new double[n];
      double[] logPolicy = new double[n];
      double[] logProposal = new double[n];
      for (int i = 0; i < n; i++) {
        int x = sample(q, random);
        logTarget[i] = log(s.target()[x]);
        logPolicy[i] = Math.log(pi[x]);
        logProposal[i] = Math.log(q[x]);
      }
      sum += ImportanceSampledDivergences.tv(logTarget, Math.log(s.z()), logPolicy, logProposal);
    }
    double[] m = moments(q, x -> Math.abs(s.target()[x] / s.z() - pi[x]) / q[x] / 2);
    assertThat(sum / runs).isCloseTo(m[0], org.assertj.core.data.Offset.offset(5 * Math.sqrt(m[1] / ((double) runs * n))));
  }

  @Test
  void logMeanExpHandlesInfinitiesAndLargeValues() {
    assertThat(ImportanceSampledDivergences.logMeanExp(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(ImportanceSampledDivergences.logMeanExp(Double.NEGATIVE_INFINITY, 0)).isCloseTo(-Math.log(2), org.assertj.core.data.Offset.offset(1e-15));
    assertThat(ImportanceSampledDivergences.logMeanExp(1000, 1000)).isCloseTo(1000, org.assertj.core.data.Offset.offset(1e-12));
  }

  private static int sample(double[] q, SplittableRandom random) {
    double u = random.nextDouble();
    double c = 0;
    for (int x = 0; x < q.length; x++) {
      c += q[x];
      if (u < c) {
        return x;
      }
    }
    return q.length - 1;
  }
}
