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

        private Scratch(int vocab) {
            floatsA = new float[vocab];
            floatsB = new float[vocab];
            scalar = new ScalarRowKernel(vocab);
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
