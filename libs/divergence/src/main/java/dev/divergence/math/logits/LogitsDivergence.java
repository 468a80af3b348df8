package dev.divergence.math.logits;

import dev.divergence.math.Checks;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;

import java.util.stream.IntStream;

/**
 * A registry divergence applied row by row to raw logits: D(softmax(teacher/T) || softmax(student/T)),
 * computed in log space (log-sum-exp) without materialising probabilities for the fused kinds
 * (kl, reverse_kl, js, jsd, tv, skew_kl, skew_reverse_kl). The teacher (target) is p, the student
 * (model) is q, as everywhere in the vocabulary.
 *
 * <p>Rows are split across cores when the batch is large enough to pay for it. Gradients are those of
 * the reduced loss with respect to the student's raw logits (the 1/T of the chain rule included; the
 * T^2 rescaling some KD recipes apply is left to the caller).
 */
public final class LogitsDivergence {

    /** Below this many logits per call the fork-join overhead outweighs a second core. */
    private static final long PARALLEL_THRESHOLD = 1 << 15;
    /** log of float32's smallest positive value: the floor of a cached teacher bin. */
    private static final double LOG_FLOAT_MIN = Math.log(Float.MIN_VALUE);

    private final Divergence divergence;
    private final FusedKind.Resolved resolved;

    private LogitsDivergence(Divergence divergence) {
        Checks.notNull(divergence, "divergence");
        this.divergence = divergence;
        this.resolved = FusedKind.of(divergence);
    }

    public static LogitsDivergence of(Divergence divergence) {
        return new LogitsDivergence(divergence);
    }

    public static LogitsDivergence of(String name) {
        return new LogitsDivergence(DivergenceRegistry.create(name));
    }

    public Divergence divergence() {
        return divergence;
    }

    /** One value per row; rows the mask drops are 0 and are not read. */
    public double[] perRow(LogitsBatch teacher, LogitsBatch student, LogitsOptions options) {
        checkShapes(teacher, student, options);
        int rows = teacher.rows();
        double[] out = new double[rows];
        double invT = 1.0 / options.temperature();
        FloatRowKernel vector = Simd.vectorKernel();
        boolean useVector = vector != null && teacher.isFloat() && student.isFloat()
                && FloatRowKernel.supports(resolved.kind());
        forEachRow(teacher, options, row -> {
            if (useVector) {
                Scratch scratch = Scratch.get(teacher.vocab());
                int base = row * teacher.vocab();
                double v = vector.compute(resolved.kind(), resolved.parameter(), teacher.floats(), student.floats(),
                        base, teacher.vocab(), (float) invT, scratch.floatsA, scratch.floatsB);
                if (Double.isNaN(v)) {
                    Checks.finite(teacher.floats(), base, base + teacher.vocab(), "teacherLogits");
                    Checks.finite(student.floats(), base, base + teacher.vocab(), "studentLogits");
                }
                out[row] = v;
            } else {
                ScalarRowKernel kernel = Scratch.get(teacher.vocab()).scalar;
                kernel.prepare(teacher, student, row, invT);
                out[row] = kernel.compute(resolved, divergence, teacher.vocab(), false);
            }
        });
        return out;
    }

    /** The loss under the options' reduction (NONE gives the sum). */
    public double loss(LogitsBatch teacher, LogitsBatch student, LogitsOptions options) {
        return options.reduction().apply(perRow(teacher, student, options), options.rowMask());
    }

    /**
     * The reduced loss, with its gradient with respect to the student logits written to
     * {@code studentGradient} (same layout as the student batch; masked rows get 0).
     */
    public double lossAndGradient(LogitsBatch teacher, LogitsBatch student, LogitsOptions options,
                                  double[] studentGradient) {
        return lossAndGradient(teacher, student, options, new GradientSink.Doubles(studentGradient));
    }

