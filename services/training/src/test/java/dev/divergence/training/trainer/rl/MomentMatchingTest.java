package dev.divergence.training.trainer.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Moment matching against a known lambda*: on a categorical space the moments mu of
 * p* proportional to a exp(lambda* . phi) are computed exactly, then lambda is fitted back, from the
 * enumerated space (exact) and from samples of a (within the sampling error).
 */
class MomentMatchingTest {

  private static final int K = 8;
  private static final double[] LAMBDA_STAR = {0.8, -0.5};

  private static double[][] features() {
    double[][] phi = new double[K][];
    for (int x = 0; x < K; x++) {
      phi[x] = new double[] {x % 2, x / 4.0}; // "is odd" and a graded feature
    }
    return phi;
  }

  private static double[] base() {
    double[] a = new double[K];
    double sum = 0;
    for (int x = 0; x < K; x++) {
      a[x] = 1.0 + x;
      sum += a[x];
    }
    for (int x = 0; x < K; x++) {
      a[x] /= sum;
    }
    return a;
  }

  /** E_{p*}[phi], computed directly. */
  private static double[] targetMoments(double[] a, double[][] phi) {
    double[] mu = new double[2];
    double z = 0;
    for (int x = 0; x < K; x++) {
      double w = a[x] * Math.exp(LAMBDA_STAR[0] * phi[x][0] + LAMBDA_STAR[1] * phi[x][1]);
      z += w;
      mu[0] += w * phi[x][0];
      mu[1] += w * phi[x][1];
    }
    mu[0] /= z;
    mu[1] /= z;
    return mu;
  }

  @Test
  void recoversLambdaExactlyOnTheEnumeratedSpace() {
    double[] a = base();
    double[][] phi = features();
    double[] logA = new double[K];
    for (int x = 0; x < K; x++) {
      logA[x] = Math.log(a[x]); // each outcome once, weighted by a: the exact expectation
    }
    MomentMatching.Fit fit = MomentMatching.fit(phi, logA, targetMoments(a, phi), null);
    // Newton converges quadratically to |moments - mu| <= 1e-9; lambda's error is that over the
    // smallest covariance eigenvalue (~0.05 here), so 1e-7
    assertThat(fit.lambda()[0]).isCloseTo(LAMBDA_STAR[0], org.assertj.core.data.Offset.offset(1e-7));
    assertThat(fit.lambda()[1]).isCloseTo(LAMBDA_STAR[1], org.assertj.core.data.Offset.offset(1e-7));
    assertThat(fit.iterations()).isLessThan(30);
  }

  @Test
  void recoversLambdaFromSamplesOfTheBase() {
    long seed = 99L;
    System.out.println("MomentMatchingTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    double[] a = base();
    double[][] phi = features();
    int n = 50_000;
    double[][] samples = new double[n][];
    for (int i = 0; i < n; i++) {
      double u = random.nextDouble();
      double c = 0;
      int x = K - 1;
      for (int j = 0; j < K; j++) {
        c += a[j];
        if (u < c) {
          x = j;
          break;
        }
      }
      samples[i] = phi[x];
    }
    MomentMatching.Fit fit = MomentMatching.fit(samples, null, targetMoments(a, phi), null);
    // sampling error of the weighted moments ~ sd / sqrt(n) ~ 0.5 / 224 ~ 2e-3, divided by the
    // covariance (~0.05-0.25) gives ~0.01-0.04 on lambda; 0.15 is > 4 of those standard errors
    assertThat(fit.lambda()[0]).isCloseTo(LAMBDA_STAR[0], org.assertj.core.data.Offset.offset(0.15));
    assertThat(fit.lambda()[1]).isCloseTo(LAMBDA_STAR[1], org.assertj.core.data.Offset.offset(0.15));
  }

  @Test
  void momentsOutsideTheSampledRangeAreRejected() {
    double[][] phi = features();
    // "is odd" is 0 or 1: a mean of 1.2 cannot be matched by any lambda
    assertThatThrownBy(() -> MomentMatching.fit(phi, null, new double[] {1.2, 0.5}, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be matched");
    assertThatThrownBy(() -> MomentMatching.fit(phi, null, new double[] {0.5}, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("columns");
  }
}
