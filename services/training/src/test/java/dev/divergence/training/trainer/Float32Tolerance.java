package dev.divergence.training.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;

/**
 * How far two float32 computations of the same gradient may differ, from the computation rather than
 * from one machine's output. A float32 reduction of L terms is off by at most L eps32 times the sum of
 * its terms' magnitudes (eps32 = 2^-24 per rounding, Higham's gamma_L); a chain of reductions adds
 * their lengths. Two computations that order the reductions differently (chunked against whole,
 * AVX-512 against AVX2 kernels) therefore differ by at most {@code 2 eps32 L} times the magnitudes
 * involved.
 *
 * <p>Which magnitudes: the test computes S_i, the summed magnitudes of the contributions to element i
 * (per sequence or per row, alongside). A per-element bound 2 eps32 L S_i is not enough: inside the
 * computation, a logit's gradient q_v (X_v - sum_k q_k X_k) carries the rounding of a sum over the
 * whole vocabulary even where it is tiny itself, so a rarely used token's gradient (1e-8 against 0.1
 * for the tensor's largest) is off by 3e-4 of itself. Every partial result of a tensor's computation
 * is bounded by the tensor's largest magnitude S_max, so the bound used is the normwise one,
 * {@code 2 eps32 L S_max} for every element of the tensor. Errors of the inputs that one side carries
 * and the other not (a float32 sum of log-probabilities against a float64 one) are added elementwise
 * as {@code extra}, bounded by the test.
 */
public final class Float32Tolerance {

  /** float32 unit roundoff, 2^-24. */
  public static final double EPS32 = 0x1p-24;

  private Float32Tolerance() {
  }

  /**
   * Asserts every element of {@code actual} within the tolerance of {@code expected}.
   *
   * @param magnitudes per parameter, S_i: the summed magnitudes of the contributions to each element (their
   *     largest is the tensor's scale)
   * @param reductionLength L: the summed lengths of the float32 reductions on the way to an element
   * @param extra per parameter, an additional per-element bound (null for none)
   * @return the largest |expected| seen (for a check that the gradients are not all zero)
   */
  public static double assertGradientsClose(Map<String, float[]> expected, Map<String, float[]> actual,
      Map<String, double[]> magnitudes, long reductionLength, Map<String, double[]> extra) {
    double largest = 0;
    double worst = 0;
    String worstAt = "";
    for (String name : expected.keySet()) {
      float[] a = expected.get(name);
      float[] b = actual.get(name);
      double[] s = magnitudes.get(name);
      double max = 0;
      for (double v : s) {
        max = Math.max(max, v);
      }
      for (int i = 0; i < a.length; i++) {
        double tolerance = 2 * EPS32 * reductionLength * max + (extra == null ? 0 : extra.get(name)[i]);
        assertThat((double) b[i]).as("%s[%d] (tolerance %.3g from S_max = %.3g, L = %d)", name, i, tolerance, max, reductionLength)
            .isCloseTo(a[i], within(tolerance));
        largest = Math.max(largest, Math.abs(a[i]));
        if (Math.abs(a[i] - b[i]) / tolerance > worst) {
          worst = Math.abs(a[i] - b[i]) / tolerance;
          worstAt = name + "[" + i + "]";
        }
      }
    }
    System.out.printf("float32 gradients: largest difference %.3g of its tolerance, at %s%n", worst, worstAt);
    return largest;
  }

  /** Adds |scale| * |g| elementwise into {@code into} (allocating it when null). */
  public static double[] addMagnitudes(double[] into, float[] g, double scale) {
    double[] out = into == null ? new double[g.length] : into;
    for (int i = 0; i < g.length; i++) {
      out[i] += Math.abs(scale * g[i]);
    }
    return out;
  }
}
