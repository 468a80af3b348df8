package dev.divergence.math.logits;

/**
 * Forward value of a fused divergence for one float32 row pair. Returns NaN when the row holds a
 * non-finite logit; the caller then finds and reports the index (keeping the check out of the hot loop).
 */
interface FloatRowKernel {

    double compute(FusedKind kind, double parameter, float[] teacher, float[] student, int base, int vocab,
                   float invT, float[] scratchTeacher, float[] scratchStudent);

    /**
     * Value and gradient for one row: writes {@code scale * dL/db} (b = student / T) into
     * {@code gradient[gradientBase ..]}. NaN for non-finite input, like {@link #compute}.
     */
    double computeWithGradient(FusedKind kind, double parameter, float[] teacher, float[] student, int base, int vocab,
                               float invT, float[] scratchTeacher, float[] scratchStudent, float[] gradient,
                               int gradientBase, float scale);

    /** Kinds with a SIMD gradient (the others use the float64 kernel for gradients). */
    static boolean supportsGradient(FusedKind kind) {
        return kind == FusedKind.KL || kind == FusedKind.REVERSE_KL || kind == FusedKind.JSD;
    }

    /** Whether this kernel handles the kind (the others go to the float64 kernel). */
    static boolean supports(FusedKind kind) {
        return kind != FusedKind.GENERIC;
    }
}
