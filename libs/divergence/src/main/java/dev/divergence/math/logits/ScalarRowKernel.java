package dev.divergence.math.logits;

import dev.divergence.math.Checks;
import dev.divergence.math.divergence.Divergence;

/**
 * Float64 reference kernel for one row: log-softmax of both rows at the temperature, then the
 * divergence in log space, and optionally dL/db where b = student logits / T. Used for float64
 * batches, for gradients, and as the fallback when the Vector API is not available.
 */
final class ScalarRowKernel {

    final double[] logP;
    final double[] logQ;
    final double[] p;
    final double[] q;
    final double[] grad;

    ScalarRowKernel(int vocab) {
        logP = new double[vocab];
        logQ = new double[vocab];
        p = new double[vocab];
        q = new double[vocab];
        grad = new double[vocab];
    }

    /** Fills logP/logQ/p/q for one row; non-finite logits are rejected with their flat index. */
    void prepare(LogitsBatch teacher, LogitsBatch student, int row, double invT) {
        int vocab = teacher.vocab();
        int base = row * vocab;
        logSoftmax(teacher, base, vocab, invT, logP, p, "teacherLogits");
        logSoftmax(student, base, vocab, invT, logQ, q, "studentLogits");
    }

    private static void logSoftmax(LogitsBatch batch, int base, int vocab, double invT, double[] out, double[] probs,
                                   String argument) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            double z = batch.get(base + i);
            if (!Double.isFinite(z)) {
                throw Checks.badAt(argument, base + i, "must be finite but is " + z);
            }
            out[i] = z * invT;
            max = Math.max(max, out[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            double e = Math.exp(out[i] - max);
            probs[i] = e;
            sum += e;
        }
        double lse = max + Math.log(sum);
        double inv = 1.0 / sum;
        for (int i = 0; i < vocab; i++) {
            out[i] -= lse;
            probs[i] *= inv; // one exp per element; probs keep the exact zeros of underflow
        }
    }

    /** The row's divergence; when {@code withGradient}, {@link #grad} receives dL/db (b = student / T). */
    double compute(FusedKind.Resolved resolved, Divergence generic, int vocab, boolean withGradient) {
        double parameter = resolved.parameter();
        double value = 0;
        switch (resolved.kind()) {
            case KL -> {
                for (int i = 0; i < vocab; i++) {
                    value += p[i] * (logP[i] - logQ[i]);
                }
                if (withGradient) {
                    // d KL(p||softmax(b)) / db = q - p: no ratio, exact
                    for (int i = 0; i < vocab; i++) {
                        grad[i] = q[i] - p[i];
                    }
                }
                return value;
            }
            case REVERSE_KL -> {
                for (int i = 0; i < vocab; i++) {
                    value += q[i] * (logQ[i] - logP[i]);
                }
                if (withGradient) {
                    for (int i = 0; i < vocab; i++) {
                        grad[i] = q[i] * (logQ[i] - logP[i] - value);
                    }
                }
                return value;
            }
            case JSD -> {
                double beta = parameter;
                double teacherPart = 0;
                double studentPart = 0;
                for (int i = 0; i < vocab; i++) {
                    double logM = mixtureLog(logP[i], logQ[i], p[i], q[i], beta);
                    teacherPart += p[i] * (logP[i] - logM);
                    studentPart += q[i] * (logQ[i] - logM);
                    grad[i] = (1 - beta) * (logQ[i] - logM); // dL/dq_i, turned into dL/db below
                }
                value = beta * teacherPart + (1 - beta) * studentPart;
            }
            case TV -> {
                for (int i = 0; i < vocab; i++) {
                    value += Math.abs(p[i] - q[i]);
                    grad[i] = 0.5 * Math.signum(q[i] - p[i]);
                }
                value *= 0.5;
            }
            case SKEW_KL -> {
                double a = parameter;
                for (int i = 0; i < vocab; i++) {
                    double logM = mixtureLog(logP[i], logQ[i], p[i], q[i], a);
                    value += p[i] * (logP[i] - logM);
                    // d/dq_i of -p_i log(a p_i + (1-a) q_i) = -(1-a) p_i / M_i, written as a ratio of exps
                    grad[i] = -(1 - a) * Math.exp(logP[i] - logM);
                }
            }
            case SKEW_REVERSE_KL -> {
                double a = parameter;
                for (int i = 0; i < vocab; i++) {
                    double logM = mixtureLog(logQ[i], logP[i], q[i], p[i], a); // (1-a) p + a q
                    value += q[i] * (logQ[i] - logM);
                    grad[i] = logQ[i] + 1 - logM - a * Math.exp(logQ[i] - logM);
                }
            }
            case GENERIC -> {
                value = generic.unchecked(p, q);
                if (withGradient) {
                    generic.gradientWrtModelUnchecked(p, q, grad);
                }
            }
        }
        if (withGradient) {
            softmaxBackward(vocab);
        }
        return value;
    }

    /**
     * Turns dL/dq in {@link #grad} into dL/db: q_i (g_i - sum_k q_k g_k). A cell whose q_i underflowed to exactly 0
     * contributes its limit q_i g_i -> 0: dL/dq_i may be infinite or NaN there (p_i / q_i, 0 / 0, log 0), but
     * wherever D is finite it grows at most like a power q_i^(1 - c), c < 1, as q_i -> 0 (a log q_i would make D
     * infinite), so q_i dD/dq_i vanishes; taking 0 * inf literally would make the whole row NaN.
     */
    private void softmaxBackward(int vocab) {
        double dot = 0;
        for (int i = 0; i < vocab; i++) {
            if (q[i] > 0) {
                dot += q[i] * grad[i];
            }
        }
        for (int i = 0; i < vocab; i++) {
            grad[i] = q[i] > 0 ? q[i] * (grad[i] - dot) : 0.0;
        }
    }

    /**
     * log(w x + (1-w) y) given x, y and their logs: one log when the mixture is a normal double,
     * log-space arithmetic when it underflows (so that the result is never -inf for finite logits).
     */
    static double mixtureLog(double logX, double logY, double x, double y, double w) {
        double m = w * x + (1 - w) * y;
        if (m > 1e-290) {
            return Math.log(m);
        }
        if (w == 0) {
            return logY;
        }
        if (w == 1) {
            return logX;
        }
        double a = Math.log(w) + logX;
        double b = Math.log1p(-w) + logY;
        double hi = Math.max(a, b);
        return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
    }
}