    /** Float32 variant of {@link #lossAndGradient(LogitsBatch, LogitsBatch, LogitsOptions, double[])}. */
    public double lossAndGradient(LogitsBatch teacher, LogitsBatch student, LogitsOptions options,
                                  float[] studentGradient) {
        return lossAndGradient(teacher, student, options, new GradientSink.Floats(studentGradient));
    }

    private double lossAndGradient(LogitsBatch teacher, LogitsBatch student, LogitsOptions options, GradientSink sink) {
        checkShapes(teacher, student, options);
        sink.checkLength(student.rows() * student.vocab());
        int rows = teacher.rows();
        int vocab = teacher.vocab();
        double invT = 1.0 / options.temperature();
        double weight = options.reduction().weight(rows, options.keptRows(rows));
        double[] values = new double[rows];
        FloatRowKernel vector = Simd.vectorKernel();
        if (vector != null && sink instanceof GradientSink.Floats floats && teacher.isFloat() && student.isFloat()
                && FloatRowKernel.supportsGradient(resolved.kind())) {
            // float32 in, float32 gradient out: the SIMD kernel, no float64 copies of the rows
            forEachRow(teacher, options, row -> {
                Scratch scratch = Scratch.get(vocab);
                int base = row * vocab;
                double v = vector.computeWithGradient(resolved.kind(), resolved.parameter(), teacher.floats(),
                        student.floats(), base, vocab, (float) invT, scratch.floatsA, scratch.floatsB, floats.out(),
                        base, (float) (weight * invT));
                if (Double.isNaN(v)) {
                    Checks.finite(teacher.floats(), base, base + vocab, "teacherLogits");
                    Checks.finite(student.floats(), base, base + vocab, "studentLogits");
                }
                values[row] = v;
            });
            for (int row = 0; row < rows; row++) {
                if (!options.keeps(row)) {
                    sink.zero(row * vocab, vocab);
                }
            }
            return options.reduction().apply(values, options.rowMask());
        }
        forEachRow(teacher, options, row -> {
            ScalarRowKernel kernel = Scratch.get(vocab).scalar;
            kernel.prepare(teacher, student, row, invT);
            values[row] = kernel.compute(resolved, divergence, vocab, true);
            // chain rule through b = student / T, then the reduction's weight
            sink.write(row * vocab, kernel.grad, vocab, weight * invT);
        });
        for (int row = 0; row < rows; row++) {
            if (!options.keeps(row)) {
                sink.zero(row * vocab, vocab);
            }
        }
        return options.reduction().apply(values, options.rowMask());
    }

    /** One value per row against a top-k teacher (see {@link TopKTeacher}); masked rows are 0. */
    public double[] perRowTopK(TopKTeacher teacher, LogitsBatch student, LogitsOptions options) {
        double[] values = new double[checkTopK(teacher, student, options)];
        topK(teacher, student, options, values, null, 1.0);
        return values;
    }

    /** The reduced loss against a top-k teacher, with its gradient w.r.t. the student logits. */
    public double lossAndGradientTopK(TopKTeacher teacher, LogitsBatch student, LogitsOptions options,
                                      double[] studentGradient) {
        int rows = checkTopK(teacher, student, options);
        Checks.notNull(studentGradient, "studentGradient");
        Checks.sameLength(rows * student.vocab(), studentGradient.length, "studentGradient");
        java.util.Arrays.fill(studentGradient, 0.0);
        double[] values = new double[rows];
        double weight = options.reduction().weight(rows, options.keptRows(rows));
        topK(teacher, student, options, values, studentGradient, weight);
        return options.reduction().apply(values, options.rowMask());
    }

    private static int checkTopK(TopKTeacher teacher, LogitsBatch student, LogitsOptions options) {
        Checks.notNull(teacher, "teacher");
        Checks.notNull(student, "studentLogits");
        Checks.notNull(options, "options");
        if (teacher.rows() != student.rows()) {
            throw Checks.bad("studentLogits", "has " + student.rows() + " rows but the teacher has " + teacher.rows());
        }
        if (teacher.k() > student.vocab()) {
            throw Checks.bad("k", "is " + teacher.k() + " but the vocabulary has only " + student.vocab() + " tokens");
        }
        if (options.rowMask() != null) {
            Checks.sameLength(student.rows(), options.rowMask().length, "rowMask");
        }
        teacher.checkIndices(student.vocab(), new boolean[student.vocab()]);
        return student.rows();
    }

