package dev.divergence.math.diversity;

import dev.divergence.math.Checks;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Vendi score (Friedman and Dieng): exp of the order-q Renyi entropy of the eigenvalues of K/n for
 * a similarity matrix K with unit diagonal. q = 1 is the Shannon case, q = +inf uses the largest
 * eigenvalue. As the vendi-score package does, only eigenvalues > 0 enter the entropy; for q < 1
 * round-off eigenvalues of a rank-deficient K (|lambda| ~ 1e-17) therefore move the score in the
 * ninth digit, exactly as they do there.
 */
public final class VendiScore {

    private VendiScore() {
    }

    /** Score of a symmetric similarity matrix (eigenvalues by EJML's symmetric QR algorithm). */
    public static double score(double[][] similarity, double q) {
        return fromEigenvalues(eigenvaluesOfKOverN(similarity), q);
    }

    /** The eigenvalues of K / n, ascending. */
    public static double[] eigenvaluesOfKOverN(double[][] similarity) {
        Checks.notNull(similarity, "similarity");
        int n = similarity.length;
        if (n == 0) {
            throw Checks.bad("similarity", "must not be empty");
        }
        DMatrixRMaj k = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            Checks.notNull(similarity[i], "similarity[" + i + "]");
            Checks.sameLength(n, similarity[i].length, "similarity[" + i + "]");
            for (int j = 0; j < n; j++) {
                double v = similarity[i][j];
                if (!Double.isFinite(v)) {
                    throw Checks.badAt("similarity", (long) i * n + j, "must be finite but is " + v);
                }
                k.set(i, j, v / n);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double a = similarity[i][j];
                double b = similarity[j][i];
                if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)))) {
                    throw Checks.badAt("similarity", (long) i * n + j, "must be symmetric but differs from its transpose");
                }
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
        if (!eig.decompose(k)) {
            throw new ArithmeticException("eigen decomposition did not converge");
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = eig.getEigenvalue(i).getReal();
        }
        java.util.Arrays.sort(values);
        return values;
    }

    /** exp(H_q) of the eigenvalue distribution; q >= 0, {@code Double.POSITIVE_INFINITY} allowed. */
    public static double fromEigenvalues(double[] eigenvalues, double q) {
        Checks.nonEmpty(eigenvalues, "eigenvalues");
        if (Double.isNaN(q) || q < 0) {
            throw Checks.bad("q", "must be >= 0 (or +inf) but is " + q);
        }
        if (q == Double.POSITIVE_INFINITY) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : eigenvalues) {
                max = Math.max(max, v);
            }
            return 1.0 / max;
        }
        double s = 0;
        for (double v : eigenvalues) {
            if (v > 0) {
                s += q == 1.0 ? -v * Math.log(v) : Math.pow(v, q);
            }
        }
        return q == 1.0 ? Math.exp(s) : Math.exp(Math.log(s) / (1 - q));
    }
}
