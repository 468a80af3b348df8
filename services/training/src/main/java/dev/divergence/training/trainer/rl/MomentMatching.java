package dev.divergence.training.trainer.rl;

/**
 * The lambda of a distributional constraint E_p[phi] = mu with p(x) proportional to
 * a(x) exp(lambda . phi(x)) (GDC), fitted by importance-sampled moment matching on samples of a
 * proposal q: with self-normalised weights w_i proportional to (a(x_i)/q(x_i)) exp(lambda . phi_i),
 * the moments sum_i w_i phi_i are matched to mu. That is the stationary point of the convex
 * L(lambda) = log sum_i (a_i/q_i) exp(lambda . phi_i) - lambda . mu (gradient: moments - mu, Hessian:
 * their weighted covariance), found by damped Newton steps with a backtracking line search.
 * A mu outside the convex hull of the sampled features has no solution and is rejected.
 */
public final class MomentMatching {

  public static final double DEFAULT_TOLERANCE = 1e-9;
  public static final int MAX_ITERATIONS = 200;
  static final double NEWTON_DECREMENT_TOLERANCE = 1e-15;

  private MomentMatching() {
  }

  /** The fitted lambda and the moments it gives on the samples. */
  public record Fit(double[] lambda, double[] moments, int iterations) {}

  /**
   * @param features phi(x_i), one row of k features per sample
   * @param logImportance log a(x_i) - log q(x_i) per sample; null when the samples come from a itself
   * @param mu the k target moments
   * @param start the initial lambda (e.g. the previous fit), or null for zeros
   * @throws IllegalArgumentException when the moments cannot be matched (mu outside the samples' range)
   */
  public static Fit fit(double[][] features, double[] logImportance, double[] mu, double[] start) {
    int n = features.length;
    if (n == 0) {
      throw new IllegalArgumentException("moment matching needs samples");
    }
    int k = mu.length;
    for (double[] row : features) {
      if (row.length != k) {
        throw new IllegalArgumentException("features have " + row.length + " columns for " + k + " moments");
      }
    }
    if (logImportance != null && logImportance.length != n) {
      throw new IllegalArgumentException("logImportance has " + logImportance.length + " entries for " + n + " samples");
    }
    double[] lambda = start == null ? new double[k] : start.clone();
    double objective = objective(features, logImportance, mu, lambda);
    for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      double[] w = weights(features, logImportance, lambda);
      double[] moments = moments(features, w);
      double[] gradient = new double[k];
      double norm = 0;
      for (int j = 0; j < k; j++) {
        gradient[j] = moments[j] - mu[j];
        norm = Math.max(norm, Math.abs(gradient[j]));
      }
      if (norm <= DEFAULT_TOLERANCE) {
        return new Fit(lambda, moments, iteration);
      }
      double[][] hessian = covariance(features, w, moments);
      double[] step = solve(hessian, gradient);
      double t = 1;
      double[] next = new double[k];
      double nextObjective;
      double decrease = 0;
      for (int j = 0; j < k; j++) {
        decrease += gradient[j] * step[j];
      }
      if (decrease / 2 <= NEWTON_DECREMENT_TOLERANCE * Math.max(1, Math.abs(objective))) {
        // the Newton decrement g' H^-1 g / 2 bounds how far the objective is from its minimum; below
        // float64's resolution of the objective no line search can verify a step any more
        return new Fit(lambda, moments, iteration);
      }
      while (true) {
        for (int j = 0; j < k; j++) {
          next[j] = lambda[j] - t * step[j];
        }
        nextObjective = objective(features, logImportance, mu, next);
        if (nextObjective <= objective - 1e-4 * t * decrease || t < 1e-12) {
          break;
        }
        t /= 2;
      }
      if (t < 1e-12 || !Double.isFinite(nextObjective)) {
        break;
      }
      lambda = next.clone();
      objective = nextObjective;
    }
    throw new IllegalArgumentException("moments " + java.util.Arrays.toString(mu)
        + " cannot be matched on these samples: they must lie strictly inside the range of the sampled features");
  }

  /** Self-normalised weights proportional to exp(logImportance_i + lambda . phi_i). */
  public static double[] weights(double[][] features, double[] logImportance, double[] lambda) {
    int n = features.length;
    double[] logW = new double[n];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      logW[i] = (logImportance == null ? 0 : logImportance[i]) + dot(lambda, features[i]);
      max = Math.max(max, logW[i]);
    }
    double sum = 0;
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = Math.exp(logW[i] - max);
      sum += w[i];
    }
    for (int i = 0; i < n; i++) {
      w[i] /= sum;
    }
    return w;
  }

  private static double objective(double[][] features, double[] logImportance, double[] mu, double[] lambda) {
    double max = Double.NEGATIVE_INFINITY;
    double[] logW = new double[features.length];
    for (int i = 0; i < features.length; i++) {
      logW[i] = (logImportance == null ? 0 : logImportance[i]) + dot(lambda, features[i]);
      max = Math.max(max, logW[i]);
    }
    double sum = 0;
    for (double l : logW) {
      sum += Math.exp(l - max);
    }
    return max + Math.log(sum) - dot(lambda, mu);
  }

  private static double[] moments(double[][] features, double[] w) {
    double[] m = new double[features[0].length];
    for (int i = 0; i < features.length; i++) {
      for (int j = 0; j < m.length; j++) {
        m[j] += w[i] * features[i][j];
      }
    }
    return m;
  }

  private static double[][] covariance(double[][] features, double[] w, double[] mean) {
    int k = mean.length;
    double[][] c = new double[k][k];
    for (int i = 0; i < features.length; i++) {
      for (int a = 0; a < k; a++) {
        double da = features[i][a] - mean[a];
        for (int b = 0; b < k; b++) {
          c[a][b] += w[i] * da * (features[i][b] - mean[b]);
        }
      }
    }
    return c;
  }

  /** Solves H x = g by Gaussian elimination with partial pivoting; a tiny ridge keeps flat directions finite. */
  private static double[] solve(double[][] h, double[] g) {
    int k = g.length;
    double[][] a = new double[k][k + 1];
    double scale = 0;
    for (int i = 0; i < k; i++) {
      scale = Math.max(scale, Math.abs(h[i][i]));
    }
    double ridge = 1e-12 * Math.max(scale, 1e-300) + 1e-300;
    for (int i = 0; i < k; i++) {
      System.arraycopy(h[i], 0, a[i], 0, k);
      a[i][i] += ridge;
      a[i][k] = g[i];
    }
    for (int col = 0; col < k; col++) {
      int pivot = col;
      for (int r = col + 1; r < k; r++) {
        if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
          pivot = r;
        }
      }
      double[] tmp = a[col];
      a[col] = a[pivot];
      a[pivot] = tmp;
      for (int r = col + 1; r < k; r++) {
        double f = a[r][col] / a[col][col];
        for (int c = col; c <= k; c++) {
          a[r][c] -= f * a[col][c];
        }
      }
    }
    double[] x = new double[k];
    for (int r = k - 1; r >= 0; r--) {
      double s = a[r][k];
      for (int c = r + 1; c < k; c++) {
        s -= a[r][c] * x[c];
      }
      x[r] = s / a[r][r];
    }
    return x;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += a[j] * b[j];
    }
    return s;
  }
}