    /**
     * The divergence on the (k+1)-bin coarsening of teacher and student, per kept row. The teacher's
     * bins are its cached top-k probabilities and its stored tail; the student's are its
     * probabilities of the same tokens and its summed tail, all taken as log-probabilities (the tail
     * by log-sum-exp), so that a student probability that underflows a double stays a finite log.
     * The fused kinds then run the same log-space kernel as full rows, on the bins: no ratio p/q is
     * formed, and the gradient is finite wherever the student's mass underflows. A teacher bin of
     * exactly 0 (a tail below float32's smallest value, or a hand-made -inf log-probability) counts
     * as {@link Float#MIN_VALUE}, the resolution of the cache that stored it, so that KL(q||p) is
     * large and finite rather than +inf. With k = V there is no tail token and no tail bin.
     */
    private void topK(TopKTeacher teacher, LogitsBatch student, LogitsOptions options, double[] values,
                      double[] gradient, double weight) {
        int vocab = student.vocab();
        int k = teacher.k();
        int bins = k < vocab ? k + 1 : k;
        double invT = 1.0 / options.temperature();
        forEachRow(student, options, row -> {
            Scratch scratch = Scratch.get(vocab);
            ScalarRowKernel kernel = scratch.scalar;
            // the student's full distribution (teacher slot unused), then its coarsening
            kernel.prepare(student, student, row, invT);
            double[] logQ = kernel.logQ;
            ScalarRowKernel binKernel = scratch.bins(bins);
            boolean[] inTop = scratch.inTop;
            for (int j = 0; j < k; j++) {
                int index = teacher.indices()[row * k + j];
                inTop[index] = true;
                setBin(binKernel, j, teacher.logProbs()[row * k + j], logQ[index]);
            }
            double logQTail = Double.NEGATIVE_INFINITY;
            if (bins > k) {
                // log of the student's tail mass: log-sum-exp over the tail tokens, never log of an underflowed sum
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) {
                    if (!inTop[i]) {
                        max = Math.max(max, logQ[i]);
                    }
                }
                double sum = 0;
                for (int i = 0; i < vocab; i++) {
                    if (!inTop[i]) {
                        sum += Math.exp(logQ[i] - max);
                    }
                }
                logQTail = max + Math.log(sum);
                setBin(binKernel, k, Math.log(teacher.tailMass()[row]), logQTail);
            }
            for (int j = 0; j < k; j++) {
                inTop[teacher.indices()[row * k + j]] = false;
            }
            values[row] = binKernel.compute(resolved, divergence, bins, gradient != null);
            if (gradient != null) {
                // binKernel.grad[j] = dL/db_j with b = log of the student's bins. Through b_j = log sum_{i in j} q_i
                // with q = softmax(z/T): dL/dz_i = (G_j q_i / q_j - q_i sum_m G_m) / T; q_i / q_j is 1 for a top-k
                // token and exp(log q_i - log q_tail) <= 1 in the tail; sum_m G_m is 0 up to rounding, except for
                // KL's q - p when the cached teacher's bins sum to 1 -/+ float32 rounding, which it corrects.
                double[] g = binKernel.grad;
                double total = 0;
                for (int j = 0; j < bins; j++) {
                    total += g[j];
                }
                int base = row * vocab;
                double scale = weight * invT;
                double[] q = kernel.q;
                if (bins > k) {
                    for (int i = 0; i < vocab; i++) {
                        gradient[base + i] = scale * (g[k] * Math.exp(logQ[i] - logQTail) - q[i] * total);
                    }
                }
                for (int j = 0; j < k; j++) {
                    int index = teacher.indices()[row * k + j];
                    gradient[base + index] = scale * (g[j] - q[index] * total);
                }
            }
        });
    }

    /** Bin j of the coarsened rows: teacher log-probability (0 mass counted as Float.MIN_VALUE), student log-probability. */
    private static void setBin(ScalarRowKernel bins, int j, double logP, double logQ) {
        double p = Math.exp(logP);
        if (!(p > 0)) {
            p = Float.MIN_VALUE;
            logP = LOG_FLOAT_MIN;
        }
        bins.logP[j] = logP;
        bins.p[j] = p;
        bins.logQ[j] = logQ;
        bins.q[j] = Math.exp(logQ);
    }

    private static void checkShapes(LogitsBatch teacher, LogitsBatch student, LogitsOptions options) {
        Checks.notNull(teacher, "teacherLogits");
        Checks.notNull(student, "studentLogits");
        Checks.notNull(options, "options");
        if (teacher.rows() != student.rows() || teacher.vocab() != student.vocab()) {
            throw Checks.bad("studentLogits", "has shape [" + student.rows() + ", " + student.vocab()
                    + "] but teacherLogits has [" + teacher.rows() + ", " + teacher.vocab() + "]");
        }
        if (options.rowMask() != null) {
            Checks.sameLength(teacher.rows(), options.rowMask().length, "rowMask");
        }
    }

    interface RowAction {
        void run(int row);
    }

    static void forEachRow(LogitsBatch teacher, LogitsOptions options, RowAction action) {
        int rows = teacher.rows();
        IntStream range = IntStream.range(0, rows).filter(options::keeps);
        if (rows > 1 && (long) rows * teacher.vocab() >= PARALLEL_THRESHOLD) {
            range = range.parallel();
        }
        range.forEach(action::run);
    }

    /** Per-thread buffers so that parallel rows never allocate in the loop. */
    static final class Scratch {
        private static final ThreadLocal<Scratch> LOCAL = new ThreadLocal<>();

        final float[] floatsA;
        final float[] floatsB;
        final ScalarRowKernel scalar;
        /** Which tokens are a top-k teacher's, cleared after each row. */
        final boolean[] inTop;
        private ScalarRowKernel bins;

        private Scratch(int vocab) {
            floatsA = new float[vocab];
            floatsB = new float[vocab];
            scalar = new ScalarRowKernel(vocab);
            inTop = new boolean[vocab];
        }

        /** A kernel for the k+1 bins of a top-k teacher. */
        ScalarRowKernel bins(int count) {
            if (bins == null || bins.p.length != count) {
                bins = new ScalarRowKernel(count);
            }
            return bins;
        }

        static Scratch get(int vocab) {
            Scratch s = LOCAL.get();
            if (s == null || s.floatsA.length != vocab) {
                s = new Scratch(vocab);
                LOCAL.set(s);
            }
            return s;
        }
    }

    /** Where gradients go: float32 or float64 buffers. */
    private sealed interface GradientSink {
        void write(int offset, double[] grad, int length, double scale);

        void zero(int offset, int length);

        void checkLength(int expected);

        record Doubles(double[] out) implements GradientSink {
            public void write(int offset, double[] grad, int length, double scale) {
                for (int i = 0; i < length; i++) {
                    out[offset + i] = grad[i] * scale;
                }
            }

            public void zero(int offset, int length) {
                java.util.Arrays.fill(out, offset, offset + length, 0.0);
            }

            public void checkLength(int expected) {
                Checks.notNull(out, "studentGradient");
                Checks.sameLength(expected, out.length, "studentGradient");
            }
        }

        record Floats(float[] out) implements GradientSink {
            public void write(int offset, double[] grad, int length, double scale) {
                for (int i = 0; i < length; i++) {
                    out[offset + i] = (float) (grad[i] * scale);
                }
            }

            public void zero(int offset, int length) {
                java.util.Arrays.fill(out, offset, offset + length, 0f);
            }

            public void checkLength(int expected) {
                Checks.notNull(out, "studentGradient");
                Checks.sameLength(expected, out.length, "studentGradient");
            }
        }
    }
}
